// The watchlist page: the protected domains with their counts (each opens its own paged page, see
// asset.js), when the list was last loaded, generating a new protected domain's homographs to
// preview and merge, and, on request only, the whole list as editable JSON (the server validates
// and names the bad key). A 20-brand list holds 200,000 names, so nothing here renders it whole
// unless asked.
import { api } from './api.js';
import { fmtNumber, fmtTime, h, kv, markedDomain, notice, plural, replace, showFailure, table } from './dom.js';

function pretty(list) {
  return JSON.stringify(list || {}, null, 2);
}

function infoCard(info) {
  return h('section', { class: 'card', id: 'watchlist-info' },
    h('h2', {}, 'Loaded list'),
    kv([
      ['Loaded', fmtTime(info.loaded_at)],
      ['Source', info.source ? h('span', { class: 'mono wrap', title: info.source }, info.source) : ''],
      ['Assets', fmtNumber(info.assets)],
      ['Homographs', fmtNumber(info.homographs)],
      ['Last error', info.last_error ? h('span', { class: 'error-text' }, info.last_error) : h('span', { class: 'muted' }, 'none')],
    ]));
}

// parseList checks the text is a JSON object of string arrays before the server sees it.
function parseList(text) {
  let list;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new Error(`Not valid JSON: ${err.message}`);
  }
  if (list === null || typeof list !== 'object' || Array.isArray(list)) throw new Error('The list must be a JSON object: {"asset.com": ["lookalike", …]}');
  for (const [key, value] of Object.entries(list)) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`"${key}": the value must be a list of strings`);
  }
  return list;
}

function assetsTable(assets) {
  const rows = assets.map((a) => h('tr', { dataset: { asset: a.asset } },
    h('td', { class: 'nowrap' }, h('a', { href: `#/watchlist/${encodeURIComponent(a.asset)}` }, markedDomain(a.asset))),
    h('td', { class: 'num' }, fmtNumber(a.homographs)),
    h('td', {}, h('a', { class: 'button small', href: `#/watchlist/${encodeURIComponent(a.asset)}` }, 'Open'))));
  return rows.length ? table(['Protected domain', 'Homographs#', ''], rows, { class: 'grid compact', id: 'assets' })
    : h('p', { class: 'muted' }, 'The list is empty: add a protected domain.');
}

function generator(onMerged) {
  const domains = h('input', { id: 'gen-domains', type: 'text', placeholder: 'example.com, other.org', required: true });
  const fuzzers = h('input', { id: 'gen-fuzzers', type: 'text', placeholder: 'all' });
  const out = h('div', { id: 'gen-preview' });
  const form = h('form', { class: 'filters' },
    h('label', { class: 'field grow' }, h('span', {}, 'Protected domain(s)'), domains),
    h('label', { class: 'field grow', title: 'Comma-separated fuzzer names; empty runs them all' }, h('span', {}, 'Fuzzers (optional)'), fuzzers),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'primary', id: 'gen-run' }, 'Generate')));
  const split = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replace(out, h('p', { class: 'muted' }, 'Generating…'));
    let generated;
    try {
      generated = await api.homographs(split(domains.value), split(fuzzers.value));
    } catch (err) {
      replace(out, notice('error', err.message));
      return;
    }
    const total = Object.values(generated || {}).reduce((n, v) => n + (Array.isArray(v) ? v.length : 0), 0);
    const merge = h('button', { type: 'button', class: 'primary', id: 'gen-merge' }, 'Merge into the list');
    merge.addEventListener('click', async () => {
      merge.disabled = true;
      try {
        await api.mergeWatchlist(generated);
        await onMerged(`Merged ${total.toLocaleString('en-US')} homographs.`);
      } catch (err) {
        merge.disabled = false;
        replace(out, notice('error', err.message));
      }
    });
    replace(out,
      h('div', { class: 'row' }, h('strong', {}, `${total.toLocaleString('en-US')} homographs generated`), merge),
      Object.entries(generated || {}).map(([asset, values]) => h('div', { class: 'preview' },
        h('h4', {}, markedDomain(asset), ` (${values.length})`),
        h('ul', { class: 'chips' }, values.map((v) => h('li', {}, markedDomain(v, asset)))))));
  });
  return h('section', { class: 'card' },
    h('h2', {}, 'Add a protected domain'),
    h('p', { class: 'muted' }, 'Generate lookalikes, check the preview, then merge them into the list.'),
    form, out);
}

