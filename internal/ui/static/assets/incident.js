// The incident page: everything an analyst needs to decide on one incident — why it scored, every
// certificate with every field and log sighting, intel hits, related incidents — and the actions.
import { api } from './api.js';
import {
  codePoint, domainCell, externalLink, fmtNumber, fmtTime, h, kv, markedDomain, notice, replace,
  safeURL, severityBadge, showFailure, statusBadge, table,
} from './dom.js';
import { evidenceCard } from './evidence.js';

const statuses = [['new', 'New'], ['investigating', 'Investigating'], ['closed', 'Closed']];
const verdicts = [['', '— none —'], ['true_positive', 'True positive'], ['false_positive', 'False positive'], ['benign', 'Benign']];

const trimSlash = (url) => url.replace(/\/+$/, '');

// logTypes maps each known source URL (without trailing slash) to its type, so sightings can link
// to the right kind of entry URL. Failing to get them only loses that precision.
async function logTypes() {
  try {
    const data = await api.sources();
    return new Map((data.sources || []).filter((s) => typeof s.url === 'string').map((s) => [trimSlash(s.url), s.type]));
  } catch {
    return new Map();
  }
}

// entryLink links a log sighting to the entry: RFC 6962 logs serve one entry by get-entries; a
// static-ct-api tile holds many entries, so for those the log itself is linked with the index shown.
// Only logs certhunt itself follows are linked: a certstream feed names whatever log URL it likes,
// and a link the analyst trusts must not lead to a page the feed chose.
function entryLink(log, types) {
  const base = safeURL(log && log.url);
  const index = log && log.index;
  const label = Number.isSafeInteger(index) ? `#${index}` : '';
  const type = base ? types.get(trimSlash(base)) : undefined;
  if (!base || !/^https?:/.test(base) || (type !== 'rfc6962' && type !== 'static')) {
    return h('span', { class: 'mono' }, label || '—');
  }
  if (type === 'static' || !Number.isSafeInteger(index) || index < 0) {
    return h('span', {}, h('span', { class: 'mono' }, label), ' ', externalLink(base, 'log'));
  }
  return externalLink(`${trimSlash(base)}/ct/v1/get-entries?start=${index}&end=${index}`, label);
}

