// upload.js: reference data in bulk: a CSV or XLSX file sent to the import handler the
// console mounts at /upload/ (the importer's own answer is shown as it comes).
import { h, mount } from './dom.js';
import { t, current } from './i18n.js';
import { select } from './ui.js';

const KINDS = ['units', 'policies', 'technicians', 'parts', 'locations', 'stock'];

export async function uploadView() {
  const out = h('pre', { id: 'upload-result' });
  const f = h('form', { id: 'upload', class: 'grid' },
    h('label', {}, t('upload.kind'), h('select', { name: 'kind' }, KINDS.map(k => h('option', { value: k }, t(`upload.kind.${k}`))))),
    h('label', {}, t('upload.file'), h('input', { name: 'file', type: 'file', accept: '.csv,.xlsx', required: true })),
    h('div', {}, h('button', { class: 'primary', type: 'submit' }, t('upload.send'))));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    const file = f.elements.file.files[0];
    if (!file) return;
    out.textContent = t('app.loading');
    const body = new FormData();
    body.append('file', file);
    const r = await fetch(`/upload/${f.elements.kind.value}`, { method: 'POST', body, headers: { 'X-Sanbao-Console': '1', 'Accept-Language': current() } });
    out.textContent = r.status === 404 ? t('upload.missing') : await r.text();
  });
  mount(h('h1', {}, t('upload.title')), h('p', { class: 'muted' }, t('upload.hint')), h('div', { class: 'card' }, f), out);
}
