// dispatch.js: the dispatcher's screens: open jobs, technicians and their load, one job with
// the ranking's reasons, manual assignment and the visit recorded on the technician's behalf.
import { h, mount, val } from './dom.js';
import { t, e, when } from './i18n.js';
import { call, rid, DISPATCH } from './api.js';
import { errorBox, table, select, busy } from './ui.js';
import { state } from './app.js';

const ACTIVE = ['JOB_STATE_UNASSIGNED', 'JOB_STATE_ASSIGNED', 'JOB_STATE_ACCEPTED', 'JOB_STATE_EN_ROUTE', 'JOB_STATE_ON_SITE'];

async function activeJobs(filter) {
  const out = [];
  for (const s of ACTIVE) {
    const r = await call(DISPATCH, 'ListJobs', { pageSize: 200, state: s, ...filter });
    out.push(...(r.jobs || []));
  }
  return out;
}

export async function dispatchView() {
  let jobs, techs;
  const mine = state.me.technicianId && !state.me.roles.includes('dispatcher') ? { technicianId: state.me.technicianId } : {};
  try {
    jobs = await activeJobs(mine);
    techs = mine.technicianId ? [] : (await call(DISPATCH, 'ListTechnicians', { pageSize: 200, activeOnly: true })).technicians || [];
  } catch (err) { return mount(h('h1', {}, t('dispatch.title')), errorBox(err)); }
  const load = {};
  for (const j of jobs) if (j.assignment?.technicianId) load[j.assignment.technicianId] = (load[j.assignment.technicianId] || 0) + 1;
  jobs.sort((a, b) => new Date(a.arriveBy || a.fixBy || a.createTime) - new Date(b.arriveBy || b.fixBy || b.createTime));
  mount(h('h1', {}, t('dispatch.title')),
    h('h2', {}, t('dispatch.jobs')), table(['col.job', 'col.kind', 'col.state', 'col.priority', 'col.site', 'col.arriveBy', 'col.technician'], jobs.map(j =>
      h('tr', { 'data-job': j.id, 'data-ticket': j.ticketId }, h('td', {}, h('a', { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id)), h('td', {}, e(j.kind)), h('td', {}, e(j.state)),
        h('td', {}, e(j.priority)), h('td', {}, [j.site?.region, j.site?.city].filter(Boolean).join(' ')), h('td', {}, when(j.arriveBy)), h('td', {}, j.assignment?.technicianId || '—'))), { id: 'jobs' }),
    techs.length ? [h('h2', {}, t('dispatch.technicians')), table(['col.technician', 'col.organisation', 'col.level', 'col.load', 'col.capacity', 'col.skills'], techs.map(x =>
      h('tr', {}, h('td', {}, x.displayName, h('div', { class: 'muted' }, x.id)), h('td', {}, x.organisationId), h('td', {}, e(x.level)),
        h('td', { class: (load[x.id] || 0) >= (x.capacityPerDay || 1) ? 'warn' : '' }, load[x.id] || 0), h('td', {}, x.capacityPerDay || '—'),
        h('td', {}, (x.skills || []).map(s => `${s.productLine}: ${(s.skills || []).join('、')}`).join('；')))), { id: 'technicians' })] : null);
}

export async function jobView(id) {
  const reload = () => jobView(id);
  const msg = h('div', {});
  let j, ranking = null;
  try { j = (await call(DISPATCH, 'GetJob', { jobId: id })).job; } catch (err) { return mount(h('h1', {}, t('job.title')), errorBox(err)); }
  if (state.me.roles.includes('dispatcher') && ['JOB_STATE_UNASSIGNED', 'JOB_STATE_ASSIGNED'].includes(j.state)) {
    ranking = await call(DISPATCH, 'RankTechnicians', { jobId: id }).then(r => r.ranking).catch(err => { msg.append(errorBox(err)); return null; });
  }
  ranking = ranking || j.lastRanking || j.assignment?.ranking;
  const tech = j.assignment?.technicianId || '';
  const act = (bid, label, fn) => {
    const b = h('button', { id: bid, class: 'primary' }, t(label));
    b.addEventListener('click', busy(b, async () => { try { await fn(); await reload(); } catch (err) { msg.replaceChildren(errorBox(err)); } }));
    return b;
  };
  const steps = h('div', { class: 'row', id: 'visit-steps' });
  const base = step => ({ requestId: rid(step), jobId: id, technicianId: tech });
  if (j.state === 'JOB_STATE_ASSIGNED') steps.append(act('accept', 'act.accept', () => call(DISPATCH, 'AcceptJob', base('accept'))));
  if (j.state === 'JOB_STATE_ACCEPTED') steps.append(act('travel', 'act.travel', () => call(DISPATCH, 'StartTravel', base('travel'))));
  if (j.state === 'JOB_STATE_EN_ROUTE') steps.append(act('checkin', 'act.checkin', () => call(DISPATCH, 'CheckIn', { ...base('checkin'), point: j.site?.point, checkInTime: new Date().toISOString() })));
  let report = null;
  if (j.state === 'JOB_STATE_ON_SITE') {
    report = h('form', { id: 'report', class: 'grid' },
      h('label', {}, t('report.diagnosis'), h('input', { name: 'diagnosis', required: true })),
      h('label', {}, t('report.cause'), h('input', { name: 'cause' })),
      h('label', {}, t('report.responsibility'), select('responsibility', ['RESPONSIBILITY_PRODUCT_QUALITY', 'RESPONSIBILITY_CUSTOMER', 'RESPONSIBILITY_SUPPLIER'])),
      h('label', {}, t('report.workDone'), h('input', { name: 'workDone', required: true })),
      h('label', {}, t('report.minutes'), h('input', { name: 'minutes', type: 'number', value: 60, min: 1 })),
      h('label', {}, t('report.signer'), h('input', { name: 'signer', required: true })),
      h('label', { class: 'check' }, h('input', { name: 'resolved', type: 'checkbox', checked: true }), t('report.resolved')),
      h('div', {}, h('button', { class: 'primary', type: 'submit' }, t('act.complete'))));
    report.addEventListener('submit', busy(report.querySelector('button'), async () => {
      const r = { diagnosis: val(report, 'diagnosis'), faultCause: val(report, 'cause'), responsibility: val(report, 'responsibility'), workDone: val(report, 'workDone'),
        timeSpent: `${Number(val(report, 'minutes')) * 60}s`, resolved: val(report, 'resolved') };
      try {
        await call(DISPATCH, 'RecordWork', { ...base('work'), report: r });
        await call(DISPATCH, 'CompleteVisit', { ...base('complete'), report: { ...r, signOff: { signerName: val(report, 'signer'), signedTime: new Date().toISOString(), signatureRef: `console/${id}` } } });
        await reload();
      } catch (err) { msg.replaceChildren(errorBox(err)); }
    }));
  }
  const assign = c => act(`assign-${c.technicianId}`, 'act.assign', () => call(DISPATCH, 'AssignJob', { requestId: rid('assign'), jobId: id, technicianId: c.technicianId, reason: t('dispatch.manualReason') }));
  mount(h('h1', {}, t('job.title'), ' ', j.id, ' · ', h('span', { id: 'job-state', 'data-state': j.state }, e(j.state))), msg,
    h('div', { class: 'card' }, h('p', {}, e(j.kind), ' · ', e(j.priority), ' · ', t('col.ticket'), ': ', h('a', { href: `#/tickets/${encodeURIComponent(j.ticketId)}` }, j.ticketId)),
      h('p', {}, t('col.technician'), ': ', tech || '—', ' · ', t('col.arriveBy'), ': ', when(j.arriveBy), ' · ', t('col.fixBy'), ': ', when(j.fixBy)), steps, report),
    ranking ? [h('h2', {}, t('job.ranking')), table(['col.technician', 'col.score', 'col.distance', 'col.load', 'col.slack', 'col.reasons', ''], (ranking.candidates || []).map(c =>
      h('tr', { 'data-candidate': c.technicianId }, h('td', {}, c.technicianId), h('td', {}, (c.score || 0).toFixed(2)), h('td', {}, `${(c.distanceKm || 0).toFixed(1)} km`),
        h('td', {}, c.load || 0), h('td', {}, c.slaSlack || '—'), h('td', {}, h('ul', {}, (c.reasons || []).map(r => h('li', {}, r)))),
        h('td', {}, state.me.roles.includes('dispatcher') && c.technicianId !== tech ? assign(c) : null))), { id: 'ranking' }),
      (ranking.exclusions || []).length ? h('p', { class: 'muted' }, t('job.excluded'), ': ', ranking.exclusions.map(x => `${x.reason} ×${x.count}`).join('；')) : null] : null);
}
