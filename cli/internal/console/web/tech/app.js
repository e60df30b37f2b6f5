// app.js: the technician's phone app (an installable PWA under /tech/). Today's jobs in visit
// order, the way there, accept or decline, start travel, check-in by location, the fault and
// the unit, parts, photos, the service report and the customer's signature. Every change goes
// through the offline queue (queue.js): it is stored first, shown as waiting to send, and sent
// in order when there is signal. Sign-in is the console's (the session cookie).
import * as queue from './queue.js';

const DISPATCH = 'sanbao.dispatch.v1.DispatchService';
const TICKET = 'sanbao.ticket.v1.TicketService';
const INVENTORY = 'sanbao.inventory.v1.InventoryService';

const zh = {
  title: '三包技师', online: '在线', offline: '离线', goOffline: '离线模式', goOnline: '恢复联网',
  waiting: (n) => `${n} 项等待发送`, sending: '正在发送…', signIn: '请先在服务台控制台登录技师账号', signInLink: '去登录',
  notTech: '此账号不是技师账号', today: '今天的工单', none: '今天没有工单', cached: '无网络：显示上次取到的工单',
  back: '← 今天的工单', unit: '机器', fault: '故障', site: '地址', navGeo: '地图导航', navAmap: '高德地图', navBaidu: '百度地图',
  accept: '接单', decline: '拒单', declineReason: '拒单原因', travel: '出发', checkin: '到场签到（定位）',
  locating: '正在定位…', locFailed: '无法定位：', lat: '纬度', lng: '经度', checkinManual: '按输入的位置签到',
  partsVan: '车上为本单预留的配件', partsUsed: '使用的配件', partCode: '配件编码', qty: '数量', addPart: '添加配件', scan: '扫码',
  noScan: '此浏览器不能扫码，请输入编码', photosBefore: '维修前照片', photosAfter: '维修后照片', report: '服务报告',
  diagnosis: '诊断', cause: '故障原因', workDone: '处理措施', resolved: '已修复', signer: '客户签字人', signHere: '请客户在下方签名',
  clear: '重写', complete: '客户签字并完成', needSign: '请先让客户签名', needSigner: '请填写签字人姓名',
  queued: '已保存，等待发送', sent: '已发送', refused: '被拒绝：', history: '工单与机器', symptom: '故障现象',
  states: { JOB_STATE_ASSIGNED: '待接单', JOB_STATE_ACCEPTED: '已接单', JOB_STATE_EN_ROUTE: '在路上', JOB_STATE_ON_SITE: '已到场',
    JOB_STATE_COMPLETED: '已完成', JOB_STATE_FAILED: '未完成', JOB_STATE_CANCELLED: '已取消', JOB_STATE_UNASSIGNED: '待派', DECLINED: '已拒单', TRANSFERRED: '已转单' },
  labels: { AcceptJob: '接单', DeclineJob: '拒单', StartTravel: '出发', CheckIn: '签到', CompleteVisit: '服务报告', TransferJob: '转单', photo: '照片', signature: '签名' },
  eta: '预计到达', appt: '预约',
  van: '车上配件', vanNone: '车上没有配件', vanUnknown: '还没取到车上库存', vanLink: '车上配件 →', onVan: '车上有', notOnVan: '车上不够', pick: '用这个',
  available: '可用', reservedN: '已预留', likely: '本单可能用到的配件',
  ticketStates: { TICKET_STATE_RECEIVED: '已受理', TICKET_STATE_TRIAGED: '已分诊', TICKET_STATE_AWAITING: '等待中', TICKET_STATE_REMOTE_GUIDANCE: '远程指导中',
    TICKET_STATE_DISPATCHED: '已派工', TICKET_STATE_IN_SERVICE: '服务中', TICKET_STATE_ESCALATED: '已升级', TICKET_STATE_RESOLVED: '已解决',
    TICKET_STATE_CLOSED: '已关闭', TICKET_STATE_REOPENED: '已重开', TICKET_STATE_CANCELLED: '已取消' },
  earlier: '这台机器以前的工单', repairs: '维修记录', noHistory: '没有以前的记录', repairsUnavailable: '维修记录暂时取不到',
  transfer: '转给同事', transferTo: '同事的技师编号', transferReason: '转单原因', needTransfer: '请填写同事编号和原因',
  handed: (to) => `已转给 ${to}`, outcomes: { REPAIR_OUTCOME_FIXED: '已修好', REPAIR_OUTCOME_NOT_FIXED: '未修好', REPAIR_OUTCOME_UNREPAIRABLE: '无法修复', REPAIR_OUTCOME_EXCHANGED: '已换机' },
};
const en = {
  title: 'Sanbao technician', online: 'online', offline: 'offline', goOffline: 'Offline mode', goOnline: 'Back online',
  waiting: (n) => `${n} waiting to send`, sending: 'sending…', signIn: 'Sign in as a technician on the console first', signInLink: 'Sign in',
  notTech: 'This account is not a technician', today: "Today's jobs", none: 'No jobs today', cached: 'No signal: the jobs last fetched',
  back: "← Today's jobs", unit: 'Unit', fault: 'Fault', site: 'Address', navGeo: 'Navigate', navAmap: 'Amap', navBaidu: 'Baidu Maps',
  accept: 'Accept', decline: 'Decline', declineReason: 'Reason', travel: 'Start travel', checkin: 'Check in (location)',
  locating: 'locating…', locFailed: 'No location: ', lat: 'Latitude', lng: 'Longitude', checkinManual: 'Check in here',
  partsVan: 'Parts reserved on the van', partsUsed: 'Parts used', partCode: 'Part code', qty: 'Qty', addPart: 'Add part', scan: 'Scan',
  noScan: 'This browser cannot scan: type the code', photosBefore: 'Photos before', photosAfter: 'Photos after', report: 'Service report',
  diagnosis: 'Diagnosis', cause: 'Cause', workDone: 'Work done', resolved: 'Resolved', signer: 'Signed by', signHere: 'Customer signs below',
  clear: 'Clear', complete: 'Sign and complete', needSign: 'The customer has not signed', needSigner: 'Enter who signs',
  queued: 'saved, waiting to send', sent: 'sent', refused: 'refused: ', history: 'Ticket and unit', symptom: 'Symptom',
  states: { JOB_STATE_ASSIGNED: 'assigned', JOB_STATE_ACCEPTED: 'accepted', JOB_STATE_EN_ROUTE: 'on the way', JOB_STATE_ON_SITE: 'on site',
    JOB_STATE_COMPLETED: 'completed', JOB_STATE_FAILED: 'failed', JOB_STATE_CANCELLED: 'cancelled', JOB_STATE_UNASSIGNED: 'unassigned', DECLINED: 'declined', TRANSFERRED: 'transferred' },
  labels: { AcceptJob: 'accept', DeclineJob: 'decline', StartTravel: 'travel', CheckIn: 'check-in', CompleteVisit: 'report', TransferJob: 'transfer', photo: 'photo', signature: 'signature' },
  eta: 'ETA', appt: 'Appointment',
  van: 'Parts on the van', vanNone: 'The van holds no parts', vanUnknown: 'Van stock not fetched yet', vanLink: 'Parts on the van →', onVan: 'on the van', notOnVan: 'not enough on the van', pick: 'Use',
  available: 'available', reservedN: 'reserved', likely: 'Parts this job may need',
  ticketStates: { TICKET_STATE_RECEIVED: 'received', TICKET_STATE_TRIAGED: 'triaged', TICKET_STATE_AWAITING: 'awaiting', TICKET_STATE_REMOTE_GUIDANCE: 'remote guidance',
    TICKET_STATE_DISPATCHED: 'dispatched', TICKET_STATE_IN_SERVICE: 'in service', TICKET_STATE_ESCALATED: 'escalated', TICKET_STATE_RESOLVED: 'resolved',
    TICKET_STATE_CLOSED: 'closed', TICKET_STATE_REOPENED: 'reopened', TICKET_STATE_CANCELLED: 'cancelled' },
  earlier: 'Earlier tickets of this unit', repairs: 'Repairs', noHistory: 'No earlier records', repairsUnavailable: 'Repairs cannot be fetched now',
  transfer: 'Transfer to a colleague', transferTo: "Colleague's technician id", transferReason: 'Reason', needTransfer: 'Enter the colleague and the reason',
  handed: (to) => `transferred to ${to}`, outcomes: { REPAIR_OUTCOME_FIXED: 'fixed', REPAIR_OUTCOME_NOT_FIXED: 'not fixed', REPAIR_OUTCOME_UNREPAIRABLE: 'unrepairable', REPAIR_OUTCOME_EXCHANGED: 'exchanged' },
};
const T = (localStorage.getItem('sanbao.lang') || 'zh-CN').startsWith('en') ? en : zh;
document.documentElement.lang = T === en ? 'en' : 'zh-CN';

