// The incidents list: filters kept in the URL fragment, cursor paging ("Load more"), and a poll
// that prepends incidents newer than the newest shown, so the list stays live without a reload.
import { api } from './api.js';
import { domainCell, fmtNumber, fmtTime, h, notice, replace, severityBadge, statusBadge, table } from './dom.js';

const pollMillis = 5000;
const pageSize = 100;
const filterKeys = ['status', 'severity', 'verdict', 'asset', 'q', 'since', 'until'];

// toAPITime turns a date input's YYYY-MM-DD into an RFC 3339 bound: the start of that UTC day,
// or for an end date the start of the next day (the API's until is exclusive).
function toAPITime(date, endOfDay) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return '';
  const d = new Date(`${date}T00:00:00Z`);
  if (endOfDay) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace('.000Z', 'Z');
}

function apiParams(filters) {
  return {
    status: filters.status,
    severity: filters.severity,
    verdict: filters.verdict,
    asset: filters.asset,
    q: filters.q,
    since: toAPITime(filters.since, false),
    until: toAPITime(filters.until, true),
  };
}

function select(name, label, options, value) {
  return h('label', { class: 'field' }, h('span', {}, label),
    h('select', { name, id: `filter-${name}` },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function input(name, label, type, value, placeholder) {
  return h('label', { class: 'field' }, h('span', {}, label),
    h('input', { name, id: `filter-${name}`, type, value, placeholder }));
}

function filterForm(filters) {
  const form = h('form', { class: 'filters', id: 'filters' },
    input('q', 'Search', 'search', filters.q, 'domain, asset, indicator…'),
    select('status', 'Status', [['', 'Any'], ['new', 'New'], ['investigating', 'Investigating'], ['closed', 'Closed']], filters.status),
    select('severity', 'Severity', [['', 'Any'], ['critical', 'Critical'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low']], filters.severity),
    select('verdict', 'Verdict', [['', 'Any'], ['none', 'None yet'], ['true_positive', 'True positive'], ['false_positive', 'False positive'], ['benign', 'Benign']], filters.verdict),
    input('asset', 'Asset', 'text', filters.asset, 'paypal.com'),
    input('since', 'From', 'date', filters.since),
    input('until', 'To', 'date', filters.until),
    h('div', { class: 'field actions' },
      h('button', { type: 'submit', class: 'primary', id: 'filter-apply' }, 'Apply'),
      h('button', { type: 'button', id: 'filter-reset', onclick: () => { location.hash = '#/incidents'; } }, 'Reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const q = new URLSearchParams();
    for (const key of filterKeys) {
      const value = String(data.get(key) || '').trim();
      if (value) q.set(key, value);
    }
    const next = `#/incidents${q.toString() ? `?${q}` : ''}`;
    if (location.hash === next) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = next;
  });
  return form;
}

function row(inc) {
  const link = `#/incidents/${encodeURIComponent(inc.id)}`;
  const tr = h('tr', { class: 'incident-row', dataset: { id: String(inc.id) } },
    h('td', {}, severityBadge(inc.severity)),
    h('td', { class: 'num' }, h('span', { class: 'score' }, fmtNumber(inc.score))),
    h('td', {}, inc.asset || h('span', { class: 'muted' }, 'intel')),
    h('td', { class: 'domain-col' }, h('a', { href: link, class: 'row-link' }, domainCell(inc.domain_unicode, inc.domain, inc.asset))),
    h('td', {}, inc.matched && inc.matched.kind ? h('span', { class: 'tag' }, inc.matched.kind) : ''),
    h('td', { class: 'time' }, fmtTime(inc.first_seen || inc.created_at)),
    h('td', { class: 'time' }, fmtTime(inc.last_seen || inc.updated_at)),
    h('td', { class: 'num' }, fmtNumber(inc.sightings)),
    h('td', {}, statusBadge(inc.status), inc.verdict ? h('span', { class: 'verdict' }, inc.verdict.replace('_', ' ')) : null));
  tr.addEventListener('click', (ev) => {
    if (ev.target.closest('a') || window.getSelection().toString()) return;
    location.hash = link;
  });
  return tr;
}

export async function renderIncidents(ctx, params) {
  const filters = Object.fromEntries(filterKeys.map((k) => [k, params.get(k) || '']));
  const query = apiParams(filters);
  const first = await api.incidents(Object.assign({ limit: pageSize }, query));
  if (!ctx.alive()) return null;

  const shown = new Map(); // id -> row
  let newest = ''; // newest created_at shown, RFC 3339 as the API gave it
  let newestMillis = -Infinity;
  const tbody = h('tbody', { id: 'incident-rows' });
  const count = h('span', { class: 'muted', id: 'incident-count' });
  const status = h('div', { class: 'list-status' });
  const more = h('button', { type: 'button', id: 'load-more' }, 'Load more');
  let cursor = '';

  const track = (inc) => {
    const millis = Date.parse(inc.created_at);
    if (millis > newestMillis) {
      newestMillis = millis;
      newest = inc.created_at;
    }
  };
  const updateCount = () => { count.textContent = `${shown.size.toLocaleString('en-US')} shown`; };
  const addPage = (page) => {
    for (const inc of page.incidents || []) {
      if (shown.has(inc.id)) continue;
      const tr = row(inc);
      shown.set(inc.id, tr);
      tbody.appendChild(tr);
      track(inc);
    }
    cursor = page.next_cursor || '';
    more.hidden = !cursor;
    updateCount();
  };

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      addPage(await api.incidents(Object.assign({ limit: pageSize, cursor }, query)));
      replace(status);
    } catch (err) {
      ctx.fail(err);
    } finally {
      more.disabled = false;
    }
  });

  const empty = h('div', { class: 'empty', id: 'incidents-empty' }, 'No incidents match these filters.');
  const grid = table(['Severity', 'Score#', 'Asset', 'Domain', 'Match', 'First seen', 'Last seen', 'Sightings#', 'Status'], []);
  grid.replaceChild(tbody, grid.tBodies[0]);
  grid.id = 'incidents';
  addPage(first);
  empty.hidden = shown.size > 0;

  const exportParams = Object.assign({}, query);
  replace(ctx.main,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Incidents'), count,
      h('div', { class: 'spacer' }),
      h('a', { class: 'button', href: api.exportURL('csv', exportParams), download: '' }, 'Export CSV'),
      h('a', { class: 'button', href: api.exportURL('stix', exportParams), download: '', title: 'Indicators for the incidents shown; false positives and benign verdicts are never included' }, 'Export STIX')),
    filterForm(filters),
    h('div', { class: 'card flush' }, grid, empty),
    h('div', { class: 'pager' }, more),
    status);

  // Polling for new incidents makes no sense when the range ends in the past.
  if (filters.until) return null;
  let timer = 0;
  let polling = false;
  const poll = async () => {
    if (polling || document.hidden) return;
    polling = true;
    try {
      const since = newest || query.since;
      const page = await api.incidents(Object.assign({}, query, { since, limit: pageSize }));
      if (!ctx.alive()) return;
      const fresh = [];
      for (const inc of page.incidents || []) {
        const old = shown.get(inc.id);
        if (!old) {
          fresh.push(inc);
          continue;
        }
        // Already shown: refresh it in place (its status or sightings may have changed).
        const tr = row(inc);
        tr.classList.toggle('fresh', old.classList.contains('fresh'));
        old.replaceWith(tr);
        shown.set(inc.id, tr);
      }
      // The answer is newest first: insert oldest first at the top to keep that order.
      for (const inc of fresh.reverse()) {
        const tr = row(inc);
        tr.classList.add('fresh');
        shown.set(inc.id, tr);
        tbody.insertBefore(tr, tbody.firstChild);
        track(inc);
      }
      if (fresh.length) {
        empty.hidden = true;
        updateCount();
      }
      replace(status);
    } catch (err) {
      if (err.name === 'AuthError') ctx.fail(err);
      else if (ctx.alive()) replace(status, notice('error', `Live update failed: ${err.message}`));
    } finally {
      polling = false;
    }
  };
  timer = setInterval(poll, pollMillis);
  return () => clearInterval(timer);
}
