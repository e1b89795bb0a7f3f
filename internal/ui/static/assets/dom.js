// DOM helpers. Everything shown comes from the API and is untrusted, so elements are only ever
// built with createElement/textContent, and URLs only ever accept http(s).

// safeURL returns url when it is an absolute http(s) URL (or a same-origin path/fragment), else "".
export function safeURL(url) {
  if (typeof url !== 'string' || url === '') return '';
  if (url.startsWith('#') || (url.startsWith('/') && !url.startsWith('//'))) return url;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : '';
  } catch {
    return '';
  }
}

// h builds an element. attrs: class, text, href (checked by safeURL), on* handlers (functions),
// dataset, and plain attributes; children: nodes, strings (text), or null/false (skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'href') {
      const url = safeURL(value);
      if (url) el.setAttribute('href', url);
    } else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (typeof value === 'boolean') el.toggleAttribute(key, value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

// replace empties el and fills it with children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// externalLink opens outside the app, without leaking the page as referrer.
export function externalLink(href, text) {
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'ext' }, text);
}

// codePoint formats a code point as U+XXXX.
export function codePoint(cp) {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

// lookalikePositions finds, in name, the characters that differ from the asset's first label in
// a label (or hyphen-separated part) of the same length that differs from it in at most two
// places (paypa1 for paypal): the ASCII confusables that the non-ASCII marking cannot see. It
// returns a map of character index to the asset's character there.
function lookalikePositions(chars, asset) {
  const out = new Map();
  const target = [...String(asset || '').split('.')[0]];
  if (target.length < 3) return out;
  let start = 0;
  for (let i = 0; i <= chars.length; i++) {
    if (i < chars.length && chars[i] !== '.' && chars[i] !== '-') continue;
    const label = chars.slice(start, i);
    if (label.length === target.length) {
      const diffs = label.flatMap((ch, j) => (ch === target[j] ? [] : [j]));
      if (diffs.length > 0 && diffs.length <= 2) for (const j of diffs) out.set(start + j, target[j]);
    }
    start = i + 1;
  }
  return out;
}

// markedDomain shows a domain with every non-ASCII code point (where homographs hide) wrapped in
// a highlighted span whose title names the code point; given the asset, ASCII characters that
// stand in for the asset's own (1 for l) are marked too.
export function markedDomain(name, asset) {
  const el = h('span', { class: 'domain' });
  const chars = [...String(name || '')];
  const swapped = lookalikePositions(chars, asset);
  let plain = '';
  const flush = () => {
    if (plain) el.appendChild(document.createTextNode(plain));
    plain = '';
  };
  chars.forEach((ch, i) => {
    const cp = ch.codePointAt(0);
    if (cp >= 0x80) {
      flush();
      el.appendChild(h('span', { class: 'cp', title: codePoint(cp), 'aria-label': `${ch} ${codePoint(cp)}` }, ch));
    } else if (swapped.has(i)) {
      flush();
      const title = `${codePoint(cp)} in place of ${swapped.get(i)}`;
      el.appendChild(h('span', { class: 'cp swap', title, 'aria-label': `${ch}, ${title}` }, ch));
    } else {
      plain += ch;
    }
  });
  flush();
  return el;
}

// domainCell shows the Unicode form (marked) and, when it differs, the punycode form under it.
export function domainCell(unicode, ascii, asset) {
  const shown = unicode || ascii || '';
  return h('span', { class: 'domain-pair' },
    markedDomain(shown, asset),
    ascii && ascii !== shown ? h('span', { class: 'puny', title: 'punycode (ASCII) form' }, ascii) : null);
}

const severities = ['low', 'medium', 'high', 'critical'];
const statuses = ['new', 'investigating', 'closed'];

export function severityBadge(sev) {
  const known = severities.includes(sev) ? sev : 'unknown';
  return h('span', { class: `badge sev-${known}` }, sev || 'unknown');
}

export function statusBadge(status) {
  const known = statuses.includes(status) ? status : 'unknown';
  return h('span', { class: `badge st-${known}` }, status || 'unknown');
}

// fmtTime renders an RFC 3339 time as a compact UTC timestamp; the title keeps the original.
export function fmtTime(value) {
  if (!value || value.startsWith('0001-')) return h('span', { class: 'muted' }, '—');
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return h('span', {}, String(value));
  const text = d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:\d\dZ$/, 'Z');
  return h('time', { datetime: d.toISOString(), title: `${value} (${relative(d)})` }, text);
}

// relative says how long ago (or until) d is, roughly.
export function relative(d) {
  const secs = Math.round((Date.now() - d.getTime()) / 1000);
  const abs = Math.abs(secs);
  let text;
  if (abs < 60) text = `${abs}s`;
  else if (abs < 3600) text = `${Math.round(abs / 60)}m`;
  else if (abs < 86400) text = `${Math.round(abs / 3600)}h`;
  else text = `${Math.round(abs / 86400)}d`;
  return secs >= 0 ? `${text} ago` : `in ${text}`;
}

export function fmtNumber(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

// plural says "1 protected domain", "2 protected domains", with the count formatted.
export function plural(n, noun, many) {
  return `${fmtNumber(n)} ${n === 1 ? noun : many || `${noun}s`}`;
}

// fmtDuration renders seconds as e.g. "3m 12s".
export function fmtDuration(secs) {
  if (typeof secs !== 'number' || !Number.isFinite(secs)) return '—';
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

// notice is a message box: kind is info, ok or error.
export function notice(kind, text) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// showFailure hands a lapsed sign-in (AuthError) to fail, which shows the login form, and shows
// any other error in el.
export function showFailure(fail, el, err) {
  if (err.name === 'AuthError') fail(err);
  else replace(el, notice('error', err.message));
}

// kv renders a two-column definition list from [label, value] pairs; empty values are skipped.
export function kv(pairs) {
  const dl = h('dl', { class: 'kv' });
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(h('dt', {}, label), h('dd', {}, value));
  }
  return dl;
}

// table builds a table from column headers and rows of cells. A header ending in "#" is a
// numeric column (right-aligned); the "#" is not shown.
export function table(headers, rows, attrs) {
  const th = (col) => (col.endsWith('#')
    ? h('th', { scope: 'col', class: 'num' }, col.slice(0, -1))
    : h('th', { scope: 'col' }, col));
  return h('table', Object.assign({ class: 'grid' }, attrs),
    h('thead', {}, h('tr', {}, headers.map(th))),
    h('tbody', {}, rows));
}