// jsonEditor loads the whole list into a textarea only when the analyst asks for it.
function jsonEditor(ctx, again, total) {
  const box = h('div', { id: 'watchlist-json-box' });
  const open = h('button', { type: 'button', id: 'watchlist-json-open' }, 'Edit the whole list as JSON');
  open.addEventListener('click', async () => {
    open.disabled = true;
    replace(box, h('p', { class: 'muted' }, 'Loading…'));
    let list;
    try {
      list = await api.watchlist();
    } catch (err) {
      open.disabled = false;
      showFailure(ctx.fail, box, err);
      return;
    }
    if (!ctx.alive()) return;
    const editor = h('textarea', { id: 'watchlist-json', class: 'mono editor', spellcheck: 'false' });
    editor.value = pretty(list);
    editor.rows = Math.min(36, Math.max(12, editor.value.split('\n').length + 2));
    const message = h('div', { id: 'watchlist-message' });
    const save = h('button', { type: 'button', class: 'primary', id: 'watchlist-save' }, 'Save list');
    save.addEventListener('click', async () => {
      let parsed;
      try {
        parsed = parseList(editor.value);
      } catch (err) {
        replace(message, notice('error', err.message));
        return;
      }
      save.disabled = true;
      try {
        await api.putWatchlist(parsed);
        await again('List saved.');
      } catch (err) {
        save.disabled = false;
        if (err.name === 'AuthError') ctx.fail(err);
        else replace(message, notice('error', `The server refused the list: ${err.message}`));
      }
    });
    const format = h('button', { type: 'button', onclick: () => {
      try {
        editor.value = pretty(parseList(editor.value));
        replace(message);
      } catch (err) {
        replace(message, notice('error', err.message));
      }
    } }, 'Format');
    const revert = h('button', { type: 'button', onclick: () => { editor.value = pretty(list); replace(message); } }, 'Revert');
    open.hidden = true;
    replace(box, editor, h('div', { class: 'row' }, save, format, revert, message));
  });
  return h('section', { class: 'card' },
    h('h2', {}, 'Homograph list (JSON)'),
    h('p', { class: 'muted' }, 'Each key is a protected domain; its value lists lookalikes (Unicode or punycode, TLD optional). ',
      total > 20000 ? `The list holds ${fmtNumber(total)} names: editing it whole is slow; open a protected domain instead. ` : '',
      h('a', { href: '/api/v1/watchlist', download: 'homographs.json' }, 'Download it')),
    open, box);
}

export async function renderWatchlist(ctx, flash) {
  const [page, info] = await Promise.all([api.watchlistAssets(), api.watchlistInfo().catch(() => ({}))]);
  if (!ctx.alive()) return null;
  const again = (message) => renderWatchlist(ctx, message).catch(ctx.fail);
  const assets = page.assets || [];
  const total = assets.reduce((n, a) => n + a.homographs, 0);

  replace(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Watchlist'),
      h('span', { class: 'muted', id: 'watchlist-count' }, `${plural(assets.length, 'protected domain')}, ${plural(total, 'homograph')}`)),
    flash ? notice('ok', flash) : null,
    h('div', { class: 'columns' },
      h('div', { class: 'col-main' },
        h('section', { class: 'card' }, h('h2', {}, 'Protected domains'), assetsTable(assets)),
        jsonEditor(ctx, again, total)),
      h('div', { class: 'col-side' }, infoCard(info || {}), generator(again))));
  return null;
}
