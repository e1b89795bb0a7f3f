// Campaigns: incidents grouped by shared infrastructure (a certificate, a key, addresses, name
// servers, a registrar and creation day). The list shows what links each group; a campaign's
// page lists its incidents and closes the open ones with one verdict.
import { api } from './api.js';
import {
  domainCell, fmtNumber, fmtTime, h, kv, notice, plural, replace, severityBadge, showFailure, statusBadge, table,
} from './dom.js';

const kindNames = {
  cert: 'certificate', key: 'certificate key', ip: 'address', ns: 'name servers',
  registration: 'registrar + creation day', issuer: 'issuer',
};
const verdicts = [['true_positive', 'True positive'], ['false_positive', 'False positive'], ['benign', 'Benign']];

const campaignLink = (id, text) => h('a', { href: `#/campaigns/${encodeURIComponent(id)}`, class: 'mono' }, text || id);

// cut shortens text to n characters (whole in the title) when short is set.
function cut(text, n, short) {
  const chars = [...text];
  if (!short || chars.length <= n) return h('span', { class: 'mono wrap' }, text);
  return h('span', { class: 'mono', title: text }, `${chars.slice(0, n).join('')}…`);
}

// sharedValue shows one shared value: "registrar|2026-11-30" reads as registrar and day. Short
// (a list row) cuts long values (a key's hash, a hostile registrar name).
function sharedValue(s, short) {
  const value = String(s.value || '');
  if (s.kind === 'registration') {
    const at = value.lastIndexOf('|');
    if (at > 0) return h('span', {}, cut(value.slice(0, at), 24, short), ', created ', value.slice(at + 1));
  }
  return cut(value, 16, short && value.length > 32);
}

// linkTags sums up what links a campaign: the linking values, a few of them.
function linkTags(c) {
  const links = (c.shared || []).filter((s) => s.links);
  const shown = links.slice(0, 3).map((s) => h('span', { class: 'shared-link' },
    h('span', { class: 'tag' }, kindNames[s.kind] || s.kind), ' ', sharedValue(s, true), ` ×${fmtNumber(s.count)}`));
  if (links.length > shown.length) shown.push(h('span', { class: 'muted' }, ` and ${links.length - shown.length} more`));
  return shown;
}

function statusCounts(c) {
  const st = c.status || {};
  return ['new', 'investigating', 'closed'].filter((k) => st[k] > 0)
    .map((k) => h('span', { class: 'status-count' }, statusBadge(k), ` ${fmtNumber(st[k])}`));
}

function listRow(c) {
  const link = `#/campaigns/${encodeURIComponent(c.id)}`;
  const tr = h('tr', { class: 'campaign-row', dataset: { id: String(c.id) } },
    h('td', {}, campaignLink(c.id)),
    h('td', {}, severityBadge(c.severity)),
    h('td', { class: 'num' }, fmtNumber(c.size)),
    h('td', { class: 'num' }, fmtNumber(c.open)),
    h('td', {}, (c.assets || []).join(', ')),
    h('td', { class: 'shared' }, linkTags(c)),
    h('td', { class: 'time' }, fmtTime(c.first_seen)),
    h('td', { class: 'time' }, fmtTime(c.last_seen)));
  tr.addEventListener('click', (ev) => {
    if (ev.target.closest('a') || window.getSelection().toString()) return;
    location.hash = link;
  });
  return tr;
}

export async function renderCampaigns(ctx, params) {
  const filters = { status: params.get('status') || '', asset: params.get('asset') || '' };
  const data = await api.campaigns({ status: filters.status, asset: filters.asset, limit: 500 });
  if (!ctx.alive()) return null;
  const list = data.campaigns || [];
  const form = h('form', { class: 'filters', id: 'campaign-filters' },
    h('label', { class: 'field' }, h('span', {}, 'Status'),
      h('select', { name: 'status', id: 'campaign-status' },
        [['', 'Any'], ['new,investigating', 'Open'], ['closed', 'Has closed']].map(([v, text]) => h('option', { value: v, selected: v === filters.status }, text)))),
    h('label', { class: 'field' }, h('span', {}, 'Asset'),
      h('input', { name: 'asset', id: 'campaign-asset', type: 'text', value: filters.asset, placeholder: 'paypal.com' })),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const q = new URLSearchParams();
    for (const key of ['status', 'asset']) {
      const v = String(fd.get(key) || '').trim();
      if (v) q.set(key, v);
    }
    location.hash = `#/campaigns${q.toString() ? `?${q}` : ''}`;
  });
  const grid = table(['Campaign', 'Severity', 'Incidents#', 'Open#', 'Assets', 'Shared infrastructure', 'First seen', 'Last seen'],
    list.map(listRow), { id: 'campaigns' });
  replace(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Campaigns'), h('span', { class: 'muted', id: 'campaign-count' }, plural(list.length, 'campaign'))),
    h('p', { class: 'muted' }, 'Incidents that share a certificate, a certificate key, an address, name servers, or a registrar and creation day. Values shared by many incidents of several brands (CDNs, default name servers) and issuers link nothing.'),
    form,
    h('div', { class: 'card flush' }, grid,
      list.length ? null : h('div', { class: 'empty', id: 'campaigns-empty' }, 'No campaigns: no two incidents share infrastructure yet.')));
  return null;
}

