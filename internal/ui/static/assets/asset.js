// One protected domain's page: its homographs a page at a time (a list can hold 100,000 names;
// the server pages and searches, the browser never holds more than one page), adding and
// removing single names, regenerating the asset's list and removing the asset.
import { api } from './api.js';
import { fmtNumber, h, markedDomain, notice, plural, replace, showFailure, table } from './dom.js';

const pageSize = 100;

export async function renderAsset(ctx, asset, params) {
  // Only admins change the watchlist: others see the list without the controls they would be
  // refused.
  const me = await api.me().catch(() => null);
  const admin = !me || me.role === 'admin';
  const state = { q: params.get('q') || '', cursors: [''], page: null };
  const message = h('div', { id: 'asset-message' });
  const body = h('div', { id: 'asset-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const count = h('span', { class: 'muted', id: 'asset-count' });
  const fail = (err) => showFailure(ctx.fail, message, err);

  // load fetches the page that starts at the last cursor of state.cursors.
  let loading = 0;
  async function load() {
    const mine = ++loading;
    const cursor = state.cursors[state.cursors.length - 1];
    const page = await api.asset(asset, { q: state.q, limit: pageSize, cursor });
    if (!ctx.alive() || mine !== loading) return;
    state.page = page;
    render();
  }
  const reload = (flash) => {
    state.cursors = [''];
    load().then(() => { if (flash) replace(message, notice('ok', flash)); }).catch(fail);
  };

  function render() {
    const page = state.page;
    replace(count, `${plural(page.total, 'homograph')}`);
    const first = (state.cursors.length - 1) * pageSize;
    const rows = page.homographs.map((name) => h('tr', { dataset: { name } },
      h('td', {}, markedDomain(name, asset)),
      h('td', { class: 'num' }, admin && h('button', { type: 'button', class: 'small danger-outline', title: `Remove ${name}`, onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await api.editAsset(asset, { remove: [name] });
          // Stay on this page: the next name moves up into it.
          await load();
          replace(message, notice('ok', `Removed ${name}.`));
        } catch (err) {
          ev.target.disabled = false;
          fail(err);
        }
      } }, 'Remove'))));
    const prev = h('button', { type: 'button', id: 'asset-prev', disabled: state.cursors.length === 1, onclick: () => {
      state.cursors.pop();
      load().catch(fail);
    } }, '← Previous');
    const next = h('button', { type: 'button', id: 'asset-next', disabled: !page.next_cursor, onclick: () => {
      state.cursors.push(page.next_cursor);
      load().catch(fail);
    } }, 'Next →');
    const shown = page.homographs.length ? `${fmtNumber(first + 1)}–${fmtNumber(first + page.homographs.length)} of ${fmtNumber(page.matching)}` : 'none';
    replace(body,
      h('div', { class: 'row pager-row' }, prev, next,
        h('span', { class: 'muted', id: 'asset-range' }, state.q ? `${shown} matching “${state.q}”` : shown)),
      rows.length ? table(['Homograph', ''], rows, { class: 'grid compact', id: 'asset-names' })
        : h('p', { class: 'empty' }, state.q ? 'No homograph matches.' : 'No homographs: the asset is still protected (lookalikes are found by similarity).'));
  }

  const search = h('input', { type: 'search', id: 'asset-q', placeholder: 'Search names', value: state.q });
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.q = search.value.trim();
      // Keep the search in the URL (a reload keeps it) without re-rendering the page.
      const hash = `#/watchlist/${encodeURIComponent(asset)}${state.q ? `?q=${encodeURIComponent(state.q)}` : ''}`;
      history.replaceState(null, '', hash);
      reload();
    }, 200);
  });

  const addInput = h('input', { type: 'text', id: 'asset-add-input', placeholder: 'lookalike.example', required: true });
  const addForm = h('form', { class: 'filters', id: 'asset-add-form' },
    h('label', { class: 'field grow' }, h('span', {}, 'Add a homograph'), addInput),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'primary', id: 'asset-add' }, 'Add')));
  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const names = addInput.value.split(/[\s,]+/).filter(Boolean);
    if (!names.length) return;
    try {
      await api.editAsset(asset, { add: names });
      addInput.value = '';
      reload(`Added ${names.join(', ')}.`);
    } catch (err) {
      fail(err);
    }
  });

  const confirmed = (button, question, action) => {
    const box = h('div', { class: 'confirm', hidden: true },
      h('p', {}, question),
      h('button', { type: 'button', class: 'danger', id: `${button.id}-confirm`, onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await action();
        } catch (err) {
          ev.target.disabled = false;
          fail(err);
        }
      } }, 'Yes'),
      h('button', { type: 'button', onclick: () => { box.hidden = true; } }, 'Cancel'));
    button.addEventListener('click', () => { box.hidden = false; });
    return [button, box];
  };
  const [regen, regenBox] = confirmed(h('button', { type: 'button', id: 'asset-regenerate' }, 'Regenerate'),
    `Replace every homograph of ${asset} with a fresh generation (names added by hand are dropped)?`, async () => {
      replace(message, notice('info', 'Generating…'));
      const res = await api.regenerateAsset(asset);
      reload(`Regenerated: ${plural(res.homographs, 'homograph')}.`);
    });
  const [drop, dropBox] = confirmed(h('button', { type: 'button', class: 'danger-outline', id: 'asset-delete' }, 'Stop protecting'),
    `Remove ${asset} and its homographs from the watchlist?`, async () => {
      await api.deleteAsset(asset);
      location.hash = '#/watchlist';
    });

  replace(ctx.main,
    h('div', { class: 'breadcrumb' }, h('a', { href: '#/watchlist' }, '← Watchlist')),
    h('div', { class: 'page-head' }, h('h1', { id: 'asset-name' }, markedDomain(asset)), count,
      h('div', { class: 'spacer' }), admin ? [regen, drop] : h('span', { class: 'muted', id: 'asset-readonly' }, `Read-only: changing the watchlist needs the admin role (you are ${me.role}).`)),
    regenBox, dropBox, message,
    h('section', { class: 'card' },
      h('div', { class: 'filters' }, h('label', { class: 'field grow' }, h('span', {}, 'Search'), search)),
      body),
    admin ? h('section', { class: 'card' }, addForm) : null);
  document.title = `${asset} · Watchlist · certhunt`;
  await load();
  return () => clearTimeout(timer);
}
