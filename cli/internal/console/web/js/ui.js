// ui.js: pieces every screen uses: error boxes, tables, enum selects, the SLA clock cell.
import { h } from './dom.js';
import { t, e, left } from './i18n.js';

export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, t(`code.${err.code || 'unknown'}`)), ' ', err.message,
    err.fields && err.fields.length ? h('ul', {}, err.fields.map(f => h('li', {}, f))) : null);
}

export function table(cols, rows, attrs) {
  return h('table', attrs || {}, h('thead', {}, h('tr', {}, cols.map(c => h('th', {}, t(c))))), h('tbody', {}, rows));
}

export function select(name, values, chosen) {
  return h('select', { name }, values.map(v => h('option', { value: v, selected: v === chosen }, e(v))));
}

// dueClock is the clock of a ticket that falls due first: the running clock with the
// earliest deadline (a breached one counts as due now).
export function dueClock(ticket) {
  const running = (ticket.clocks || []).filter(c => c.deadline && (c.state === 'SLA_CLOCK_STATE_RUNNING' || c.state === 'SLA_CLOCK_STATE_PAUSED'));
  running.sort((a, b) => new Date(a.deadline) - new Date(b.deadline));
  return running[0];
}

export function clockCell(c) {
  if (!c) return h('span', { class: 'muted' }, '—');
  const over = c.breached || new Date(c.deadline) < Date.now();
  return h('span', { class: over ? 'breached' : c.warned ? 'warn' : '' }, e(c.metric),
    ' · ', c.state === 'SLA_CLOCK_STATE_PAUSED' ? e(c.state) : left(c.deadline));
}

export function busy(btn, fn) {
  return async ev => {
    ev.preventDefault();
    btn.disabled = true;
    try { await fn(ev); } finally { btn.disabled = false; }
  };
}
