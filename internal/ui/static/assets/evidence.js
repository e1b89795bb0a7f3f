// The incident page's Evidence card: what DNS, RDAP and the suspect site said about the name
// (internal/enrich), the screenshots, and a button to look again. Every value comes from a
// suspect's DNS, registry or web server: text only, and its URLs are shown, never linked.
import { request } from './api.js';
import { fmtTime, h, kv, notice, replace, showFailure } from './dom.js';

const dnsStatus = {
  resolves: ['bad', 'resolves'], nodata: ['st-investigating', 'no address'], nxdomain: ['ok', 'NXDOMAIN'],
  servfail: ['st-investigating', 'SERVFAIL'], timeout: ['st-investigating', 'timeout'],
};

const list = (values) => (values && values.length ? h('span', { class: 'mono wrap' }, values.join(', ')) : null);

function dnsPairs(d) {
  const [kind, text] = dnsStatus[d.status] || ['st-investigating', d.status || 'unknown'];
  return [
    ['DNS', h('span', { class: `badge ${kind}`, id: 'evidence-dns' }, text)],
    ['A', list(d.a)], ['AAAA', list(d.aaaa)],
    ['CNAME', d.cname ? h('span', { class: 'mono' }, d.cname) : null],
    ['MX', list(d.mx)], ['NS', list(d.ns)],
    ['CAA', list(d.caa)],
    ['Parked', d.parked ? `yes (${d.parking_ns || 'parking name server'})` : null],
    ['Wildcard', d.wildcard ? 'yes: any name under the registered domain resolves' : null],
    ['DNS error', d.error ? h('span', { class: 'error-text' }, d.error) : null],
  ];
}

const yes = (v, text) => (v ? h('span', { class: 'badge bad' }, text || 'yes') : null);

function httpPairs(w) {
  const status = w.status ? `HTTP ${w.status}` : 'no page';
  let sim = null;
  if (typeof w.brand_similarity === 'number') {
    sim = h('span', { id: 'evidence-similarity', class: w.brand_similarity >= 0.5 ? 'badge bad' : '' }, w.brand_similarity.toFixed(2));
  }
  let cert = null;
  if (typeof w.cert_matches_ct === 'boolean') cert = w.cert_matches_ct ? 'one of the incident\'s certificates' : 'not from CT';
  return [
    ['Site', h('span', { class: `badge ${w.status ? 'bad' : 'st-investigating'}`, id: 'evidence-http' }, status)],
    ['URL', w.url ? h('span', { class: 'mono wrap' }, w.url) : null],
    ['Redirects', w.redirects && w.redirects.length
      ? h('ol', { class: 'mono wrap', id: 'evidence-redirects' }, w.redirects.map((u) => h('li', {}, u))) : null],
    ['Final URL', w.final_url && w.final_url !== w.url ? h('span', { class: 'mono wrap' }, w.final_url) : null],
    ['Title', w.title ? h('span', { id: 'evidence-title', class: 'wrap' }, w.title) : null],
    ['Login form', yes(w.login_form, w.password_form ? 'yes, with a password field' : 'yes')],
    ['Payment form', yes(w.payment_form)],
    ['Brand words', list(w.brand_words)],
    ['Like the protected site', sim],
    ['Parked page', w.parked ? 'yes' : null],
    ['Certificate', cert],
    ['Favicon hash', typeof w.favicon_hash === 'number' ? h('span', { class: 'mono' }, String(w.favicon_hash)) : null],
    ['Body', w.bytes ? `${w.bytes} bytes${w.truncated ? ' (cut at the limit)' : ''}` : null],
    ['Site error', w.error ? h('span', { class: 'error-text' }, w.error) : null],
    ['Comparison', w.brand_error ? h('span', { class: 'muted' }, w.brand_error) : null],
  ];
}