function downloadPEM(cert) {
  const blob = new Blob([cert.pem], { type: 'application/x-pem-file' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { download: `${String(cert.sha256 || 'certificate').replace(/[^0-9a-zA-Z]/g, '')}.pem` });
  a.href = url;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function nameView(name) {
  if (!name) return h('span', { class: 'muted' }, '—');
  const parts = [['CN', name.CN], ['O', name.O], ['OU', name.OU], ['L', name.L], ['ST', name.ST], ['C', name.C]];
  return h('div', { class: 'dn' },
    kv(parts.map(([k, v]) => [k, v ? h('span', { class: 'mono' }, v) : ''])),
    name.raw ? h('div', { class: 'raw mono', title: 'RFC 2253 form' }, name.raw) : null);
}

function validity(cert) {
  const now = Date.now();
  const from = Date.parse(cert.not_before);
  const to = Date.parse(cert.not_after);
  let state = null;
  if (to < now) state = h('span', { class: 'badge st-closed' }, 'expired');
  else if (from > now) state = h('span', { class: 'badge st-investigating' }, 'not yet valid');
  else if (!Number.isNaN(to)) state = h('span', { class: 'badge ok' }, 'valid');
  const days = Number.isNaN(from) || Number.isNaN(to) ? '' : ` (${Math.round((to - from) / 86400000)} days)`;
  return h('span', {}, fmtTime(cert.not_before), ' → ', fmtTime(cert.not_after), days, ' ', state);
}

function certificateCard(cert, types, position) {
  const names = cert.dns_names || [];
  const sightings = cert.sightings && cert.sightings.length ? cert.sightings : [{ log: cert.log, seen_at: cert.seen_at }];
  const kind = cert.entry_type === 'precert' ? 'Precertificate' : 'Certificate';
  return h('section', { class: 'card cert', dataset: { sha256: String(cert.sha256 || '') } },
    h('div', { class: 'card-head' },
      h('h3', {}, `${kind} ${position}`),
      h('span', { class: `tag ${cert.entry_type === 'precert' ? 'tag-precert' : 'tag-final'}` }, cert.entry_type === 'precert' ? 'precert' : 'final'),
      h('div', { class: 'spacer' }),
      cert.pem ? h('button', { type: 'button', class: 'small', onclick: () => downloadPEM(cert) }, 'Download PEM') : null,
      cert.sha256 ? externalLink(`https://crt.sh/?q=${encodeURIComponent(cert.sha256)}`, 'crt.sh') : null),
    kv([
      ['Subject', nameView(cert.subject)],
      ['Issuer', nameView(cert.issuer)],
      ['DNS names', h('ul', { class: 'names' }, names.map((n) => h('li', {}, markedDomain(n))))],
      ['Validity', validity(cert)],
      ['Serial', h('span', { class: 'mono wrap' }, cert.serial || '—')],
      ['SHA-256', h('span', { class: 'mono wrap sha256' }, cert.sha256 || '—')],
      ['SHA-1', h('span', { class: 'mono wrap sha1' }, cert.sha1 || '—')],
      ['Signature', cert.signature_algorithm || ''],
    ]),
    h('h4', {}, `Log sightings (${sightings.length})`),
    table(['Log', 'Index#', 'Seen'], sightings.map((s) => h('tr', {},
      h('td', {}, (s.log && s.log.name) || (s.log && s.log.url) || '—'),
      h('td', { class: 'num' }, entryLink(s.log, types)),
      h('td', { class: 'time' }, fmtTime(s.seen_at)))), { class: 'grid compact' }),
    cert.pem ? h('details', { class: 'pem' }, h('summary', {}, 'PEM'), h('pre', { class: 'mono' }, cert.pem)) : null);
}

function confusables(inc) {
  const chars = [];
  for (const ch of new Set(String(inc.domain_unicode || ''))) {
    const cp = ch.codePointAt(0);
    if (cp >= 0x80) chars.push(h('li', {}, h('span', { class: 'cp' }, ch), ' ', h('span', { class: 'mono' }, codePoint(cp))));
  }
  return chars.length ? h('ul', { class: 'cps' }, chars) : null;
}

function summary(inc) {
  const m = inc.matched || {};
  const similarity = typeof m.similarity === 'number' && m.similarity > 0 ? ` (similarity ${m.similarity.toFixed(2)})` : '';
  const name = inc.domain || '';
  return h('section', { class: 'card' },
    kv([
      ['Asset', inc.asset || h('span', { class: 'muted' }, 'none (intel only)')],
      ['Registered domain', inc.registered_domain ? h('span', { class: 'mono' }, inc.registered_domain) : ''],
      ['Matched', m.kind ? h('span', {}, h('span', { class: 'tag' }, m.kind), ' ', h('span', { class: 'mono' }, m.value || ''), similarity) : ''],
      ['Non-ASCII', confusables(inc)],
      ['First seen', fmtTime(inc.first_seen || inc.created_at)],
      ['Last seen', fmtTime(inc.last_seen || inc.updated_at)],
      ['Sightings', fmtNumber(inc.sightings)],
      ['Campaign', inc.campaign ? h('a', { href: `#/campaigns/${encodeURIComponent(inc.campaign)}`, id: 'incident-campaign', class: 'mono' }, inc.campaign) : ''],
      ['Created', fmtTime(inc.created_at)],
      ['Updated', fmtTime(inc.updated_at)],
      ['Look up', name ? h('span', { class: 'links' },
        externalLink(`https://crt.sh/?q=${encodeURIComponent(name)}`, 'crt.sh'),
        externalLink(`https://www.virustotal.com/gui/domain/${encodeURIComponent(name)}`, 'VirusTotal'),
        externalLink(`https://urlscan.io/search/#${encodeURIComponent(`domain:${name}`)}`, 'urlscan.io')) : ''],
    ]));
}

function reasonsCard(inc) {
  const reasons = inc.reasons || [];
  const total = reasons.reduce((sum, r) => sum + (Number(r.points) || 0), 0);
  return h('section', { class: 'card' },
    h('h2', {}, 'Why it scored'),
    reasons.length ? table(['Rule', 'Points#', 'Detail'], [
      ...reasons.map((r) => h('tr', {},
        h('td', {}, h('span', { class: 'tag' }, r.rule || '—')),
        h('td', { class: 'num' }, fmtNumber(r.points)),
        h('td', {}, r.detail || ''))),
      h('tr', { class: 'total' }, h('td', {}, 'Total (capped at 100)'), h('td', { class: 'num' }, fmtNumber(total)), h('td', {}, `score ${fmtNumber(inc.score)}`)),
    ], { class: 'grid compact', id: 'reasons' }) : h('p', { class: 'muted' }, 'No reasons recorded.'));
}

function intelCard(inc) {
  const hits = inc.intel_hits || [];
  return h('section', { class: 'card' },
    h('h2', {}, `Threat intel (${hits.length})`),
    hits.length ? table(['Feed', 'Indicator', 'Type', 'First seen'], hits.map((hit) => h('tr', {},
      h('td', {}, hit.feed || '—'),
      h('td', { class: 'mono wrap' }, hit.indicator || ''),
      h('td', {}, hit.threat_type || ''),
      h('td', { class: 'time' }, fmtTime(hit.first_seen)))), { class: 'grid compact' })
      : h('p', { class: 'muted' }, 'No feed lists this name.'));
}

function historyList(inc) {
  const events = inc.history || [];
  if (!events.length) return h('p', { class: 'muted', id: 'history' }, 'No changes yet.');
  return h('ol', { class: 'history', id: 'history' }, [...events].reverse().map((ev) => h('li', {},
    fmtTime(ev.at), ' ',
    h('strong', {}, ev.field || ''), ' → ',
    ev.field === 'note' ? h('q', {}, ev.value || '') : h('span', {}, ev.value || '(none)'),
    ev.author ? h('span', { class: 'muted' }, ` by ${ev.author}`) : null)));
}

function deliveryBadge(status) {
  const kind = { delivered: 'ok', ok: 'ok', failed: 'bad' }[status] || 'st-investigating';
  return h('span', { class: `badge ${kind}` }, status || '—');
}

function deliveriesCard(inc) {
  const list = inc.deliveries || [];
  if (!list.length) return null;
  return h('section', { class: 'card' },
    h('h2', {}, 'Notifications'),
    h('ul', { class: 'deliveries', id: 'deliveries' }, list.map((d) => h('li', {},
      h('div', { class: 'line' },
        h('strong', {}, d.target || '—'), deliveryBadge(d.status),
        h('span', { class: 'muted' }, `${fmtNumber(d.attempts)} attempt${d.attempts === 1 ? '' : 's'}`),
        h('span', { class: 'spacer' }), fmtTime(d.at)),
      d.last_error ? h('div', { class: 'error-text' }, d.last_error) : null))));
}

function actionsCard(inc, reload, fail, me) {
  // A viewer may read but not triage: the controls say so instead of failing on use.
  const viewer = Boolean(me && me.role === 'viewer');
  const message = h('div', { class: 'action-message' },
    viewer ? h('span', { class: 'muted', id: 'action-readonly' }, 'Read-only: triage needs the analyst role.') : null);
  const status = h('select', { id: 'action-status', name: 'status' }, statuses.map(([v, t]) => h('option', { value: v, selected: v === inc.status }, t)));
  const verdict = h('select', { id: 'action-verdict', name: 'verdict' }, verdicts.map(([v, t]) => h('option', { value: v, selected: v === (inc.verdict || '') }, t)));
  const note = h('textarea', { id: 'action-note', name: 'note', rows: 3, placeholder: 'Analyst note' });
  note.value = inc.note || '';
  const save = h('button', { type: 'submit', class: 'primary', id: 'action-save', disabled: viewer }, 'Save');

  const form = h('form', { class: 'actions-form' },
    h('label', { class: 'field' }, h('span', {}, 'Status'), status),
    h('label', { class: 'field' }, h('span', {}, 'Verdict'), verdict),
    h('label', { class: 'field wide' }, h('span', {}, 'Note'), note),
    h('div', { class: 'row' }, save, message));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const changes = {};
    if (status.value !== inc.status) changes.status = status.value;
    if (verdict.value !== (inc.verdict || '')) changes.verdict = verdict.value;
    if (note.value !== (inc.note || '')) changes.note = note.value;
    if (!Object.keys(changes).length) {
      replace(message, notice('info', 'Nothing changed.'));
      return;
    }
    save.disabled = true;
    try {
      await api.updateIncident(inc.id, changes);
      await reload('Saved.');
    } catch (err) {
      save.disabled = false;
      showFailure(fail, message, err);
    }
  });

  // A false positive can allow the exact name or its whole registered domain (every name under
  // it); the allow entry names this incident, so the change joins its history.
  const name = inc.domain || '';
  const registered = inc.registered_domain && inc.registered_domain !== name ? inc.registered_domain : '';
  const fpMessage = h('div', {});
  let target = name;
  const targetText = h('span', { class: 'mono' }, name);
  const confirmBox = h('div', { class: 'confirm', hidden: true },
    h('p', {}, 'Close as false positive and never alert on ', targetText, ' (and names under it) again?'),
    h('button', { type: 'button', class: 'danger', id: 'fp-confirm', onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await api.updateIncident(inc.id, { verdict: 'false_positive', status: 'closed' });
        await api.allow(target, inc.id);
        await reload(`Closed; ${target} is now allowed.`);
      } catch (err) {
        ev.target.disabled = false;
        showFailure(fail, fpMessage, err);
      }
    } }, 'Close and allow'),
    h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; } }, 'Cancel'));
  const ask = (domain) => () => {
    target = domain;
    targetText.textContent = domain;
    confirmBox.hidden = false;
  };
  const fp = h('button', { type: 'button', class: 'danger-outline', id: 'fp-allow', disabled: !name || viewer, onclick: ask(name) },
    'False positive: allow this name');
  const fpRegistered = registered ? h('button', { type: 'button', class: 'danger-outline', id: 'fp-allow-registered', disabled: viewer, onclick: ask(registered) },
    'Allow the registered domain ', h('span', { class: 'mono' }, registered)) : null;

  // An own-domain certificate (issuance) is not silenced by allowing its name: a false-positive
  // verdict silences its (domain, issuer) group, whose later certificates join this incident.
  const own = inc.matched && inc.matched.kind === 'issuance';
  const fpBox = own
    ? h('p', { class: 'muted fp', id: 'fp-issuance' }, 'A certificate for a protected domain itself: set the verdict to false positive to stop notifications for this issuer here, or add the issuer to issuance.allowed_issuers.')
    : h('div', { class: 'fp' }, h('div', { class: 'row' }, fp, fpRegistered), confirmBox, fpMessage);
  return h('section', { class: 'card' },
    h('h2', {}, 'Actions'), form,
    fpBox,
    h('h3', {}, 'History'), historyList(inc));
}