// ---- small DOM helpers (textContent only: nothing a service returns is parsed as HTML)
function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
const $ = (s) => document.querySelector(s);

// ---- network: the app's own offline switch wins over the browser's signal
const forcedOffline = () => localStorage.getItem('sanbao.tech.offline') === '1';
const online = () => !forcedOffline() && navigator.onLine;
let unreachable = false; // the last request did not reach the console

async function netFetch(url, init) {
  if (forcedOffline()) throw new queue.Offline('offline mode');
  try {
    const r = await fetch(url, { credentials: 'same-origin', ...init });
    unreachable = false;
    return r;
  } catch (e) {
    unreachable = true; // the browser may say onLine with no signal: the last try tells
    throw new queue.Offline(String(e));
  }
}

// answer reads a service answer: OK is the JSON; no signal, a service that is down or a
// session that ended keep the item (Offline); anything else is refused with its message.
async function answer(r) {
  const text = await r.text();
  let j = {};
  try { j = text ? JSON.parse(text) : {}; } catch { j = { message: text }; }
  if (r.ok) return j;
  let msg = j.message || r.statusText;
  for (const d of j.details || []) if (d.type === 'google.rpc.LocalizedMessage' && d.debug?.message) msg = d.debug.message;
  if (r.status === 401 || r.status >= 500 || r.status === 429 || j.code === 'unavailable' || j.code === 'unauthenticated') throw new queue.Offline(msg);
  throw new queue.Refused(msg);
}

