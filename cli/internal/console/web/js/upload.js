// upload.js: reference data in bulk: a CSV or XLSX file posted to the importer the console
// mounts at /upload/ (multipart: kind, file, validate_only), and its report: counts and every
// rejected row with its line, column and reason in the chosen language.
import { h, mount } from './dom.js';
import { t, current } from './i18n.js';
import { table } from './ui.js';

const KINDS = ['units', 'policies', 'technicians', 'parts', 'locations', 'stock'];

function report(r) {
  const zh = current() === 'zh-CN';
  return h('div', { id: 'upload-report' },
    h('p', { class: r.applied ? 'notice' : 'error' }, t(r.applied ? 'upload.applied' : r.validate_only ? 'upload.checked' : 'upload.notApplied'),
      ' · ', t('upload.counts', { received: r.received || 0, created: r.created || 0, updated: r.updated || 0, unchanged: r.unchanged || 0, rejected: (r.rejected || []).length })),
    (r.rejected || []).length ? table(['upload.line', 'upload.column', 'upload.reason'], r.rejected.map(j =>
      h('tr', {}, h('td', {}, j.line), h('td', {}, j.column || j.field || '—'), h('td', {}, zh ? j.reason_zh || j.reason : j.reason)))) : null);
}

export async function uploadView() {
  const out = h('div', { id: 'upload-result' });
  const f = h('form', { id: 'upload', class: 'grid' },
    h('label', {}, t('upload.kind'), h('select', { name: 'kind' }, KINDS.map(k => h('option', { value: k }, t(`upload.kind.${k}`))))),
    h('label', {}, t('upload.file'), h('input', { name: 'file', type: 'file', accept: '.csv,.xlsx,.jsonl,.ndjson', required: true })),
    h('label', { class: 'check' }, h('input', { name: 'validate_only', type: 'checkbox' }), t('upload.validateOnly')),
    h('div', {}, h('button', { class: 'primary', type: 'submit' }, t('upload.send'))));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    const file = f.elements.file.files[0];
    if (!file) return;
    out.replaceChildren(h('p', { class: 'muted' }, t('app.loading')));
    const body = new FormData();
    body.append('kind', f.elements.kind.value);
    body.append('file', file);
    body.append('validate_only', f.elements.validate_only.checked ? 'true' : 'false');
    const r = await fetch('/upload/', { method: 'POST', body, headers: { 'X-Sanbao-Console': '1', 'Accept-Language': current() } });
    const j = await r.json().catch(() => ({}));
    if (r.status === 404) return out.replaceChildren(h('p', { class: 'error' }, t('upload.missing')));
    if (!r.ok) return out.replaceChildren(h('p', { class: 'error' }, (current() === 'zh-CN' ? j.error_zh : '') || j.error || j.message || r.statusText, j.error && current() === 'zh-CN' ? h('div', { class: 'muted' }, j.error) : null));
    out.replaceChildren(report(j));
  });
  mount(h('h1', {}, t('upload.title')), h('p', { class: 'muted' }, t('upload.hint')), h('div', { class: 'card' }, f), out);
}
