// i18n.js: the two catalogues (zh-CN first, English), the chosen language (kept in
// localStorage) and labels for every enum value the console shows.
const LANGS = ['zh-CN', 'en'];
const KEY = 'sanbao.lang';
let lang = LANGS.includes(localStorage.getItem(KEY)) ? localStorage.getItem(KEY) : 'zh-CN';
let cat = {};

export async function load() {
  const r = await fetch(`/i18n/${lang}.json`, { cache: 'no-cache' });
  cat = await r.json();
  document.documentElement.lang = lang;
}

export function current() { return lang; }

export async function set(l) {
  if (!LANGS.includes(l)) return;
  lang = l;
  localStorage.setItem(KEY, l);
  await load();
}

// t is the catalogue's text for key, with {name} placeholders filled from vars; a missing key
// shows itself, so a gap is visible rather than blank.
export function t(key, vars) {
  let s = cat[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

export function has(key) { return cat[key] !== undefined; }

// e labels an enum value as the JSON API spells it (TICKET_STATE_RESOLVED → "已解决").
export function e(value) {
  if (value === undefined || value === null || value === '' || String(value).endsWith('_UNSPECIFIED')) return '—';
  return t(`enum.${value}`);
}

// when formats a time in the chosen language, in Beijing time.
export function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  return d.toLocaleString(lang, { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

// left says how long until (or since) deadline: "剩余 2小时5分" / "超时 10分".
export function left(deadline, now = Date.now()) {
  const ms = new Date(deadline).getTime() - now;
  const m = Math.round(Math.abs(ms) / 60000);
  const d = Math.floor(m / 1440), hh = Math.floor((m % 1440) / 60), mm = m % 60;
  const parts = [];
  if (d) parts.push(t('time.days', { n: d }));
  if (hh) parts.push(t('time.hours', { n: hh }));
  if (!d) parts.push(t('time.minutes', { n: mm }));
  return t(ms >= 0 ? 'time.left' : 'time.over', { d: parts.join(' ') });
}

export function money(m) {
  if (!m || !m.amountMinor) return '0';
  const v = Number(m.amountMinor) / 100;
  return v.toLocaleString(lang, { style: 'currency', currency: m.currencyCode || 'CNY' });
}

export function pct(v) { return (100 * (v || 0)).toFixed(1) + '%'; }
