// The allow list: every name analysts declared harmless (it and the names under it never alert),
// who added it, when and from which incident; removing one makes the name alert again.
import { api } from './api.js';
import { fmtTime, h, markedDomain, notice, plural, replace, showFailure, table } from './dom.js';

export async function renderAllow(ctx, flash) {
  const page = await api.allowList();
  if (!ctx.alive()) return null;
  const entries = page.allowed || [];
  const message = h('div', { id: 'allow-message' });
  const again = (text) => renderAllow(ctx, text).catch(ctx.fail);
  const rows = entries.map((e) => h('tr', { dataset: { domain: e.domain } },
    h('td', { class: 'nowrap' }, markedDomain(e.domain)),
    h('td', { class: 'time' }, fmtTime(e.added_at)),
    h('td', { class: 'author' }, e.author || h('span', { class: 'muted' }, '—')),
    h('td', {}, e.incident ? h('a', { href: `#/incidents/${encodeURIComponent(e.incident)}` }, `#${e.incident}`) : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'reason' }, e.reason || ''),
    h('td', { class: 'num' }, h('button', { type: 'button', class: 'small danger-outline', title: `Remove ${e.domain}: it alerts again`, onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await api.disallow(e.domain);
        await again(`${e.domain} is no longer allowed.`);
      } catch (err) {
        ev.target.disabled = false;
        showFailure(ctx.fail, message, err);
      }
    } }, 'Remove'))));
  const domain = h('input', { type: 'text', id: 'allow-domain', placeholder: 'partner-brand.example', required: true });
  const reason = h('input', { type: 'text', id: 'allow-reason', placeholder: 'why (optional)', maxlength: '1024' });
  const form = h('form', { class: 'filters', id: 'allow-form' },
    h('label', { class: 'field grow' }, h('span', {}, 'Allow a name'), domain),
    h('label', { class: 'field grow' }, h('span', {}, 'Reason'), reason),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'primary', id: 'allow-add' }, 'Allow')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.allow(domain.value.trim(), '', reason.value.trim());
      await again(`${res.allowed} is now allowed.`);
    } catch (err) {
      showFailure(ctx.fail, message, err);
    }
  });
  replace(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Allow list'), h('span', { class: 'muted' }, plural(entries.length, 'name'))),
    flash ? notice('ok', flash) : null,
    message,
    h('section', { class: 'card' },
      h('p', { class: 'muted' }, 'Names on this list, and every name under them, never alert. Add one from an incident ("False positive: allow").'),
      rows.length ? table(['Domain', 'Added', 'By', 'From incident', 'Reason', ''], rows, { class: 'grid compact', id: 'allow-list' })
        : h('p', { class: 'empty' }, 'Nothing is allowed.')),
    h('section', { class: 'card' }, form));
  return null;
}