async function call(service, method, body) {
  const r = await netFetch(`/api/${service}/${method}`, { method: 'POST', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'X-Sanbao-Console': '1', 'Accept-Language': document.documentElement.lang } });
  const j = await answer(r);
  if (method === 'TransferJob' && j.job?.id) handOver(j.job);
  else if (j.job?.id) remember(j.job);
  return j;
}

// cache reads and writes the phone's copies of what it fetched (for opening it without signal).
const cache = {
  get: (k, d) => { try { return JSON.parse(localStorage.getItem('sanbao.tech.' + k) || 'null') ?? d; } catch { return d; } },
  put: (k, v) => localStorage.setItem('sanbao.tech.' + k, JSON.stringify(v)),
};

// handOver keeps a job the technician transferred (TransferJob's answer) and drops it from the
// day: it is the colleague's now, and only this copy shows it here.
function handOver(job) {
  const handed = cache.get('handed', {});
  handed[job.id] = job;
  cache.put('handed', handed);
  cache.put('day', cache.get('day', []).filter((j) => j.id !== job.id));
}

// remember keeps the latest copy of a job in the day's cache, for opening it without signal.
function remember(job) {
  const day = JSON.parse(localStorage.getItem('sanbao.tech.day') || '[]');
  const i = day.findIndex((j) => j.id === job.id);
  if (i >= 0) day[i] = job; else day.push(job);
  localStorage.setItem('sanbao.tech.day', JSON.stringify(day));
}

// ---- the van: the technician's own van stock (inventory's ListLocationStock; the token makes
// it theirs), cached for the day.
async function vanStock() {
  try {
    const lines = [];
    let token = '', loc = null;
    for (let i = 0; i < 10; i++) {
      const r = await call(INVENTORY, 'ListLocationStock', { technicianId: me.technicianId, onHandOnly: true, pageSize: 200, pageToken: token });
      loc = r.location; lines.push(...(r.lines || []));
      if (!(token = r.nextPageToken)) break;
    }
    const v = { location: loc, lines, fetched: new Date().toISOString() };
    cache.put('van', v);
    return v;
  } catch (e) {
    if (e instanceof queue.Refused) { const v = { location: null, lines: [], none: true }; cache.put('van', v); return v; } // no van
    return cache.get('van', null);
  }
}
function vanLine(van, code) {
  const c = String(code || '').trim().toUpperCase();
  return (van?.lines || []).find((l) => l.partId === code || (l.sku || '').toUpperCase() === c);
}

// brief fetches what the technician reads before the job (the ticket's fault, the unit and its
// history), cached per job.
async function brief(job) {
  try {
    const r = await call(TICKET, 'GetJobBrief', { ticketId: job.ticketId, jobId: job.id, technicianId: me.technicianId });
    const briefs = cache.get('briefs', {});
    briefs[job.id] = r.brief || {};
    cache.put('briefs', briefs);
    return r.brief || {};
  } catch (e) {
    return cache.get('briefs', {})[job.id] || null;
  }
}

async function upload(it) {
  const q = new URLSearchParams({ kind: it.kind, job_id: it.jobId, filename: it.filename, request_id: it.requestId });
  const r = await netFetch(`/files/v1/tickets/${encodeURIComponent(it.ticketId)}/attachments?${q}`, { method: 'POST', body: it.blob,
    headers: { 'Content-Type': it.blob.type || 'application/octet-stream', 'X-Sanbao-Console': '1' } });
  const j = await answer(r);
  return j.attachment || j;
}

const sender = { call, upload };

// ---- the queue line and replay
let lastError = '';
async function showQueue(mark = true) {
  const items = await queue.items();
  const failed = await queue.failed();
  const line = $('#queue-line');
  line.hidden = items.length === 0 && failed.length === 0;
  line.textContent = '';
  if (items.length) line.append(h('span', { id: 'waiting', 'data-count': items.length, text: T.waiting(items.length) }));
  for (const f of failed) line.append(h('div', { class: 'error', text: `${T.labels[f.method || f.kind] || ''} ${T.refused}${f.error}` }));
  if (lastError && items.length) line.append(h('div', { class: 'muted', text: lastError }));
  const net = $('#net');
  const up = online() && !unreachable;
  net.dataset.online = String(up);
  net.textContent = up ? T.online : T.offline;
  const sw = $('#offline-switch');
  sw.textContent = forcedOffline() ? T.goOnline : T.goOffline;
  sw.setAttribute('aria-pressed', String(forcedOffline()));
  if (mark || items.length) document.body.dataset.queued = String(items.length);
}

