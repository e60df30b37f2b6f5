// manager.js: the manager's screen: the KPIs against their targets by week (for an
// organisation and product line) as charts, the warranty cost by model and batch, and the
// approvals waiting.
import { h, mount, val } from './dom.js';
import { t, e, money, pct, when } from './i18n.js';
import { call, rid, TICKET, WARRANTY, INVENTORY, DISPATCH } from './api.js';
import { errorBox, table, busy } from './ui.js';
import { bars } from './chart.js';
import { state } from './app.js';

const KPIS = ['timeliness_rate', 'satisfaction_rate', 'complaint_rate', 'first_visit_fix_rate', 'repeat_failure_rate'];
const WEEK = 7 * 24 * 3600 * 1000;

// weeks are the last n weeks, Monday 00:00 Beijing time (16:00 UTC on Sunday) to the next.
function weeks(n, now = Date.now()) {
  const d = new Date(now + 8 * 3600 * 1000);
  const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7)) - 8 * 3600 * 1000;
  return Array.from({ length: n }, (_, i) => ({ start: monday - (n - 1 - i) * WEEK, end: monday - (n - 2 - i) * WEEK }));
}

async function kpiCharts(filter) {
  const ws = weeks(8);
  const ms = await Promise.all(ws.map(w => call(TICKET, 'GetServiceMetrics', { startTime: new Date(w.start).toISOString(), endTime: new Date(w.end).toISOString(), ...filter }).then(r => r.metrics)));
  return h('div', { class: 'kpis', id: 'kpis' }, KPIS.map(name => {
    let target;
    const pts = ms.map((m, i) => {
      const k = (m.kpis || []).find(k => k.name === name) || {};
      if (k.target !== undefined) target = k.target;
      const d = new Date(ws[i].start + 8 * 3600 * 1000);
      return { label: `${d.getUTCMonth() + 1}/${d.getUTCDate()}`, value: k.value || 0, sample: Number(k.sample || 0), flagged: k.flagged };
    });
    const last = pts[pts.length - 1];
    return h('div', { class: 'card' }, h('h2', {}, t(`kpi.${name}`)),
      h('p', { class: 'muted' }, t('kpi.thisWeek'), ': ', pct(last.value), ' (', last.sample, ')', target !== undefined ? [' · ', t('kpi.target'), ': ', pct(target)] : ''),
      bars(pts, target, { kpi: name, label: t(`kpi.${name}`), targetLabel: t('kpi.target') }));
  }));
}

// breakdown draws one KPI over the last four weeks per organisation and per product line (the
// ones the technicians serve, at most eight of each), against its target.
async function breakdown(kpi) {
  const techs = (await call(DISPATCH, 'ListTechnicians', { pageSize: 200 }).catch(() => ({}))).technicians || [];
  const orgs = [...new Set(techs.map(x => x.organisationId).filter(Boolean))].slice(0, 8);
  const lines = [...new Set(techs.flatMap(x => (x.skills || []).map(s => s.productLine)).filter(Boolean))].slice(0, 8);
  const end = Date.now(), start = end - 4 * WEEK;
  const one = async (label, filter) => {
    const m = (await call(TICKET, 'GetServiceMetrics', { startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString(), ...filter })).metrics || {};
    const k = (m.kpis || []).find(k => k.name === kpi) || {};
    return { label: label.length > 10 ? label.slice(0, 9) + '…' : label, value: k.value || 0, sample: Number(k.sample || 0), flagged: k.flagged, target: k.target };
  };
  const chart = async (title, id, pts) => {
    const target = pts.find(p => p.target !== undefined)?.target;
    return h('div', { class: 'card' }, h('h2', {}, title), pts.length ? bars(pts, target, { kpi: `${kpi}-${id}`, label: title, targetLabel: t('kpi.target') }) : h('p', { class: 'muted' }, '—'));
  };
  const [byOrg, byLine] = await Promise.all([Promise.all(orgs.map(o => one(o, { organisationId: o }))), Promise.all(lines.map(l => one(l, { productLine: l })))]);
  return h('div', { class: 'kpis', id: 'kpi-breakdown' }, await chart(t('kpi.byOrg', { kpi: t(`kpi.${kpi}`) }), 'org', byOrg), await chart(t('kpi.byLine', { kpi: t(`kpi.${kpi}`) }), 'line', byLine));
}

