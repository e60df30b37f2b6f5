// desk.js: the service desk's screens: the work queue (due first), a new ticket with the
// unit looked up by serial and its coverage read out, a ticket's whole story, complaints.
import { h, mount, val } from './dom.js';
import { t, e, when, left, money, current } from './i18n.js';
import { call, rid, TICKET, WARRANTY, DISPATCH } from './api.js';
import { errorBox, table, select, dueClock, clockCell, busy } from './ui.js';
import { state } from './app.js';

const OPEN = s => !['TICKET_STATE_CLOSED', 'TICKET_STATE_CANCELLED'].includes(s);

// openTickets lists the open tickets in the service's due_time order (the earliest deadline of
// a running or paused clock first, tickets without one last), reading pages until the tickets
// have no clock left to run (closed ones) or 2000 are read.
async function openTickets(filter) {
  const out = [];
  let pageToken = '';
  for (let i = 0; i < 10; i++) {
    const r = await call(TICKET, 'ListTickets', { pageSize: 200, pageToken, orderBy: 'due_time', ...filter });
    const page = r.tickets || [];
    out.push(...page);
    pageToken = r.nextPageToken || '';
    if (!pageToken || (page.length && !dueClock(page[page.length - 1]))) break;
  }
  return out.filter(x => OPEN(x.state));
}

export async function queueView() {
  mount(h('h1', {}, t('queue.title')), h('p', { class: 'muted' }, t('app.loading')));
  let tickets;
  try { tickets = await openTickets({}); } catch (err) { return mount(h('h1', {}, t('queue.title')), errorBox(err)); }
  const rows = tickets.map(x => {
    const c = dueClock(x);
    return h('tr', { class: x.breached ? 'breached' : '', 'data-ticket': x.id, 'data-due': c ? c.deadline : '' },
      h('td', {}, h('a', { href: `#/tickets/${encodeURIComponent(x.id)}` }, x.number || x.id)),
      h('td', {}, e(x.kind)), h('td', {}, e(x.priority)), h('td', { class: 'state' }, e(x.state)),
      h('td', {}, x.unit?.serial || '—'), h('td', {}, clockCell(c)), h('td', {}, x.breached ? h('span', { class: 'breached' }, t('queue.breached')) : ''));
  });
  mount(h('h1', {}, t('queue.title')), h('p', { class: 'muted' }, t('queue.hint', { n: tickets.length })),
    table(['col.number', 'col.kind', 'col.priority', 'col.state', 'col.serial', 'col.due', 'col.breach'], rows, { id: 'queue' }));
}