async function kick() {
  if (online()) {
    try { await queue.flush(sender, () => showQueue(false)); lastError = ''; } catch (e) { lastError = String(e.message || e); }
  }
  // The screen is refreshed from the services once everything queued has been sent, before
  // the queue is marked empty (data-queued), so nothing waits on a screen about to be replaced.
  if (online() && pendingRefresh && (await queue.items()).length === 0) { pendingRefresh = false; await route(); }
  await showQueue();
}
let pendingRefresh = false;

async function enqueue(item) {
  await queue.add(item);
  pendingRefresh = true;
  await showQueue();
  kick();
}

// ---- session and day
let me = null;
async function session() {
  try {
    const r = await netFetch('/session', { headers: { 'X-Sanbao-Console': '1' } });
    if (r.ok) { me = await r.json(); localStorage.setItem('sanbao.tech.me', JSON.stringify(me)); return me; }
    if (r.status === 401) { localStorage.removeItem('sanbao.tech.me'); return null; }
  } catch { /* no signal: the last session */ }
  me = JSON.parse(localStorage.getItem('sanbao.tech.me') || 'null');
  return me;
}

function dayStart() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

async function dayJobs() {
  try {
    const r = await call(DISPATCH, 'ListDayJobs', { technicianId: me.technicianId, dayStart: dayStart() });
    localStorage.setItem('sanbao.tech.day', JSON.stringify(r.jobs || []));
    prefetch(r.jobs || []);
    return { jobs: r.jobs || [], cached: false };
  } catch (e) {
    if (!(e instanceof queue.Offline)) throw e;
    return { jobs: JSON.parse(localStorage.getItem('sanbao.tech.day') || '[]'), cached: true };
  }
}

// prefetch keeps the van and each of the day's briefs, so the jobs open without signal.
let prefetching = null;
function prefetch(jobs) {
  if (prefetching) return prefetching;
  prefetching = (async () => {
    try {
      await vanStock();
      const have = cache.get('briefs', {});
      for (const j of jobs) if (!have[j.id]) await brief(j);
      document.body.dataset.prefetched = 'true';
    } catch { /* the next visit tries again */ } finally { prefetching = null; }
  })();
  return prefetching;
}

// effective is the job's state after the changes still waiting in the queue.
const after = { AcceptJob: 'JOB_STATE_ACCEPTED', DeclineJob: 'DECLINED', StartTravel: 'JOB_STATE_EN_ROUTE', CheckIn: 'JOB_STATE_ON_SITE', CompleteVisit: 'JOB_STATE_COMPLETED', TransferJob: 'TRANSFERRED' };
function effective(job, items) {
  let s = job.state;
  for (const it of items) if (it.type === 'call' && it.jobId === job.id && after[it.method]) s = after[it.method];
  return s;
}

function when(ts) {
  if (!ts) return '';
  return new Date(ts).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
}
function visitTime(j) { return j.appointment?.window?.startTime || j.appointment?.startTime || j.assignment?.ranking?.eta || j.arriveBy; }
function siteText(j) { const a = j.site || {}; return [a.region, a.city, a.line].filter(Boolean).join(' '); }

// ---- screens
let renders = 0; // screens started; only the latest is shown
async function list() {
  const n = ++renders;
  const app = h('div', { id: 'screen-day' });
  const { jobs, cached } = await dayJobs();
  const items = await queue.items();
  app.append(h('h1', { class: 'sr', text: T.today }));
  if (cached) app.append(h('p', { class: 'muted', id: 'cached', text: T.cached }));
  if (!jobs.length) app.append(h('p', { class: 'muted', id: 'no-jobs', text: T.none }));
  const ol = h('ol', { id: 'jobs', class: 'plain' });
  jobs.forEach((j, i) => {
    const s = effective(j, items);
    const waiting = items.filter((it) => it.jobId === j.id).length;
    ol.append(h('li', { class: 'card', 'data-job': j.id },
      h('a', { class: 'job', href: `#/job/${j.id}` },
        h('h2', {}, `${i + 1}. ${j.productLine || ''} ${j.unitSerial || ''}`),
        h('div', {}, siteText(j)),
        h('div', {}, h('span', { class: 'state', text: T.states[s] || s }), ' ', j.faultCode || '', ' ', visitTime(j) ? `${T.eta} ${when(visitTime(j))}` : ''),
        waiting ? h('span', { class: 'pending', text: T.waiting(waiting) }) : null)));
  });
  app.append(ol);
  app.append(h('a', { class: 'btn secondary', id: 'van-link', href: '#/van', text: T.vanLink }));
  if (n === renders) $('#app').replaceChildren(app);
}