function sharedCard(c) {
  const rows = (c.shared || []).map((s) => h('tr', { dataset: { kind: String(s.kind) } },
    h('td', {}, kindNames[s.kind] || s.kind),
    h('td', {}, sharedValue(s)),
    h('td', { class: 'num' }, fmtNumber(s.count)),
    h('td', {}, s.links ? h('span', { class: 'badge ok' }, 'links')
      : h('span', { class: 'muted' }, s.common ? 'ignored: shared by many incidents of several brands' : 'context only'))));
  return h('section', { class: 'card', id: 'campaign-shared' }, h('h2', {}, 'Shared infrastructure'),
    table(['Kind', 'Value', 'Incidents#', 'Grouping'], rows, { class: 'grid compact' }));
}

function incidentsCard(c) {
  const rows = (c.incidents || []).map((inc) => h('tr', { class: 'incident-row', dataset: { id: String(inc.id) } },
    h('td', {}, severityBadge(inc.severity)),
    h('td', { class: 'num' }, fmtNumber(inc.score)),
    h('td', {}, inc.asset || ''),
    h('td', { class: 'domain-col' }, h('a', { href: `#/incidents/${encodeURIComponent(inc.id)}` }, domainCell(inc.domain_unicode, inc.domain, inc.asset))),
    h('td', { class: 'time' }, fmtTime(inc.first_seen || inc.created_at)),
    h('td', {}, statusBadge(inc.status), inc.verdict ? h('span', { class: 'verdict' }, inc.verdict.replace('_', ' ')) : null)));
  return h('section', { class: 'card', id: 'campaign-incidents' },
    h('h2', {}, `Incidents (${fmtNumber((c.incidents || []).length)})`),
    table(['Severity', 'Score#', 'Asset', 'Domain', 'First seen', 'Status'], rows, { class: 'grid' }));
}

// closeCard closes every open incident of the campaign after a confirmation that names how
// many; a viewer is told triage needs the analyst role instead.
function closeCard(c, me, reload, fail) {
  const viewer = Boolean(me && me.role === 'viewer');
  const message = h('div', { id: 'campaign-close-message' });
  if (!c.open) {
    return h('section', { class: 'card', id: 'campaign-close' }, h('h2', {}, 'Close campaign'),
      h('p', { class: 'muted', id: 'campaign-all-closed' }, 'Every incident of this campaign is closed.'));
  }
  const verdict = h('select', { id: 'campaign-verdict', name: 'verdict', disabled: viewer },
    verdicts.map(([v, text]) => h('option', { value: v }, text)));
  const note = h('textarea', { id: 'campaign-note', name: 'note', rows: 2, maxlength: 4096, disabled: viewer,
    placeholder: 'Added to each incident\'s note' });
  const what = h('span', {});
  const confirmBox = h('div', { class: 'confirm', hidden: true, id: 'campaign-confirm-box' },
    h('p', {}, what),
    h('button', { type: 'button', class: 'danger', id: 'campaign-confirm', onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        const res = await api.closeCampaign(c.id, { verdict: verdict.value, note: note.value.trim() });
        await reload(`Closed ${plural((res.closed || []).length, 'incident')}.`);
      } catch (err) {
        ev.target.disabled = false;
        showFailure(fail, message, err);
      }
    } }, 'Close them'),
    h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; } }, 'Cancel'));
  const button = h('button', { type: 'button', class: 'danger-outline', id: 'campaign-close-button', disabled: viewer, onclick: () => {
    const label = verdicts.find(([v]) => v === verdict.value);
    what.textContent = `Close ${plural(c.open, 'open incident')} of this campaign as ${label ? label[1].toLowerCase() : verdict.value}? Each incident's history records the change.`;
    confirmBox.hidden = false;
  } }, 'Close campaign');
  return h('section', { class: 'card', id: 'campaign-close' }, h('h2', {}, 'Close campaign'),
    viewer ? h('p', { class: 'muted', id: 'campaign-readonly' }, 'Read-only: closing needs the analyst role.') : null,
    h('div', { class: 'row' },
      h('label', { class: 'field' }, h('span', {}, 'Verdict'), verdict),
      h('label', { class: 'field grow' }, h('span', {}, 'Note'), note),
      h('div', { class: 'field actions' }, button)),
    confirmBox, message);
}

export async function renderCampaign(ctx, id, flash) {
  const [c, me] = await Promise.all([api.campaign(id), api.me().catch(() => null)]);
  if (!ctx.alive()) return null;
  const reload = async (text) => { await renderCampaign(ctx, c.id, text); };
  replace(ctx.main,
    h('div', { class: 'page-head' },
      h('a', { href: '#/campaigns', class: 'back' }, '← Campaigns'),
      h('h1', { id: 'campaign-title' }, `Campaign ${c.id}`), severityBadge(c.severity)),
    flash ? notice('ok', flash) : null,
    h('section', { class: 'card' }, kv([
      ['Incidents', `${fmtNumber(c.size)} (${fmtNumber(c.open)} open)`],
      ['Status', h('span', { id: 'campaign-status-counts' }, statusCounts(c))],
      ['Assets', (c.assets || []).join(', ')],
      ['First seen', fmtTime(c.first_seen)],
      ['Last seen', fmtTime(c.last_seen)],
    ])),
    sharedCard(c),
    incidentsCard(c),
    closeCard(c, me, reload, ctx.fail));
  return null;
}

export { campaignLink };