// day formats a calendar date (year, month, day) as 2026-11-01.
function day(d) {
  if (!d || !d.year) return '—';
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

// coverageBox reads the warranty decision out as the desk says it to the customer.
function coverageBox(d) {
  return h('div', { class: 'card', id: 'coverage' },
    h('h2', {}, t('coverage.title'), ': ', h('span', { class: d.coverage === 'COVERAGE_FREE' ? 'ok' : 'warn', id: 'coverage-value' }, e(d.coverage))),
    h('p', {}, t(`coverage.say.${d.coverage || 'COVERAGE_UNSPECIFIED'}`)),
    (d.allowedRemedies || []).length ? h('p', {}, t('coverage.remedies'), ': ', d.allowedRemedies.map(e).join('、')) : null,
    h('ul', {}, (d.clauses || []).map(c => h('li', {}, h('strong', {}, t(`clause.${c.clause}`)), '：', t(`clause.say.${c.clause}`),
      current() === 'en' ? null : h('div', { class: 'muted' }, c.explanation)))),
    (d.periods || []).length ? h('ul', { id: 'periods' }, d.periods.map(p => h('li', { class: p.active ? 'ok' : 'muted' },
      e(p.kind), '：', day(p.startDate), ' – ', p.unlimited ? t('coverage.unlimited') : day(p.endDate), p.active ? ` (${t('coverage.active')})` : ''))) : null,
    d.customerCharge?.amountMinor ? h('p', {}, t('coverage.charge'), ': ', money(d.customerCharge)) : null);
}

export async function newTicketView() {
  const msg = h('div', {});
  const cov = h('div', {});
  let unit = null;
  const f = h('form', { id: 'new-ticket', class: 'grid' },
    h('label', {}, t('field.kind'), select('kind', ['TICKET_KIND_REPAIR', 'TICKET_KIND_MAINTENANCE', 'TICKET_KIND_INSTALLATION', 'TICKET_KIND_COMPLAINT', 'TICKET_KIND_RETURN_EXCHANGE', 'TICKET_KIND_CONSULTATION'])),
    h('label', {}, t('field.channel'), select('channel', ['CHANNEL_PHONE', 'CHANNEL_VISIT', 'CHANNEL_LETTER', 'CHANNEL_WEB'])),
    h('label', {}, t('field.priority'), select('priority', ['PRIORITY_NORMAL', 'PRIORITY_HIGH', 'PRIORITY_URGENT', 'PRIORITY_LOW'])),
    h('label', {}, t('field.serial'), h('input', { name: 'serial', required: true })),
    h('div', {}, h('button', { type: 'button', id: 'lookup' }, t('new.lookup'))),
    h('label', {}, t('field.productLine'), h('input', { name: 'productLine' })),
    h('label', {}, t('field.model'), h('input', { name: 'model' })),
    h('label', {}, t('field.customerName'), h('input', { name: 'name' })),
    h('label', {}, t('field.phone'), h('input', { name: 'phone' })),
    h('label', {}, t('field.region'), h('input', { name: 'region' })),
    h('label', {}, t('field.city'), h('input', { name: 'city' })),
    h('label', {}, t('field.latitude'), h('input', { name: 'lat', inputmode: 'decimal' })),
    h('label', {}, t('field.longitude'), h('input', { name: 'lng', inputmode: 'decimal' })),
    h('label', {}, t('field.faultCode'), h('input', { name: 'faultCode' })),
    h('label', {}, t('field.symptom'), h('textarea', { name: 'symptom', rows: 2 })),
    h('label', {}, t('field.likelyPart'), h('input', { name: 'likelyPart' })),
    h('label', {}, t('field.organisation'), h('input', { name: 'org' })),
    h('div', {}, h('button', { class: 'primary', type: 'submit', id: 'create' }, t('new.create'))));
  const lookup = f.querySelector('#lookup');
  lookup.addEventListener('click', busy(lookup, async () => {
    msg.replaceChildren(); cov.replaceChildren();
    const serial = val(f, 'serial');
    try {
      unit = (await call(WARRANTY, 'GetUnit', { serial })).unit;
      f.elements.model.value = unit.model || '';
      const d = (await call(WARRANTY, 'EvaluateClaim', { serial, faultCode: val(f, 'faultCode') || 'UNSPECIFIED', reportedTime: new Date().toISOString(), quoteOnly: true })).decision;
      cov.replaceChildren(h('p', { id: 'unit-found' }, t('new.unit', { model: unit.model || '', product: unit.productName || '', dealer: unit.dealerId || '' })), coverageBox(d));
    } catch (err) { msg.replaceChildren(errorBox(err)); }
  }));
  f.addEventListener('submit', busy(f.querySelector('#create'), async () => {
    msg.replaceChildren();
    const point = val(f, 'lat') && val(f, 'lng') ? { latitude: Number(val(f, 'lat')), longitude: Number(val(f, 'lng')) } : undefined;
    const part = val(f, 'likelyPart');
    const ticket = {
      kind: val(f, 'kind'), channel: val(f, 'channel'), priority: val(f, 'priority'),
      customer: { contact: { name: val(f, 'name'), phone: val(f, 'phone') }, address: { region: val(f, 'region'), city: val(f, 'city'), point } },
      unit: { serial: val(f, 'serial'), productLine: val(f, 'productLine'), model: val(f, 'model') },
      fault: { faultCode: val(f, 'faultCode'), symptom: val(f, 'symptom'), likelyParts: part ? [{ partId: part, quantity: 1 }] : [] },
      requestedRemedy: 'REMEDY_REPAIR', requestedSolution: 'SOLUTION_TYPE_ON_SITE', organisationId: val(f, 'org'),
    };
    try {
      const r = await call(TICKET, 'CreateTicket', { requestId: f.dataset.rid || (f.dataset.rid = rid('ticket')), ticket });
      location.hash = `#/tickets/${encodeURIComponent(r.ticket.id)}`;
    } catch (err) { msg.replaceChildren(errorBox(err)); }
  }));
  mount(h('h1', {}, t('new.title')), h('div', { class: 'card' }, f), msg, cov);
}

// timeline gathers everything that happened to a ticket, oldest first.
function timeline(x, contacts, jobs) {
  const ev = [];
  const at = (time, text, cls) => { if (time) ev.push({ time, text, cls }); };
  at(x.createTime, t('tl.created', { channel: e(x.channel) }));
  at(x.firstResponseTime, t('tl.firstResponse'));
  at(x.triage?.triageTime, t('tl.triaged', { coverage: e(x.triage?.coverage) }));
  for (const c of contacts) at(c.contactTime, t('tl.contact', { dir: e(c.direction), channel: e(c.channel), summary: c.summary || '' }));
  for (const j of x.jobs || []) {
    at(j.requestTime, t('tl.jobRequested', { visit: j.visit }));
    at(j.assignTime, t('tl.jobAssigned', { visit: j.visit, tech: j.technicianId || '' }));
    at(j.checkInTime, t('tl.checkIn', { visit: j.visit }));
    at(j.endTime, t(j.resolved ? 'tl.visitFixed' : 'tl.visitNotFixed', { visit: j.visit }));
  }
  for (const s of x.escalations || []) at(s.escalateTime, t('tl.escalated', { level: s.level, reason: e(s.reason) }), 'warn');
  for (const c of x.clocks || []) for (const tr of c.history || []) at(tr.time, t('tl.clock', { clock: e(c.metric), action: e(tr.action) }), 'muted');
  at(x.holdTime, t('tl.held', { reason: e(x.holdReason) }));
  at(x.resolution?.resolveTime, t('tl.resolved', { solution: x.resolution?.solution || '' }));
  at(x.resolution?.confirmTime, t('tl.confirmed'));
  at(x.complaint?.acknowledgeTime, t('tl.complaintAck'));
  at(x.complaint?.verification?.verifyTime, t('tl.complaintVerified'));
  at(x.complaint?.answer?.answerTime, t('tl.complaintAnswered'));
  at(x.closeTime, t('tl.closed'));
  at(x.survey?.submitTime, t('tl.survey', { mean: (x.survey?.meanScore || 0).toFixed(2) }));
  ev.sort((a, b) => new Date(a.time) - new Date(b.time));
  return h('ul', { class: 'timeline', id: 'timeline' }, ev.map(v => h('li', { class: v.cls || '' }, h('time', {}, when(v.time)), v.text)));
}

function actions(x, reload) {
  const msg = h('div', {});
  const act = (id, label, fn) => {
    const b = h('button', { id, class: 'primary' }, t(label));
    b.addEventListener('click', busy(b, async () => { try { await fn(); await reload(); } catch (err) { msg.replaceChildren(errorBox(err)); } }));
    return b;
  };
  const row = h('div', { class: 'row' });
  if (x.state === 'TICKET_STATE_RESOLVED' && !x.resolution?.customerConfirmed) row.append(act('confirm', 'act.confirm', () => call(TICKET, 'ConfirmResolution', { requestId: rid('confirm'), ticketId: x.id })));
  if (x.state === 'TICKET_STATE_RESOLVED') row.append(act('close', 'act.close', () => call(TICKET, 'CloseTicket', { requestId: rid('close'), ticketId: x.id })));
  const parts = [row];
  if (x.state === 'TICKET_STATE_CLOSED' && !x.survey?.submitTime) {
    const q = ['timeliness', 'attitude', 'quality'];
    const f = h('form', { id: 'survey', class: 'grid' }, q.map(k => h('label', {}, t(`survey.${k}`), h('select', { name: k }, [5, 4, 3, 2, 1].map(n => h('option', { value: n }, n))))),
      h('label', {}, t('survey.comment'), h('input', { name: 'comment' })), h('div', {}, h('button', { class: 'primary', type: 'submit' }, t('act.survey'))));
    f.addEventListener('submit', busy(f.querySelector('button'), async () => {
      try {
        await call(TICKET, 'SubmitSurvey', { requestId: f.dataset.rid || (f.dataset.rid = rid('survey')), ticketId: x.id, survey: { answers: q.map(k => ({ question: k, score: Number(val(f, k)) })), comment: val(f, 'comment') } });
        await reload();
      } catch (err) { msg.replaceChildren(errorBox(err)); }
    }));
    parts.push(h('h2', {}, t('survey.title')), f);
  }
  const manager = state.me.roles.includes('manager'); // VerifyComplaint and AnswerComplaint are the manager's
  if (manager && x.kind === 'TICKET_KIND_COMPLAINT' && OPEN(x.state) && !x.complaint?.verification?.verifyTime) {
    const vf = h('form', { id: 'verify', class: 'grid' },
      h('label', {}, t('col.category'), select('category', ['COMPLAINT_CATEGORY_PRODUCT_QUALITY', 'COMPLAINT_CATEGORY_HUMAN_NON_QUALITY', 'COMPLAINT_CATEGORY_OTHER'], x.complaint?.category)),
      h('label', {}, t('complaint.content'), select('content', ['COMPLAINT_CONTENT_PRODUCT', 'COMPLAINT_CONTENT_SERVICE_ATTITUDE', 'COMPLAINT_CONTENT_BUSINESS_ERROR', 'COMPLAINT_CONTENT_NOT_OUR_RESPONSIBILITY'], x.complaint?.content)),
      h('label', {}, t('col.severity'), select('severity', ['COMPLAINT_SEVERITY_MINOR', 'COMPLAINT_SEVERITY_SERIOUS', 'COMPLAINT_SEVERITY_PRIORITY_CASE', 'COMPLAINT_SEVERITY_INDIVIDUAL_CASE'], x.complaint?.severity)),
      h('label', { class: 'check' }, h('input', { name: 'substantiated', type: 'checkbox' }), t('complaint.substantiated')),
      h('label', {}, t('complaint.finding'), h('input', { name: 'finding', required: true })),
      h('label', {}, t('complaint.department'), h('input', { name: 'department' })),
      h('div', {}, h('button', { class: 'primary', type: 'submit' }, t('act.verify'))));
    vf.addEventListener('submit', busy(vf.querySelector('button'), async () => {
      try {
        await call(TICKET, 'VerifyComplaint', { requestId: rid('verify'), ticketId: x.id, category: val(vf, 'category'), content: val(vf, 'content'), severity: val(vf, 'severity'),
          verification: { substantiated: val(vf, 'substantiated'), finding: val(vf, 'finding'), responsibleDepartment: val(vf, 'department') } });
        await reload();
      } catch (err) { msg.replaceChildren(errorBox(err)); }
    }));
    parts.push(h('h2', {}, t('complaint.verifyTitle')), vf);
  } else if (manager && x.kind === 'TICKET_KIND_COMPLAINT' && OPEN(x.state) && !x.complaint?.answer?.answerTime) {
    const af = h('form', { id: 'answer', class: 'grid' },
      h('label', {}, t('complaint.answer'), h('textarea', { name: 'text', rows: 3, required: true })),
      h('label', {}, t('report.cause'), h('input', { name: 'rootCause' })),
      h('label', {}, t('complaint.prevention'), h('input', { name: 'prevention' })),
      h('label', {}, t('complaint.signOffs'), h('input', { name: 'signOffs', placeholder: t('complaint.signOffsHint') })),
      h('div', {}, h('button', { class: 'primary', type: 'submit' }, t('act.answer'))));
    af.addEventListener('submit', busy(af.querySelector('button'), async () => {
      try {
        await call(TICKET, 'AnswerComplaint', { requestId: rid('answer'), ticketId: x.id, answer: { text: val(af, 'text'), rootCause: val(af, 'rootCause'), prevention: val(af, 'prevention'),
          signOffs: val(af, 'signOffs').split(/[,，、]/).map(v => v.trim()).filter(Boolean) } });
        await reload();
      } catch (err) { msg.replaceChildren(errorBox(err)); }
    }));
    parts.push(h('h2', {}, t('complaint.answerTitle')), af);
  }
  if (OPEN(x.state)) {
    const cf = h('form', { id: 'contact', class: 'grid' },
      h('label', {}, t('field.direction'), select('direction', ['CONTACT_DIRECTION_OUTBOUND', 'CONTACT_DIRECTION_INBOUND'])),
      h('label', {}, t('field.channel'), select('channel', ['CHANNEL_PHONE', 'CHANNEL_VISIT', 'CHANNEL_LETTER', 'CHANNEL_WEB'])),
      h('label', {}, t('field.summary'), h('input', { name: 'summary', required: true })), h('div', {}, h('button', { type: 'submit' }, t('act.contact'))));
    cf.addEventListener('submit', busy(cf.querySelector('button'), async () => {
      try {
        await call(TICKET, 'RecordContact', { requestId: rid('contact'), ticketId: x.id, contact: { channel: val(cf, 'channel'), direction: val(cf, 'direction'), contactTime: new Date().toISOString(), summary: val(cf, 'summary'), handledBy: state.me.subject } });
        await reload();
      } catch (err) { msg.replaceChildren(errorBox(err)); }
    }));
    parts.push(h('h2', {}, t('contact.title')), cf);
  }
  if (!row.childElementCount && parts.length === 1) return msg;
  return h('div', { class: 'card' }, msg, parts);
}

export async function ticketView(id) {
  const reload = () => ticketView(id);
  let x, contacts = [], jobs = [];
  try {
    x = (await call(TICKET, 'GetTicket', { ticketId: id })).ticket;
    contacts = (await call(TICKET, 'ListContacts', { ticketId: id, pageSize: 100 })).contacts || [];
    jobs = await Promise.all((x.jobs || []).map(j => call(DISPATCH, 'GetJob', { jobId: j.jobId }).then(r => r.job).catch(() => null)));
  } catch (err) { return mount(h('h1', {}, t('ticket.title')), errorBox(err)); }
  const tr = x.triage || {};
  mount(
    h('h1', {}, t('ticket.title'), ' ', x.number || x.id, ' · ', h('span', { id: 'ticket-state', 'data-state': x.state }, e(x.state))),
    h('div', { class: 'card' }, h('div', { class: 'chips' }, h('span', {}, e(x.kind)), h('span', {}, e(x.priority)), h('span', {}, e(x.channel)),
      x.breached ? h('span', { class: 'breached' }, t('queue.breached')) : null),
      h('p', {}, t('field.serial'), ': ', x.unit?.serial || '—', ' · ', x.unit?.model || '', ' · ', t('field.symptom'), ': ', x.fault?.symptom || '')),
    actions(x, reload),
    h('h2', {}, t('ticket.coverage')), h('div', { class: 'card' }, h('p', {}, e(tr.coverage), ' · ', (tr.allowedRemedies || []).map(e).join('、')),
      h('ul', {}, (tr.clauses || []).map(c => h('li', {}, h('strong', {}, t(`clause.${c.clause}`)), '：', t(`clause.say.${c.clause}`))))),
    h('h2', {}, t('ticket.clocks')), table(['col.clock', 'col.state', 'col.deadline', 'col.left'], (x.clocks || []).map(c =>
      h('tr', { class: c.breached ? 'breached' : '' }, h('td', {}, e(c.metric)), h('td', {}, e(c.state)), h('td', {}, when(c.deadline)),
        h('td', {}, c.state === 'SLA_CLOCK_STATE_STOPPED' ? (c.breached ? t('clock.late') : t('clock.met')) : c.deadline ? left(c.deadline) : '—')))),
    h('h2', {}, t('ticket.jobs')), table(['col.visit', 'col.job', 'col.state', 'col.technician', 'col.report', 'col.parts'], (x.jobs || []).map((j, i) => {
      const dj = jobs[i];
      const rep = dj?.report;
      return h('tr', {}, h('td', {}, j.visit), h('td', {}, h('a', { href: `#/jobs/${encodeURIComponent(j.jobId)}` }, j.jobId)), h('td', {}, e(j.state)), h('td', {}, j.technicianId || '—'),
        h('td', {}, rep ? [rep.diagnosis, ' / ', rep.workDone, ' · ', e(rep.responsibility)] : j.reportSummary || '—'),
        h('td', {}, (rep?.partsUsed || []).map(p => `${p.partName || p.partId} ×${p.quantity}`).join('、') || '—'));
    })),
    x.survey?.submitTime ? [h('h2', {}, t('survey.title')), h('div', { class: 'card', id: 'survey-result' }, t('survey.result', { mean: (x.survey.meanScore || 0).toFixed(2) }), ' · ',
      x.survey.satisfied ? t('survey.satisfied') : t('survey.unsatisfied'), x.survey.comment ? ` · ${x.survey.comment}` : '')] : null,
    h('h2', {}, t('ticket.timeline')), h('div', { class: 'card' }, timeline(x, contacts, jobs)));
}

export async function complaintsView() {
  let tickets;
  try { tickets = await openTickets({ kind: 'TICKET_KIND_COMPLAINT' }); } catch (err) { return mount(h('h1', {}, t('complaints.title')), errorBox(err)); }
  mount(h('h1', {}, t('complaints.title')), table(['col.number', 'col.state', 'col.severity', 'col.category', 'col.clocks'], tickets.map(x =>
    h('tr', { class: x.breached ? 'breached' : '' }, h('td', {}, h('a', { href: `#/tickets/${encodeURIComponent(x.id)}` }, x.number || x.id)), h('td', {}, e(x.state)),
      h('td', {}, e(x.complaint?.severity)), h('td', {}, e(x.complaint?.category)),
      h('td', {}, (x.clocks || []).filter(c => c.state === 'SLA_CLOCK_STATE_RUNNING' || c.breached).map(c => h('div', {}, clockCell(c)))))), { id: 'complaints' }));
}