// vanScreen lists the parts on the technician's van.
async function vanScreen() {
  const n = ++renders;
  const app = h('div', { id: 'screen-van' }, h('a', { href: '#/', class: 'btn secondary', id: 'back', text: T.back }));
  const van = (await vanStock()) || cache.get('van', null);
  const box = h('section', { class: 'card', id: 'van' }, h('h2', { text: T.van }));
  if (!van) box.append(h('p', { class: 'muted', text: T.vanUnknown }));
  else if (!van.lines.length) box.append(h('p', { class: 'muted', id: 'van-empty', text: T.vanNone }));
  else {
    box.append(h('p', { class: 'muted' }, van.location?.name || ''));
    box.append(h('ul', { class: 'plain', id: 'van-lines' }, van.lines.map((l) => h('li', { 'data-part': l.partId, 'data-sku': l.sku || '' },
      h('strong', {}, l.sku || l.partId), ' ', l.name || '', h('div', { class: 'muted' }, `${T.available} ${l.available || 0} · ${T.reservedN} ${l.reserved || 0}`)))));
  }
  app.append(box);
  if (n === renders) $('#app').replaceChildren(app);
}

function navLinks(j) {
  const p = j.site?.point;
  if (!p) return null;
  const name = encodeURIComponent(siteText(j) || j.unitSerial || 'site');
  return h('div', { class: 'row', id: 'nav' },
    h('a', { class: 'btn secondary', id: 'nav-geo', href: `geo:${p.latitude},${p.longitude}?q=${p.latitude},${p.longitude}(${name})`, text: T.navGeo }),
    h('a', { class: 'btn secondary', id: 'nav-amap', target: '_blank', rel: 'noopener', href: `https://uri.amap.com/marker?position=${p.longitude},${p.latitude}&name=${name}&coordinate=wgs84&callnative=1`, text: T.navAmap }),
    h('a', { class: 'btn secondary', id: 'nav-baidu', target: '_blank', rel: 'noopener', href: `https://api.map.baidu.com/marker?location=${p.latitude},${p.longitude}&title=${name}&content=${name}&coord_type=wgs84&output=html&src=sanbao`, text: T.navBaidu }));
}

async function findJob(id) {
  const handed = cache.get('handed', {})[id];
  if (handed) return handed; // transferred: the colleague's now; this is the last copy
  try {
    const r = await call(DISPATCH, 'GetJob', { jobId: id });
    return r.job;
  } catch (e) {
    if (!(e instanceof queue.Offline)) throw e;
    return JSON.parse(localStorage.getItem('sanbao.tech.day') || '[]').find((j) => j.id === id);
  }
}

async function jobScreen(id) {
  const mine0 = ++renders;
  const app = h('div', { id: 'screen-job' });
  const job = await findJob(id);
  const items = await queue.items();
  // The screen is built whole, then shown: a render that a newer one overtook changes nothing.
  const show = () => { if (mine0 === renders) $('#app').replaceChildren(app); };
  app.append(h('a', { href: '#/', class: 'btn secondary', id: 'back', text: T.back }));
  if (!job) { app.append(h('p', { class: 'error', text: id })); show(); return; }
  const handedTo = cache.get('handed', {})[id] ? job.assignment?.technicianId : '';
  const s = handedTo ? 'TRANSFERRED' : effective(job, items);
  const mine = items.filter((it) => it.jobId === id);
  const base = { jobId: id, technicianId: me.technicianId };
  app.append(h('section', { class: 'card', id: 'job', 'data-job': id },
    h('h2', {}, `${job.productLine || ''} ${job.unitSerial || ''}`),
    h('div', {}, h('span', { class: 'state', id: 'job-state', 'data-state': s, text: T.states[s] || s }),
      mine.length ? h('span', { class: 'pending', id: 'job-waiting', text: ' ' + T.waiting(mine.length) }) : null),
    h('div', {}, `${T.site}：${siteText(job)}`),
    h('div', {}, `${T.fault}：${job.faultCode || '-'}`),
    visitTime(job) ? h('div', {}, `${T.eta}：${when(visitTime(job))}`) : null,
    handedTo ? h('div', { id: 'handed', class: 'ok', text: T.handed(handedTo) }) : null,
    navLinks(job)));
  const hist = h('section', { class: 'card', id: 'history' }, h('h3', { text: T.history }));
  const parts = h('section', { class: 'card', id: 'likely' });
  const act = h('section', { class: 'card', id: 'actions' });
  app.append(hist, parts, act);
  await history(job, hist);
  likelyParts(job, parts, cache.get('van', null));
  if (handedTo) { show(); return; }
  const q = (method, body, label) => enqueue({ type: 'call', service: DISPATCH, method, body: { ...base, ...body }, jobId: id, label }).then(() => jobScreen(id));
  if (s === 'JOB_STATE_ASSIGNED') {
    const reason = h('input', { id: 'decline-reason', name: 'reason', maxlength: 1000 });
    act.append(h('button', { id: 'accept', onclick: () => q('AcceptJob', {}), text: T.accept }),
      h('label', { for: 'decline-reason', text: T.declineReason }), reason,
      h('button', { id: 'decline', class: 'secondary', onclick: () => q('DeclineJob', { reason: reason.value }), text: T.decline }));
  } else if (s === 'JOB_STATE_ACCEPTED') {
    act.append(h('button', { id: 'travel', onclick: () => q('StartTravel', {}), text: T.travel }));
    act.append(transferForm(q));
  } else if (s === 'JOB_STATE_EN_ROUTE') {
    act.append(checkIn(q));
  } else if (s === 'JOB_STATE_ON_SITE') {
    onSite(job, act, base, mine);
  }
  show();
}

