// The inventory page: the protected domains' own certificates seen in CT (issuance), with the
// names never seen before and those whose newest certificate is about to expire called out.
// Everything shown (names, issuer fields) comes from certificates: text nodes only.
import { api } from './api.js';
import { fmtNumber, fmtTime, h, notice, replace, table } from './dom.js';

const verdictClass = { allowed: 'ok', 'unauthorized-issuer': 'bad', 'unexpected-key': 'st-investigating', unchecked: 'st-unknown' };

function verdictBadge(verdict, detail) {
  const cls = verdictClass[verdict] || 'st-unknown';
  return h('span', { class: `badge ${cls}`, title: detail || '' }, verdict || 'unknown');
}

function issuerText(issuer) {
  if (!issuer) return '—';
  const parts = [];
  if (issuer.CN) parts.push(issuer.CN);
  if (issuer.O && issuer.O !== issuer.CN) parts.push(`O=${issuer.O}`);
  return parts.join(', ') || '—';
}

function nameFlags(n) {
  return [
    n.new ? h('span', { class: 'badge st-new' }, 'new') : null,
    n.expired ? h('span', { class: 'badge bad' }, 'expired') : null,
    n.expiring ? h('span', { class: 'badge st-investigating' }, 'expiring') : null,
  ];
}

function namesTable(names) {
  if (!names.length) return h('p', { class: 'muted' }, 'No certificate for a protected domain has been seen yet.');
  return table(['Name', 'Domain', '', 'First seen', 'Last seen', 'Newest expiry'],
    names.map((n) => h('tr', { dataset: { name: n.name } },
      h('td', { class: 'mono' }, n.name),
      h('td', { class: 'mono muted' }, n.asset),
      h('td', {}, nameFlags(n)),
      h('td', { class: 'time' }, fmtTime(n.first_seen)),
      h('td', { class: 'time' }, fmtTime(n.last_seen)),
      h('td', { class: 'time' }, fmtTime(n.not_after)))), { id: 'inventory-names' });
}

function certsTable(certs) {
  if (!certs.length) return h('p', { class: 'muted' }, 'No certificates.');
  return table(['Seen', 'Type', 'Names', 'Issuer', 'Key (SPKI SHA-256)', 'Not after', 'Verdict', 'Log'],
    certs.map((c) => h('tr', { dataset: { sha256: c.sha256 } },
      h('td', { class: 'time' }, fmtTime(c.seen_at)),
      h('td', {}, h('span', { class: `tag ${c.entry_type === 'precert' ? 'tag-precert' : 'tag-final'}` }, c.entry_type || '—')),
      h('td', { class: 'mono wrap' }, (c.names || []).join(' ')),
      h('td', { class: 'issuer' }, issuerText(c.issuer)),
      h('td', { class: 'mono small', title: c.spki_sha256 || '' }, c.spki_sha256 ? `${c.spki_sha256.slice(0, 16)}…` : '—'),
      h('td', { class: `time ${c.expiring ? 'warn-text' : ''}` }, fmtTime(c.not_after)),
      h('td', {}, verdictBadge(c.verdict, c.detail), c.detail ? h('div', { class: 'muted small wrap' }, c.detail) : null),
      h('td', { class: 'mono muted small' }, `${(c.log && c.log.name) || ''} #${fmtNumber(c.log && c.log.index)}`))), { id: 'inventory-certs' });
}

export async function renderInventory(ctx, params) {
  const domain = (params.get('domain') || '').trim();
  const data = await api.inventory({ domain });
  if (!ctx.alive()) return;
  const names = data.names || [];
  const certs = data.certificates || [];
  const form = h('form', { class: 'filters', id: 'inventory-filter' },
    h('label', { class: 'field' }, h('span', {}, 'Protected domain'),
      h('input', { name: 'domain', id: 'inventory-domain', type: 'text', value: domain, placeholder: 'all' })),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'primary', id: 'inventory-apply' }, 'Show')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = String(new FormData(form).get('domain') || '').trim();
    location.hash = value ? `#/inventory?domain=${encodeURIComponent(value)}` : '#/inventory';
  });
  const fresh = names.filter((n) => n.new);
  const expiring = names.filter((n) => n.expiring || n.expired);
  const summary = h('p', { class: 'muted', id: 'inventory-summary' },
    `${fmtNumber(names.length)} names, ${fmtNumber(certs.length)}${data.truncated ? '+' : ''} certificates; `,
    `${fmtNumber(fresh.length)} new (first seen within ${data.new_name_window || '—'}), `,
    `${fmtNumber(expiring.length)} expiring within ${data.expiry_window || '—'} or expired.`);
  replace(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Own certificates')),
    form, summary,
    expiring.length ? notice('error', `Not renewed in time: ${expiring.map((n) => n.name).join(', ')}`) : null,
    h('h2', { class: 'section-title' }, 'Names'), h('div', { class: 'card flush' }, namesTable(names)),
    h('h2', { class: 'section-title' }, 'Certificates'), h('div', { class: 'card flush' }, certsTable(certs)));
  return null;
}
