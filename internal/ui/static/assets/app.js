// The app shell: hash routing, the login form on 401, and page lifecycle (each page returns a
// cleanup function that stops its timers when the analyst navigates away).
import { AuthError, api, login, request } from './api.js';
import { h, notice, replace } from './dom.js';
import { renderIncidents } from './incidents.js';
import { renderIncident } from './incident.js';
import { renderCampaign, renderCampaigns } from './campaigns.js';
import { renderWatchlist } from './watchlist.js';
import { renderAsset } from './asset.js';
import { renderAllow } from './allow.js';
import { renderSources } from './sources.js';
import { renderInventory } from './inventory.js';
import { refreshBanner } from './banner.js';

const main = document.getElementById('app');
const banner = document.getElementById('banner');
const userBox = document.getElementById('user');
let cleanup = null;
let generation = 0;

// parseHash splits "#/incidents/abc?status=new" into path segments and params.
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, search] = raw.split('?', 2);
  const segments = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { segments, params: new URLSearchParams(search || '') };
}

function route() {
  const { segments, params } = parseHash();
  const [section, id] = segments;
  switch (section) {
    case undefined:
    case 'incidents':
      return id ? ['incidents', 'Incident', (ctx) => renderIncident(ctx, id)] : ['incidents', 'Incidents', (ctx) => renderIncidents(ctx, params)];
    case 'campaigns':
      return id ? ['campaigns', 'Campaign', (ctx) => renderCampaign(ctx, id)] : ['campaigns', 'Campaigns', (ctx) => renderCampaigns(ctx, params)];
    case 'watchlist':
      return id ? ['watchlist', 'Watchlist', (ctx) => renderAsset(ctx, id, params)] : ['watchlist', 'Watchlist', renderWatchlist];
    case 'allow':
      return ['allow', 'Allow list', renderAllow];
    case 'sources':
      return ['sources', 'Sources & feeds', renderSources];
    case 'inventory':
      return ['inventory', 'Own certificates', (ctx) => renderInventory(ctx, params)];
    default:
      return [null, 'Not found', (ctx) => { replace(ctx.main, notice('error', `No page "${segments.join('/')}".`)); }];
  }
}

async function show() {
  if (cleanup) cleanup();
  cleanup = null;
  const mine = ++generation;
  const [section, title, render] = route();
  document.title = `${title} · certhunt`;
  for (const link of document.querySelectorAll('.nav a')) {
    link.classList.toggle('active', link.dataset.route === section);
  }
  const ctx = {
    main,
    // alive is false once the analyst has left the page; late answers are then dropped.
    alive: () => mine === generation,
    fail: (err) => failed(err, mine),
  };
  replace(main, h('div', { class: 'loading' }, 'Loading…'));
  refreshBanner(banner);
  try {
    const done = await render(ctx);
    if (mine === generation) cleanup = typeof done === 'function' ? done : null;
    else if (typeof done === 'function') done();
  } catch (err) {
    failed(err, mine);
  }
}

function failed(err, mine) {
  if (mine !== generation) return;
  if (err instanceof AuthError) {
    if (cleanup) cleanup();
    cleanup = null;
    showLogin();
    return;
  }
  replace(main, notice('error', err.message || String(err)));
}

// showUser names who is signed in (the token's name and role), with a sign-out button; without
// tokens there is no one to name.
async function showUser() {
  let me;
  try {
    me = await api.me();
  } catch {
    userBox.hidden = true;
    return;
  }
  if (!me || !me.authenticated) {
    userBox.hidden = true;
    return;
  }
  const out = h('button', { type: 'button', class: 'small', id: 'logout' }, 'Sign out');
  out.addEventListener('click', async () => {
    try {
      await request('POST', '/logout');
    } catch {
      // Already signed out: show the login form anyway.
    }
    userBox.hidden = true;
    showLogin();
  });
  replace(userBox, h('span', { id: 'user-name' }, me.name), h('span', { class: 'role' }, me.role), out);
  userBox.hidden = false;
}

function showLogin() {
  const message = h('div', { class: 'login-message' });
  const input = h('input', { type: 'password', name: 'token', id: 'login-token', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'login card', method: 'post', action: '/login' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'This certhunt server requires an API token.'),
    h('label', { for: 'login-token' }, 'Token'),
    input,
    h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Sign in'),
    message);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replace(message);
    try {
      await login(input.value);
      show();
      showUser();
    } catch (err) {
      replace(message, notice('error', err.message));
    }
  });
  replace(main, form);
  input.focus();
}

window.addEventListener('hashchange', show);
setInterval(() => refreshBanner(banner), 30000);
show();
showUser();