// history shows the fault as the ticket tells it and the unit's history (the job brief,
// cached for no signal); without one, what the job itself says.
async function history(job, box) {
  const b = await brief(job);
  if (!b) {
    box.append(h('div', { class: 'muted', text: `${T.unit} ${job.unitSerial || ''} · ${T.fault} ${job.faultCode || ''}` }));
    return;
  }
  const day = (ts) => (ts ? new Date(ts).toLocaleDateString(document.documentElement.lang) : '');
  const date = (d) => (d?.year ? `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}` : '');
  box.append(h('div', { id: 'brief-symptom' }, `${T.symptom}：${b.fault?.symptom || '-'}`),
    h('div', { class: 'muted', id: 'brief-unit' }, `${b.number || ''} · ${[b.unit?.model, b.unit?.serial || job.unitSerial].filter(Boolean).join(' ')} · ${T.fault} ${b.fault?.faultCode || job.faultCode || '-'}`));
  const earlier = b.earlierTickets || [], repairs = b.repairs || [];
  box.append(h('h3', { text: T.earlier }), h('ul', { class: 'plain', id: 'brief-earlier' },
    earlier.length ? earlier.map((e) => h('li', {}, `${e.number} · ${day(e.createTime)} · ${e.faultCode || '-'} · ${T.ticketStates[e.state] || e.state || ''}`)) : h('li', { class: 'muted', text: T.noHistory })));
  box.append(h('h3', { text: T.repairs }), h('ul', { class: 'plain', id: 'brief-repairs' },
    repairs.length ? repairs.map((r) => h('li', {}, `${date(r.repairDate)} · ${r.faultCode || '-'} · ${T.outcomes[r.outcome] || ''}${(r.parts || []).length ? ' · ' + r.parts.map((p) => p.partId).join(', ') : ''}`))
      : h('li', { class: 'muted', text: b.repairsUnavailable ? T.repairsUnavailable : T.noHistory })));
}

// likelyParts shows, for each part the job may need, whether the van holds enough.
function likelyParts(job, box, van) {
  const need = job.likelyParts || [];
  if (!need.length) return;
  box.append(h('h3', { text: T.likely }), h('ul', { class: 'plain', id: 'van-check' }, need.map((l) => {
    const have = vanLine(van, l.partId);
    const ok = have && Number(have.available || 0) >= Number(l.quantity || 1);
    return h('li', { 'data-part': l.partId, 'data-on-van': String(!!ok) }, `${have?.sku || l.partId} × ${l.quantity || 1} `,
      h('span', { class: ok ? 'ok' : 'error', text: van ? (ok ? T.onVan : T.notOnVan) : T.vanUnknown }));
  })));
}

// transferForm queues the transfer of an accepted job to a colleague, with the reason.
function transferForm(q) {
  const to = h('input', { id: 'transfer-to', name: 'toTechnicianId', autocomplete: 'off', maxlength: 64 });
  const why = h('input', { id: 'transfer-reason', name: 'reason', maxlength: 500 });
  const err = h('p', { class: 'error', id: 'transfer-error' });
  return h('details', { id: 'transfer' }, h('summary', { text: T.transfer }),
    h('label', { for: 'transfer-to', text: T.transferTo }), to, h('label', { for: 'transfer-reason', text: T.transferReason }), why, err,
    h('button', { id: 'transfer-send', class: 'secondary', onclick: () => {
      if (!to.value.trim() || !why.value.trim()) { err.textContent = T.needTransfer; return; }
      q('TransferJob', { toTechnicianId: to.value.trim(), reason: why.value.trim() });
    }, text: T.transfer }));
}