// relatedCard lists other incidents found by a list query, filled in when the answer arrives.
function relatedCard(title, id, load, selfID, ctx) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  load().then((page) => {
    if (!ctx.alive()) return;
    const others = (page.incidents || []).filter((inc) => inc.id !== selfID);
    if (!others.length) {
      replace(body, h('p', { class: 'muted' }, 'None.'));
      return;
    }
    replace(body, h('ul', { class: 'related' }, others.map((inc) => h('li', {},
      h('span', {}, severityBadge(inc.severity)),
      h('a', { href: `#/incidents/${encodeURIComponent(inc.id)}` }, domainCell(inc.domain_unicode, inc.domain, inc.asset)),
      statusBadge(inc.status),
      h('span', { class: 'when' }, 'last seen ', fmtTime(inc.last_seen || inc.updated_at))))));
  }).catch((err) => {
    if (ctx.alive()) replace(body, notice('error', err.message));
  });
  return h('section', { class: 'card', id }, h('h2', {}, title), body);
}

export async function renderIncident(ctx, id, flash) {
  const [inc, types, me] = await Promise.all([api.incident(id), logTypes(), api.me().catch(() => null)]);
  if (!ctx.alive()) return null;
  const reload = async (message) => {
    await renderIncident(ctx, id, message);
  };
  const certs = inc.certificates || [];
  document.title = `${inc.domain_unicode || inc.domain || 'Incident'} · certhunt`;
  replace(ctx.main,
    h('div', { class: 'breadcrumb' }, h('a', { href: '#/incidents' }, '← Incidents')),
    h('div', { class: 'page-head incident-head' },
      severityBadge(inc.severity),
      h('span', { class: 'score big', title: 'score 0..100' }, fmtNumber(inc.score)),
      h('h1', { id: 'incident-domain' }, domainCell(inc.domain_unicode, inc.domain, inc.asset)),
      h('span', { id: 'incident-status' }, statusBadge(inc.status)),
      inc.verdict ? h('span', { class: 'verdict', id: 'incident-verdict' }, inc.verdict.replace('_', ' ')) : null,
      h('div', { class: 'spacer' }),
      h('span', { class: 'muted' }, inc.asset ? `asset ${inc.asset}` : 'intel only')),
    flash ? notice('ok', flash) : null,
    h('div', { class: 'columns' },
      h('div', { class: 'col-main' },
        summary(inc),
        reasonsCard(inc),
        intelCard(inc),
        h('h2', { class: 'section-title' }, `Certificates (${certs.length})`),
        certs.length ? certs.map((c, i) => certificateCard(c, types, certs.length > 1 ? `${i + 1} of ${certs.length}` : ''))
          : h('p', { class: 'muted' }, 'No certificates recorded.')),
      h('div', { class: 'col-side' },
        actionsCard(inc, reload, ctx.fail, me),
        evidenceCard(inc, reload, ctx.fail),
        deliveriesCard(inc),
        inc.registered_domain ? relatedCard(`Same registered domain`, 'related-domain', () => api.incidents({ q: inc.registered_domain, limit: 20 }), inc.id, ctx) : null,
        inc.asset ? relatedCard(`Same asset: ${inc.asset}`, 'related-asset', () => api.incidents({ asset: inc.asset, limit: 20 }), inc.id, ctx) : null)));
  return null;
}