function rdapPairs(r) {
  let age = null;
  if (typeof r.age_days === 'number') age = `${r.age_days} day${r.age_days === 1 ? '' : 's'}`;
  return [
    ['Registrar', r.registrar || null],
    ['Registered', r.created ? fmtTime(r.created) : null],
    ['Age', age ? h('span', { id: 'evidence-age', class: r.age_days < 30 ? 'badge bad' : '' }, age) : null],
    ['Expires', r.expires ? fmtTime(r.expires) : null],
    ['RDAP', r.unavailable ? 'the registry offers no RDAP' : null],
    ['RDAP error', r.error && !r.unavailable ? h('span', { class: 'error-text' }, r.error) : null],
  ];
}

// screenshots shows the suspect's and the protected site's pictures side by side. The img
// sources are the API paths built from the incident ID, never a URL from the evidence; the page
// address shot and any error are text.
function screenshots(inc, s) {
  const base = `/api/v1/incidents/${encodeURIComponent(inc.id)}`;
  const shot = (id, path, alt, caption) => h('figure', { class: 'shot' },
    h('a', { href: path }, h('img', { id, src: path, alt, width: 640, height: 400, loading: 'lazy' })),
    h('figcaption', {}, caption));
  const sim = typeof s.visual_similarity === 'number' ? s.visual_similarity : null;
  return h('div', { id: 'evidence-screenshots' },
    h('h3', {}, 'Screenshots'),
    sim === null ? null : h('p', {}, 'Visual similarity: ', h('span', {
      id: 'evidence-similarity', class: sim >= 0.9 ? 'badge bad' : 'badge',
    }, `${Math.round(sim * 100)}%`), sim >= 0.9 ? ' \u2014 looks like the brand\'s site' : ''),
    h('div', { class: 'shots' },
      s.url ? shot('evidence-shot', `${base}/screenshot.png`, `screenshot of the suspect site ${inc.domain}`,
        h('span', { class: 'mono wrap' }, s.page || inc.domain)) : null,
      s.protected_url ? shot('evidence-shot-protected', `${base}/screenshot-protected.png`,
        `screenshot of the protected site ${inc.asset}`, h('span', { class: 'mono wrap' }, `https://${inc.asset}/ (protected)`)) : null),
    s.error ? h('p', { class: 'error-text', id: 'evidence-shot-error' }, s.error) : null,
    s.taken_at ? h('p', { class: 'muted' }, 'Taken ', fmtTime(s.taken_at)) : null);
}

// evidenceCard shows inc.enrichment, or says it is still being gathered.
export function evidenceCard(inc, reload, fail) {
  const e = inc.enrichment;
  const message = h('div', { class: 'action-message' });
  const again = h('button', { type: 'button', id: 'evidence-recheck', onclick: async () => {
    again.disabled = true;
    try {
      await request('POST', `/api/v1/incidents/${encodeURIComponent(inc.id)}/enrich`);
      replace(message, notice('ok', 'Queued: reload in a moment to see the new look.'));
    } catch (err) {
      again.disabled = false;
      showFailure(fail, message, err);
    }
  } }, 'Look again');
  if (!e) {
    return h('section', { class: 'card', id: 'evidence' }, h('h2', {}, 'Evidence'),
      h('p', { class: 'muted' }, 'Not gathered yet (or enrichment is off).'), again, message);
  }
  const history = e.history || [];
  return h('section', { class: 'card', id: 'evidence' },
    h('h2', {}, 'Evidence'),
    kv([
      ...(e.dns ? dnsPairs(e.dns) : []),
      ...(e.rdap ? rdapPairs(e.rdap) : []),
      ...(e.http ? httpPairs(e.http) : []),
      ['Checked', fmtTime(e.checked_at)],
      ['Next check', e.next_check ? fmtTime(e.next_check) : 'none scheduled'],
    ]),
    e.screenshot ? screenshots(inc, e.screenshot) : null,
    (e.reasons || []).length ? h('ul', { class: 'reasons', id: 'evidence-reasons' }, e.reasons.map((r) => h('li', {},
      h('span', { class: 'mono' }, `${r.points > 0 ? '+' : ''}${r.points}`), ' ', r.detail || r.rule || ''))) : null,
    history.length ? h('ol', { class: 'history', id: 'evidence-history' }, [...history].reverse().map((c) => h('li', {},
      fmtTime(c.at), ' ', h('span', {}, c.change || '')))) : null,
    again, message);
}