async function costTable(model, batch) {
  const end = new Date(), start = new Date(end.getTime() - 365 * 24 * 3600 * 1000);
  const c = (await call(WARRANTY, 'GetWarrantyCost', { model, batch, startTime: start.toISOString(), endTime: end.toISOString() })).cost || {};
  const rows = [['cost.decisions', c.decisions || 0], ['cost.unitsSold', c.unitsSold || 0], ['cost.parts', money(c.parts)], ['cost.labour', money(c.labour)], ['cost.travel', money(c.travel)],
    ['cost.total', money(c.total)], ['cost.perUnit', money(c.perUnitSold)], ['cost.visits', c.visits || 0], ['cost.visitTotal', money(c.visitTotal)],
    ['cost.chargedBack', money(c.chargedBack)], ['cost.supplier', money(c.supplierRecovered)], ['cost.net', money(c.net)], ['cost.blocked', money(c.blocked)]];
  return table(['col.item', 'col.amount'], rows.map(([k, v]) => h('tr', {}, h('td', {}, t(k)), h('td', {}, v))), { id: 'cost' });
}

async function approvals(msg) {
  const [reqs, jobs] = await Promise.all([
    call(INVENTORY, 'ListRequisitions', { pageSize: 200, state: 'REQUISITION_STATE_PENDING' }).then(r => r.requisitions || []).catch(() => []),
    Promise.all(['JOB_STATE_ASSIGNED', 'JOB_STATE_ACCEPTED', 'JOB_STATE_UNASSIGNED'].map(s => call(DISPATCH, 'ListJobs', { pageSize: 200, state: s }).then(r => r.jobs || []).catch(() => []))).then(a => a.flat().filter(j => j.paid && !j.approval?.approveTime)),
  ]);
  const btn = (label, fn) => {
    const b = h('button', {}, t(label));
    b.addEventListener('click', busy(b, async () => { try { await fn(); await managerView(); } catch (err) { msg.replaceChildren(errorBox(err)); } }));
    return b;
  };
  return table(['col.what', 'col.id', 'col.created', ''], [
    ...reqs.map(r => h('tr', {}, h('td', {}, t('approve.requisition'), ': ', r.purpose || ''), h('td', {}, r.id), h('td', {}, when(r.createTime)),
      h('td', {}, btn('act.approve', () => call(INVENTORY, 'ApproveRequisition', { requestId: rid('approve'), requisitionId: r.id, approverId: state.me.subject }))))),
    ...jobs.map(j => h('tr', {}, h('td', {}, t('approve.paidJob'), ': ', e(j.kind)), h('td', {}, j.id), h('td', {}, when(j.createTime)),
      h('td', {}, btn('act.approve', () => call(DISPATCH, 'ApproveJob', { requestId: rid('approve'), jobId: j.id, approverId: state.me.subject }))))),
  ], { id: 'approvals' });
}

export async function managerView() {
  const msg = h('div', {});
  const chartsBox = h('div', {}), costBox = h('div', {}), apprBox = h('div', {});
  const f = h('form', { class: 'row', id: 'kpi-filter' }, h('label', {}, t('field.organisation'), h('input', { name: 'org' })),
    h('label', {}, t('field.productLine'), h('input', { name: 'productLine' })), h('button', { type: 'submit' }, t('act.show')));
  const cf = h('form', { class: 'row', id: 'cost-filter' }, h('label', {}, t('field.model'), h('input', { name: 'model' })),
    h('label', {}, t('field.batch'), h('input', { name: 'batch' })), h('button', { type: 'submit' }, t('act.show')));
  const showKpis = async () => {
    try { chartsBox.replaceChildren(await kpiCharts({ organisationId: val(f, 'org'), productLine: val(f, 'productLine') })); } catch (err) { chartsBox.replaceChildren(errorBox(err)); }
  };
  const showCost = async () => {
    try { costBox.replaceChildren(await costTable(val(cf, 'model'), val(cf, 'batch'))); } catch (err) { costBox.replaceChildren(errorBox(err)); }
  };
  f.addEventListener('submit', ev => { ev.preventDefault(); showKpis(); });
  cf.addEventListener('submit', ev => { ev.preventDefault(); showCost(); });
  const brBox = h('div', {});
  const pick = h('select', { id: 'kpi-pick' }, KPIS.map(k => h('option', { value: k }, t(`kpi.${k}`))));
  const showBreakdown = async () => {
    try { brBox.replaceChildren(await breakdown(pick.value)); } catch (err) { brBox.replaceChildren(errorBox(err)); }
  };
  pick.addEventListener('change', showBreakdown);
  mount(h('h1', {}, t('manager.title')), msg, h('h2', {}, t('manager.kpis')), f, chartsBox,
    h('h2', {}, t('manager.breakdown')), h('div', { class: 'row' }, h('label', {}, t('manager.kpi'), pick)), brBox,
    h('h2', {}, t('manager.cost')), cf, costBox, h('h2', {}, t('manager.approvals')), apprBox);
  await Promise.all([showKpis(), showBreakdown(), showCost(), approvals(msg).then(x => apprBox.replaceChildren(x)).catch(err => apprBox.replaceChildren(errorBox(err)))]);
}
