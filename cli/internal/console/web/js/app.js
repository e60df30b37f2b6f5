// app.js: the console's shell: who is signed in, the navigation of their role's screens, the
// language switch and the hash router (#/queue, #/tickets/<id>, ...).
import { h, mount } from './dom.js';
import { load, t, set, current } from './i18n.js';
import { session } from './api.js';
import { loginView } from './login.js';
import { queueView, newTicketView, ticketView, complaintsView } from './desk.js';
import { dispatchView, jobView } from './dispatch.js';
import { warehouseView } from './warehouse.js';
import { managerView } from './manager.js';
import { uploadView } from './upload.js';

// screens: route → [catalogue key, roles that use it, view].
const screens = [
  ['queue', 'nav.queue', ['service-desk', 'dealer', 'manager'], queueView],
  ['new', 'nav.new', ['service-desk', 'dealer'], newTicketView],
  ['complaints', 'nav.complaints', ['service-desk', 'manager'], complaintsView],
  ['dispatch', 'nav.dispatch', ['dispatcher', 'technician'], dispatchView],
  ['warehouse', 'nav.warehouse', ['warehouse', 'technical', 'dealer'], warehouseView],
  ['manager', 'nav.manager', ['manager'], managerView],
  ['upload', 'nav.upload', ['admin'], uploadView],
];

export const state = { me: null };

function allowed(roles) { return state.me && state.me.roles.some(r => roles.includes(r)); }

function header() {
  const route = location.hash.slice(2).split('/')[0];
  const nav = h('nav', {}, state.me ? screens.filter(s => allowed(s[2])).map(s =>
    h('a', { href: `#/${s[0]}`, class: s[0] === route ? 'on' : '', 'data-nav': s[0] }, t(s[1]))) : []);
  const lang = h('select', { id: 'lang', 'aria-label': t('lang.choose'), onchange: async ev => { await set(ev.target.value); render(); } },
    h('option', { value: 'zh-CN', selected: current() === 'zh-CN' }, '中文'), h('option', { value: 'en', selected: current() === 'en' }, 'English'));
  const me = h('div', { class: 'me' }, lang, state.me ? [
    h('span', { id: 'who' }, state.me.subject, ' · ', state.me.roles.map(r => t(`role.${r}`)).join('、')),
    h('button', { id: 'logout', onclick: logout }, t('nav.logout')),
  ] : []);
  document.getElementById('top').replaceChildren(h('span', { class: 'brand' }, t('app.title')), nav, me);
}

async function logout() {
  const r = await session('/logout', {}).catch(() => ({}));
  state.me = null;
  if (r.redirect) { location.href = r.redirect; return; } // the identity provider ends its session too
  location.hash = '#/login';
}

export async function whoami() {
  try { state.me = await session(''); } catch { state.me = null; }
  return state.me;
}

export async function render() {
  const [route, ...rest] = location.hash.slice(2).split('?')[0].split('/');
  if (!state.me && route !== 'login') await whoami();
  header();
  if (!state.me || route === 'login') return loginView();
  if (route === 'tickets' && rest[0]) return ticketView(decodeURIComponent(rest[0]));
  if (route === 'jobs' && rest[0]) return jobView(decodeURIComponent(rest[0]));
  const s = screens.find(s => s[0] === route && allowed(s[2])) || screens.find(s => allowed(s[2]));
  if (!s) return mount(h('p', {}, t('app.noscreen')));
  if (s[0] !== route) { location.hash = `#/${s[0]}`; return; }
  return s[3]();
}

window.addEventListener('hashchange', render);
load().then(render);