function checkIn(q) {
  const box = h('div', { id: 'checkin-box' });
  const status = h('p', { class: 'muted', id: 'checkin-status' });
  const lat = h('input', { id: 'lat', inputmode: 'decimal' }), lng = h('input', { id: 'lng', inputmode: 'decimal' });
  const manual = h('div', { hidden: true, id: 'checkin-manual' }, h('label', { text: T.lat }), lat, h('label', { text: T.lng }), lng,
    h('button', { class: 'secondary', onclick: () => q('CheckIn', { point: { latitude: Number(lat.value), longitude: Number(lng.value) }, checkInTime: new Date().toISOString() }), text: T.checkinManual }));
  box.append(h('button', { id: 'checkin', onclick: () => {
    status.textContent = T.locating;
    if (!navigator.geolocation) { status.textContent = T.locFailed + 'geolocation'; manual.hidden = false; return; }
    navigator.geolocation.getCurrentPosition(
      (p) => q('CheckIn', { point: { latitude: p.coords.latitude, longitude: p.coords.longitude }, checkInTime: new Date(p.timestamp || Date.now()).toISOString() }),
      (err) => { status.textContent = T.locFailed + err.message; manual.hidden = false; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }, text: T.checkin }), status, manual);
  return box;
}

// parts used on this visit are kept on the page until the report is queued.
const used = new Map();

function onSite(job, act, base, mine) {
  const id = job.id;
  // Parts reserved for the job on the van.
  const res = job.partsReservation || {};
  act.append(h('h3', { text: T.partsVan }), h('ul', { class: 'plain', id: 'van-parts' },
    (job.likelyParts || []).map((l) => h('li', {}, `${l.partId || ''} × ${l.quantity || 1}`)),
    res.state ? h('li', { class: 'muted' }, `${res.locationId || ''} ${res.detail || ''}`) : null));
  // Parts used: picked from the van, typed or scanned (a part id or the SKU on its label).
  const list = used.get(id) || [];
  used.set(id, list);
  const van = cache.get('van', null);
  const take = (partId, n) => { const have = list.find((p) => p.partId === partId); if (have) have.quantity = String(Number(have.quantity) + n); else list.push({ partId, quantity: String(n) }); draw(); };
  act.append(h('h3', { text: T.van }), h('ul', { class: 'plain', id: 'van-pick' }, (van?.lines || []).length
    ? van.lines.map((l) => h('li', { class: 'row' }, h('span', {}, `${l.sku || l.partId} ${l.name || ''} (${T.available} ${l.available || 0})`),
      h('button', { class: 'secondary', 'data-part': l.partId, onclick: () => take(l.partId, 1), text: T.pick })))
    : h('li', { class: 'muted', text: van ? T.vanNone : T.vanUnknown })));
  const code = h('input', { id: 'part-code', name: 'partCode', autocomplete: 'off', autocapitalize: 'characters' });
  const qty = h('input', { id: 'part-qty', name: 'qty', type: 'number', min: 1, value: 1, inputmode: 'numeric' });
  const ul = h('ul', { class: 'plain', id: 'parts-used' });
  const draw = () => { ul.textContent = ''; list.forEach((p) => ul.append(h('li', {}, `${p.partId} × ${p.quantity}`))); };
  draw();
  const scanMsg = h('p', { class: 'muted', id: 'scan-msg' });
  act.append(h('h3', { text: T.partsUsed }), h('label', { for: 'part-code', text: T.partCode }), code,
    h('label', { for: 'part-qty', text: T.qty }), qty,
    h('div', { class: 'row' },
      h('button', { id: 'add-part', onclick: () => { const c = code.value.trim(); if (!c) return; take(vanLine(van, c)?.partId || c, Math.max(1, Number(qty.value) || 1)); code.value = ''; }, text: T.addPart }),
      h('button', { id: 'scan', class: 'secondary', onclick: () => scan(code, scanMsg), text: T.scan })),
    scanMsg, ul);

  // Photos before and after: each is queued as an attachment of the ticket naming the job.
  for (const [which, label] of [['before', T.photosBefore], ['after', T.photosAfter]]) {
    const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, id: `photo-${which}`, name: `photo-${which}` });
    input.addEventListener('change', async () => {
      for (const f of input.files) {
        await enqueue({ type: 'upload', ticketId: job.ticketId, jobId: id, kind: 'photo', filename: `${which}-${f.name}`.slice(0, 200), blob: f, label: which });
      }
      jobScreen(id);
    });
    const queued = mine.filter((it) => it.type === 'upload' && it.label === which);
    act.append(h('h3', { text: label }), input,
      h('ul', { class: 'plain', id: `photos-${which}` }, queued.map((it) => h('li', {}, `${it.filename} · ${T.queued}`))));
  }

  // The report and the signature.
  const form = h('form', { id: 'report' });
  const field = (name, label, tag = 'input') => [h('label', { for: `r-${name}`, text: label }), h(tag, { id: `r-${name}`, name, maxlength: 2000 })];
  const resolved = h('input', { type: 'checkbox', id: 'r-resolved', name: 'resolved', checked: true });
  const canvas = h('canvas', { id: 'signature', width: 600, height: 240, 'aria-label': T.signHere });
  const err = h('p', { class: 'error', id: 'report-error' });
  form.append(h('h3', { text: T.report }), ...field('diagnosis', T.diagnosis, 'textarea'), ...field('faultCause', T.cause, 'textarea'),
    ...field('workDone', T.workDone, 'textarea'), h('label', {}, resolved, ' ', T.resolved), ...field('signer', T.signer),
    h('p', { text: T.signHere }), canvas, h('button', { type: 'button', class: 'secondary', id: 'sign-clear', onclick: () => pad.clear(), text: T.clear }),
    err, h('button', { type: 'submit', id: 'complete', text: T.complete }));
  const pad = signaturePad(canvas);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (n) => form.elements[n].value.trim();
    if (!v('signer')) { err.textContent = T.needSigner; return; }
    if (pad.empty()) { err.textContent = T.needSign; return; }
    const png = await new Promise((r) => canvas.toBlob(r, 'image/png'));
    const sig = await queue.add({ type: 'upload', ticketId: job.ticketId, jobId: id, kind: 'signature', filename: 'signature.png', blob: png, label: 'signature' });
    const report = { diagnosis: v('diagnosis'), faultCause: v('faultCause'), workDone: v('workDone'), resolved: resolved.checked,
      partsUsed: list, signOff: { signerName: v('signer'), signedTime: new Date().toISOString(), signatureRef: `@upload:${sig.requestId}` } };
    used.delete(id);
    await enqueue({ type: 'call', service: DISPATCH, method: 'CompleteVisit', body: { ...base, report }, jobId: id });
    jobScreen(id);
  });
  act.append(form);
}

