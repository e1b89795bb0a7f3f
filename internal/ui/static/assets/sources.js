// The sources and feeds page: how far each CT log and certstream source has read, how far behind
// it is and what went wrong, and each threat-intel feed's state. Refreshed every few seconds.
import { api } from './api.js';
import { fmtDuration, fmtNumber, fmtTime, h, notice, plural, replace, table } from './dom.js';

const refreshMillis = 5000;

// A CT log in another state has retired, expired or left the log list: it is stopped until restart.
const followedStates = new Set(['', 'usable', 'qualified', 'readonly', 'monitoring_only']);

function health(src) {
  if (src.type !== 'certstream' && src.state && !followedStates.has(src.state)) {
    return h('span', { class: 'badge', title: 'stopped: no longer followed by the log list' }, `stopped (${src.state})`);
  }
  if (src.type === 'certstream') {
    return src.connected ? h('span', { class: 'badge ok' }, 'connected') : h('span', { class: 'badge bad' }, 'disconnected');
  }
  if (src.verification_error) return h('span', { class: 'badge bad', title: src.verification_error }, 'unverified');
  if (src.last_error) {
    // An error the source has got past (a 429 retried, an issuer the log does not serve) is
    // history, not its state: it read successfully within the last two minutes.
    const since = src.last_success ? Date.now() - Date.parse(src.last_success) : Infinity;
    if (since < 120000) return h('span', { class: 'badge st-investigating', title: src.last_error }, 'recovered');
    return h('span', { class: 'badge bad' }, 'error');
  }
  if (typeof src.lag_seconds === 'number' && src.lag_seconds > 300) return h('span', { class: 'badge st-investigating' }, 'lagging');
  return h('span', { class: 'badge ok' }, 'ok');
}

function progress(src) {
  if (src.type === 'certstream') {
    // A counter the server has not sent yet is zero, not "—".
    let text = `${plural(src.messages || 0, 'message')}, ${plural(src.reconnects || 0, 'reconnect')}`;
    if (src.index_gaps) text += `, ${fmtNumber(src.index_gaps)} index gaps (${fmtNumber(src.missed_entries)} entries missed)`;
    if (src.hash_mismatches) text += `, ${fmtNumber(src.hash_mismatches)} hash mismatches`;
    return h('span', { class: 'muted' }, text);
  }
  const pos = src.position;
  const size = src.tree_size;
  if (typeof pos !== 'number' || typeof size !== 'number' || size <= 0) return h('span', {}, fmtNumber(pos));
  const pct = Math.min(100, (pos / size) * 100);
  const bar = h('span', { class: 'bar-fill' });
  bar.style.width = `${pct.toFixed(1)}%`;
  const verified = typeof src.verified_size === 'number' ? `, ${fmtNumber(src.verified_size)} verified` : '';
  return h('span', { class: 'progress', title: `${fmtNumber(size - pos)} entries behind${verified}` },
    h('span', { class: 'mono' }, `${fmtNumber(pos)} / ${fmtNumber(size)}`),
    h('span', { class: 'bar' }, bar));
}

function sourcesTable(sources) {
  if (!sources.length) return h('p', { class: 'muted' }, 'No sources configured.');
  return table(['Source', 'Type', 'Status', 'Position / tree size', 'Lag#', 'Processed#', 'Malformed#', 'Errors#', 'Last error'],
    sources.map((src) => h('tr', {},
      h('td', {}, h('div', {}, src.name || '—'), h('div', { class: 'mono muted small wrap' }, src.url || '')),
      h('td', {}, h('span', { class: 'tag' }, src.type || '—')),
      h('td', {}, health(src)),
      h('td', {}, progress(src)),
      h('td', { class: 'num' }, fmtDuration(src.lag_seconds)),
      h('td', { class: 'num' }, fmtNumber(src.entries_processed)),
      h('td', { class: `num ${src.malformed ? 'warn-text' : ''}` }, fmtNumber(src.malformed)),
      h('td', { class: `num ${src.errors ? 'warn-text' : ''}` }, fmtNumber(src.errors)),
      h('td', { class: 'error-text' }, src.verification_error || src.last_error || ''))), { id: 'sources' });
}

function feedsTable(feeds) {
  if (!feeds.length) return h('p', { class: 'muted' }, 'No threat-intel feeds configured.');
  return table(['Feed', 'Format', 'Status', 'Indicators#', 'Last refresh', 'Next refresh', 'Last error'],
    feeds.map((feed) => h('tr', {},
      h('td', {}, feed.name || '—'),
      h('td', {}, h('span', { class: 'tag' }, feed.format || '—')),
      h('td', {}, feed.last_error ? h('span', { class: 'badge bad' }, 'error') : h('span', { class: 'badge ok' }, 'ok')),
      h('td', { class: 'num' }, fmtNumber(feed.indicators)),
      h('td', { class: 'time' }, fmtTime(feed.last_refresh)),
      h('td', { class: 'time' }, fmtTime(feed.next_refresh)),
      h('td', { class: 'error-text' }, feed.last_error || ''))), { id: 'feeds' });
}

export async function renderSources(ctx) {
  const sourcesBox = h('div', { class: 'card flush' });
  const feedsBox = h('div', { class: 'card flush' });
  const updated = h('span', { class: 'muted' });

  const load = async () => {
    const [sources, feeds] = await Promise.all([
      api.sources().then((d) => sourcesTable(d.sources || []), (err) => err),
      api.feeds().then((d) => feedsTable(d.feeds || []), (err) => err),
    ]);
    if (!ctx.alive()) return;
    for (const result of [sources, feeds]) {
      if (result instanceof Error && result.name === 'AuthError') throw result;
    }
    replace(sourcesBox, sources instanceof Error ? notice('error', sources.message) : sources);
    replace(feedsBox, feeds instanceof Error ? notice('error', feeds.message) : feeds);
    updated.textContent = `updated ${new Date().toISOString().slice(11, 19)}Z`;
  };
  await load();
  if (!ctx.alive()) return null;
  replace(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Sources & feeds'), h('div', { class: 'spacer' }), updated),
    h('h2', { class: 'section-title' }, 'Certificate sources'), sourcesBox,
    h('h2', { class: 'section-title' }, 'Threat-intel feeds'), feedsBox);
  const timer = setInterval(() => {
    if (!document.hidden) load().catch(ctx.fail);
  }, refreshMillis);
  return () => clearInterval(timer);
}
