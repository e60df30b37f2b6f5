// login.js: sign-in: the organisation's identity provider (OIDC), a local user and password
// (all-in-one), a one-click list in dev mode, or a token from the identity provider.
import { h, mount, val } from './dom.js';
import { t } from './i18n.js';
import { session } from './api.js';
import { whoami } from './app.js';
import { errorBox } from './ui.js';

export async function loginView() {
  const out = h('div', {});
  const info = await session('/users').catch(() => ({ users: [] }));
  const done = async () => { await whoami(); location.hash = '#/'; };
  const go = async body => {
    try { await session('/login', body); await done(); } catch (err) { out.replaceChildren(errorBox(err)); }
  };
  const parts = [h('h1', {}, t('login.title'))];
  const failed = new URLSearchParams(location.hash.split('?')[1] || '').get('oidc');
  if (failed) parts.push(h('p', { class: 'error', id: 'oidc-error' }, t(`login.oidc.${failed}`)));
  if (info.oidc) {
    // The organisation's identity provider: the browser goes there and comes back signed in.
    const next = encodeURIComponent('/#/');
    parts.push(h('div', { class: 'card' }, h('a', { id: 'oidc-login', class: 'button primary', href: `/session/oidc/login?next=${next}` },
      t('login.oidc', { name: info.oidc }))));
  }
  if (info.local) {
    const f = h('form', { id: 'login', class: 'grid', onsubmit: ev => { ev.preventDefault(); go({ user: val(f, 'user'), password: val(f, 'password') }); } },
      h('label', {}, t('login.user'), h('select', { name: 'user' }, info.users.map(u => h('option', { value: u.name }, `${u.name} (${u.roles.map(r => t(`role.${r}`)).join('、')})`)))),
      h('label', {}, t('login.password'), h('input', { name: 'password', type: 'password', autocomplete: 'current-password' })),
      h('div', {}, h('button', { class: 'primary', type: 'submit' }, t('login.submit'))));
    parts.push(h('div', { class: 'card' }, f, h('p', { class: 'muted' }, t('login.hint'))));
  }
  if (info.dev) {
    parts.push(h('div', { class: 'card' }, h('h2', {}, t('login.dev')),
      h('div', { class: 'users' }, info.users.map(u => h('button', { 'data-user': u.name, onclick: () => go({ user: u.name }) },
        t('login.as', { name: u.name }), h('br'), h('small', { class: 'muted' }, u.roles.map(r => t(`role.${r}`)).join('、')))))));
  }
  const tf = h('form', { id: 'token-login', onsubmit: ev => { ev.preventDefault(); go({ token: val(tf, 'token') }); } },
    h('label', {}, t('login.token'), h('textarea', { name: 'token', rows: 3 })), h('div', { class: 'row' }, h('button', { type: 'submit' }, t('login.submit'))));
  parts.push(h('div', { class: 'card' }, tf));
  mount(parts, out);
}