// signaturePad draws with pointer events (finger, pen or mouse) on the canvas.
function signaturePad(c) {
  const g = c.getContext('2d');
  g.lineWidth = 4; g.lineCap = 'round'; g.lineJoin = 'round'; g.strokeStyle = '#111';
  let drawing = false, strokes = 0;
  const at = (e) => { const r = c.getBoundingClientRect(); return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height]; };
  c.addEventListener('pointerdown', (e) => { drawing = true; c.setPointerCapture(e.pointerId); const [x, y] = at(e); g.beginPath(); g.moveTo(x, y); e.preventDefault(); });
  c.addEventListener('pointermove', (e) => { if (!drawing) return; const [x, y] = at(e); g.lineTo(x, y); g.stroke(); strokes++; e.preventDefault(); });
  const end = () => { drawing = false; };
  c.addEventListener('pointerup', end);
  c.addEventListener('pointercancel', end);
  return { empty: () => strokes === 0, clear: () => { g.clearRect(0, 0, c.width, c.height); strokes = 0; } };
}

// scan reads a part code with the camera where the browser has BarcodeDetector.
async function scan(input, msg) {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) { msg.textContent = T.noScan; input.focus(); return; }
  let stream;
  try {
    const det = new window.BarcodeDetector();
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    const v = h('video', { id: 'scanner', playsinline: true, muted: true });
    v.srcObject = stream;
    msg.textContent = '';
    msg.append(v);
    await v.play();
    const until = Date.now() + 20000;
    while (Date.now() < until) {
      const codes = await det.detect(v);
      if (codes.length) { input.value = codes[0].rawValue; break; }
      await new Promise((r) => setTimeout(r, 250));
    }
    msg.textContent = '';
  } catch (e) {
    msg.textContent = T.noScan + ' (' + e.message + ')';
  } finally {
    stream?.getTracks().forEach((t) => t.stop());
  }
}

// ---- routing
async function route() {
  const app = $('#app');
  if (!me) {
    app.textContent = '';
    app.append(h('p', { id: 'signin-needed', text: T.signIn }), h('a', { class: 'btn', href: '/#/login', text: T.signInLink }));
    return;
  }
  if (!me.technicianId) { app.textContent = T.notTech; return; }
  const m = location.hash.match(/^#\/job\/([A-Za-z0-9._:-]+)$/);
  try {
    if (m) await jobScreen(m[1]);
    else if (location.hash === '#/van') await vanScreen();
    else await list();
  } catch (e) {
    app.append(h('p', { class: 'error', text: e.message }));
  }
}

async function start() {
  $('#title').textContent = T.title;
  $('#offline-switch').addEventListener('click', () => {
    localStorage.setItem('sanbao.tech.offline', forcedOffline() ? '0' : '1');
    kick();
  });
  window.addEventListener('online', kick);
  window.addEventListener('offline', showQueue);
  window.addEventListener('hashchange', route);
  setInterval(kick, 15000);
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/tech/sw.js', { scope: '/tech/' }).catch(() => {});
  await session();
  await showQueue();
  await route();
  kick();
  document.body.dataset.ready = 'true';
}

start();
