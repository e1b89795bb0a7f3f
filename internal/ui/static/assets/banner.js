// The banner above every page says what keeps certhunt from finding anything on a first run: no
// protected domains yet, no healthy source (no network?), a store that refuses writes, an old
// embedded log list. It reads
// GET /readyz, whose body names the part that is not ready.
import { notice, replace } from './dom.js';

// messages turns a readiness body into [kind, text] notices, most urgent first.
export function messages(r) {
  const out = [];
  if (r.store && !r.store.ready) out.push(['error', `The database does not take writes: ${r.store.detail || 'unknown error'}.`]);
  if (r.sources && !r.sources.ready) {
    out.push(['error', r.sources.total === 0
      ? 'No sources: enable sources.ct or add a certstream server in the configuration, or nothing is read.'
      : `None of the ${r.sources.total} sources is healthy. No network? Each one's last error is on the Sources & feeds page.`]);
  }
  if (r.index && r.index.ready && r.index.assets === 0) {
    out.push(['info', 'No protected domains yet: add your domains on the Watchlist page. Until then only threat-intel feeds can match.']);
  }
  if (r.log_list && r.log_list.stale) {
    out.push(['info', `The CT log list in use is the copy built into certhunt, from ${String(r.log_list.timestamp).slice(0, 10)} (${r.log_list.age_days} days ago): logs opened since are not followed. Set sources.ct.log_list to Chrome's list URL or a fresh file.`]);
  }
  return out;
}

// refreshBanner fills el from /readyz; when the server cannot be asked it leaves el as it was
// (the page itself says the server is unreachable).
export async function refreshBanner(el) {
  let body;
  try {
    const res = await fetch('/readyz', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (res.status !== 200 && res.status !== 503) return;
    body = await res.json();
  } catch {
    return;
  }
  const items = messages(body).map(([kind, text]) => notice(kind, text));
  replace(el, ...items);
  el.hidden = items.length === 0;
}
