// cust.js: the customer's page of one unit (/u/<code>, what the printed QR code opens). It
// shows the unit and its service history as the customer may see them (the ticket service's
// public view), asks for a one-time code to the phone on record, then reports a problem and
// follows each ticket (tracking steps, refreshed) to the survey. The customer's session is
// kept in this tab only (sessionStorage) and is good for this unit only: the service checks it.
const zh = {
  title: '设备服务', product: '产品', history: '服务记录', none: '暂无服务记录', notFound: '找不到这台设备：请核对二维码下方的编码',
  busy: '查询太频繁，请稍后再试', askOtp: '获取验证码（发送到登记的手机）', otpSent: '验证码已发送，5 分钟内有效', otp: '验证码', verify: '验证',
  report: '报修', kind: '类型', symptom: '故障现象', windowStart: '希望上门时间', send: '提交报修', tracking: '进度', refresh: '刷新',
  technician: '服务工程师', eta: '预计到达',
  warranty: '三包与保修', inWarranty: '在三包有效期内：整机免费维修', outOfWarranty: '已过免费维修期：可有偿维修', noWarranty: '暂时查询不到保修信息，请联系服务热线',
  until: '至', unlimited: '长期有效', ended: '已到期', notYet: '尚未开始', asOf: '查询日期',
  coverage: { refund: '退货期（可选退货、换货或修理）', exchange: '换货期（可选换货或修理）', return: '无理由退货期（包装完好）',
    free_repair: '整机包修期（免费修理）', paid_service: '保修期（有偿服务）', part: '更换部件的包修期', warranty_card: '保修卡回执期限' },
  media: '故障照片或短视频（可拍摄）', uploading: '正在上传照片…', uploadFailed: '照片未能上传：',
  survey: '服务评价', quality: '服务质量（1–5）', comment: '意见', sendSurvey: '提交评价', thanks: '谢谢您的评价',
  kinds: { TICKET_KIND_REPAIR: '维修', TICKET_KIND_MAINTENANCE: '保养', TICKET_KIND_INSTALLATION: '安装', TICKET_KIND_CONSULTATION: '咨询' },
  // A ticket's states as the customer is told them (triage and escalation are the desk's).
  states: { TICKET_STATE_RECEIVED: '已受理', TICKET_STATE_TRIAGED: '已受理', TICKET_STATE_AWAITING: '等待中', TICKET_STATE_REMOTE_GUIDANCE: '远程指导中',
    TICKET_STATE_DISPATCHED: '已派工', TICKET_STATE_IN_SERVICE: '服务中', TICKET_STATE_ESCALATED: '处理中', TICKET_STATE_RESOLVED: '已修复',
    TICKET_STATE_CLOSED: '已完成', TICKET_STATE_REOPENED: '重新处理中', TICKET_STATE_CANCELLED: '已取消' },
  steps: { received: '已受理', coverage_decided: '已确定保修责任', technician_assigned: '已派技师', on_the_way: '技师在路上', done: '已完成', survey: '已评价' },
};
const en = {
  title: 'Service', product: 'Product', history: 'Service history', none: 'No service yet', notFound: 'No unit has this code: check the code under the QR code',
  busy: 'Too many lookups: try again shortly', askOtp: 'Send me a code (to the phone on record)', otpSent: 'Code sent, valid 5 minutes', otp: 'Code', verify: 'Verify',
  report: 'Report a problem', kind: 'Kind', symptom: 'What is wrong', windowStart: 'Preferred time', send: 'Send', tracking: 'Progress', refresh: 'Refresh',
  technician: 'Your engineer', eta: 'expected',
  warranty: 'Warranty', inWarranty: 'In warranty: repairs of the whole unit are free', outOfWarranty: 'Free repair has ended: repairs are paid', noWarranty: 'Warranty status not available now: call the service line',
  until: 'until', unlimited: 'no end', ended: 'ended', notYet: 'not started', asOf: 'as of',
  coverage: { refund: 'Refund (or exchange or repair)', exchange: 'Exchange (or repair)', return: 'Return (packaging intact)',
    free_repair: 'Free repair of the whole unit', paid_service: 'Paid service', part: "A replaced part's own warranty", warranty_card: 'Warranty card deadline' },
  media: 'Photos or a short video of the fault (camera)', uploading: 'Uploading…', uploadFailed: 'A photo was not uploaded: ',
  survey: 'Survey', quality: 'Service quality (1–5)', comment: 'Comment', sendSurvey: 'Send', thanks: 'Thank you',
  kinds: { TICKET_KIND_REPAIR: 'Repair', TICKET_KIND_MAINTENANCE: 'Maintenance', TICKET_KIND_INSTALLATION: 'Installation', TICKET_KIND_CONSULTATION: 'Question' },
  states: { TICKET_STATE_RECEIVED: 'received', TICKET_STATE_TRIAGED: 'received', TICKET_STATE_AWAITING: 'waiting', TICKET_STATE_REMOTE_GUIDANCE: 'remote guidance',
    TICKET_STATE_DISPATCHED: 'engineer assigned', TICKET_STATE_IN_SERVICE: 'in service', TICKET_STATE_ESCALATED: 'in progress', TICKET_STATE_RESOLVED: 'fixed',
    TICKET_STATE_CLOSED: 'done', TICKET_STATE_REOPENED: 'being looked at again', TICKET_STATE_CANCELLED: 'cancelled' },
  steps: { received: 'received', coverage_decided: 'warranty decided', technician_assigned: 'engineer assigned', on_the_way: 'engineer on the way',
    done: 'done', survey: 'rated' },
};
const T = (localStorage.getItem('sanbao.lang') || 'zh-CN').startsWith('en') ? en : zh;

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
const app = document.getElementById('app');

// The code is the last path segment; anything but a code's characters is not sent anywhere.
const raw = decodeURIComponent(location.pathname.replace(/^\/u\//, ''));
const code = /^[0-9A-Za-z -]{1,32}$/.test(raw) ? raw.replace(/[ -]/g, '').toUpperCase() : '';
const base = `/c/v1/c/${encodeURIComponent(code)}`;
const sessionKey = `sanbao.customer.${code}`;

async function api(path, init = {}) {
  const headers = { 'X-Sanbao-Console': '1', ...(init.body ? { 'Content-Type': 'application/json' } : {}) };
  const tok = sessionStorage.getItem(sessionKey);
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const r = await fetch(base + path, { ...init, headers, credentials: 'omit' });
  const text = await r.text();
  let j = {};
  try { j = text ? JSON.parse(text) : {}; } catch { j = {}; }
  if (!r.ok) { const e = new Error(j.message || r.statusText); e.status = r.status; throw e; }
  return j;
}

function when(ts) { return ts ? new Date(ts).toLocaleString(document.documentElement.lang) : ''; }
function rid() { const b = new Uint8Array(12); crypto.getRandomValues(b); return 'web-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''); }

async function unit() {
  document.getElementById('title').textContent = T.title;
  if (!code) { app.replaceChildren(h('p', { class: 'error', id: 'not-found', text: T.notFound })); return; }
  let view;
  try { view = await api(''); } catch (e) {
    app.replaceChildren(h('p', { class: 'error', id: 'not-found', text: e.status === 429 ? T.busy : T.notFound }));
    return;
  }
  const hist = view.history || [];
  const screen = h('div', {},
    h('section', { class: 'card', id: 'unit' }, h('h2', {}, `${T.product}：${view.productLine || ''}`)),
    warrantyBox(view.warranty),
    h('section', { class: 'card', id: 'history' }, h('h3', { text: T.history }),
      hist.length ? h('ul', { class: 'plain' }, hist.map((v) => h('li', { 'data-number': v.number },
        h('a', { href: `#${v.number}`, text: v.number }), ` ${T.kinds[v.kind] || ''} · ${T.states[v.state] || v.state} · ${when(v.createTime)}`)))
        : h('p', { class: 'muted', text: T.none })));
  app.replaceChildren(screen);
  if (!sessionStorage.getItem(sessionKey)) screen.append(otpBox());
  else screen.append(reportBox());
  const number = location.hash.slice(1);
  if (number && /^[A-Za-z0-9-]{1,64}$/.test(number) && sessionStorage.getItem(sessionKey)) screen.append(await trackBox(number));
}

// warrantyBox explains the unit's warranty as warranty-rules computed it today: in warranty or
// not, and each period's end date in words.
function warrantyBox(w) {
  const box = h('section', { class: 'card', id: 'warranty' }, h('h3', { text: T.warranty }));
  if (!w) { box.append(h('p', { class: 'muted', id: 'warranty-status', text: T.noWarranty })); return box; }
  const day = (d) => d ? `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}` : '';
  box.dataset.inWarranty = String(!!w.inWarranty);
  box.append(h('p', { id: 'warranty-status', class: w.inWarranty ? 'ok' : 'muted', text: w.inWarranty ? T.inWarranty : T.outOfWarranty }),
    h('ul', { class: 'plain', id: 'coverages' }, (w.coverages || []).map((c) => h('li', { 'data-kind': c.kind, 'data-active': String(!!c.active) },
      `${c.active ? '✓' : '○'} ${T.coverage[c.kind] || c.kind}${c.partId ? ' ' + c.partId : ''}：${c.unlimited ? T.unlimited : `${T.until} ${day(c.endDate)}`}${c.active ? '' : ` (${!c.unlimited && day(c.endDate) < day(w.asOfDate) ? T.ended : T.notYet})`}`))),
    h('p', { class: 'muted', text: `${T.asOf} ${day(w.asOfDate)}` }));
  return box;
}

function otpBox() {
  const msg = h('p', { class: 'muted', id: 'otp-msg' });
  const otp = h('input', { id: 'otp', name: 'otp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 });
  return h('section', { class: 'card', id: 'otp-box' },
    h('button', { id: 'ask-otp', onclick: async () => { try { await api('/otp', { method: 'POST', body: '{}' }); msg.textContent = T.otpSent; } catch (e) { msg.textContent = e.message; } }, text: T.askOtp }),
    msg, h('label', { for: 'otp', text: T.otp }), otp,
    h('button', { id: 'verify', onclick: async () => {
      try {
        const r = await api('/session', { method: 'POST', body: JSON.stringify({ otp: otp.value.trim() }) });
        sessionStorage.setItem(sessionKey, r.token);
        unit();
      } catch (e) { msg.textContent = e.message; }
    }, text: T.verify }));
}

function reportBox() {
  const form = h('form', { id: 'report', class: 'card' });
  const kind = h('select', { name: 'kind', id: 'kind' }, Object.entries(T.kinds).map(([k, v]) => h('option', { value: k, text: v })));
  const err = h('p', { class: 'error' });
  form.append(h('h3', { text: T.report }), h('label', { for: 'kind', text: T.kind }), kind,
    h('label', { for: 'symptom', text: T.symptom }), h('textarea', { id: 'symptom', name: 'symptom', maxlength: 4000, required: true }),
    h('label', { for: 'window', text: T.windowStart }), h('input', { id: 'window', name: 'window', type: 'datetime-local' }),
    h('label', { for: 'media', text: T.media }), h('input', { id: 'media', name: 'media', type: 'file', accept: 'image/*,video/*', capture: 'environment', multiple: true }),
    err, h('button', { type: 'submit', id: 'send-report', text: T.send }));
  const id = rid(); // one request id per form: a resend lands once
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const w = form.elements.window.value ? new Date(form.elements.window.value) : null;
    const body = { requestId: id, kind: kind.value, symptom: form.elements.symptom.value.trim() };
    if (w) { body.windowStartTime = w.toISOString(); body.windowEndTime = new Date(w.getTime() + 2 * 3600e3).toISOString(); }
    try {
      const r = await api('/tickets', { method: 'POST', body: JSON.stringify(body) });
      const files = Array.from(form.elements.media.files || []);
      if (files.length) err.textContent = T.uploading;
      for (const [i, f] of files.entries()) await attach(r.number, f, `${id}-${i}`); // one key per file: a resend lands once
      location.hash = r.number || '';
      unit();
    } catch (x) { err.textContent = x.message; }
  });
  return form;
}

// attach uploads one photo or video to the customer's ticket: the file is the body, its
// SHA-256 (when the browser offers it) checked by the service.
async function attach(number, file, key) {
  const kind = file.type.startsWith('video/') ? 'video' : 'photo';
  const q = new URLSearchParams({ kind, filename: file.name.slice(0, 200), request_id: key });
  if (crypto.subtle) {
    const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    q.set('sha256', Array.from(sum, (x) => x.toString(16).padStart(2, '0')).join(''));
  }
  const r = await fetch(`${base}/tickets/${encodeURIComponent(number)}/attachments?${q}`, { method: 'POST', credentials: 'omit', body: file,
    headers: { 'X-Sanbao-Console': '1', 'Content-Type': file.type || 'application/octet-stream', Authorization: `Bearer ${sessionStorage.getItem(sessionKey)}` } });
  if (!r.ok) { let m = r.statusText; try { m = (await r.json()).message || m; } catch { /* not JSON */ } throw new Error(T.uploadFailed + m); }
}

let timer;
async function trackBox(number) {
  const box = h('section', { class: 'card', id: 'tracking', 'data-number': number }, h('h3', {}, `${T.tracking} ${number}`));
  clearTimeout(timer);
  try {
    const t = await api(`/tickets/${encodeURIComponent(number)}`);
    box.dataset.state = t.state;
    box.append(h('ol', { class: 'plain', id: 'steps' }, (t.steps || []).map((s) => h('li', { 'data-step': s.step, 'data-done': String(!!s.time) },
      `${s.time ? '✓' : '○'} ${T.steps[s.step] || s.step} ${when(s.time)}`))));
    if (t.technicianName) box.append(h('p', { id: 'technician' }, `${T.technician}：${t.technicianName}`, t.etaTime ? ` · ${T.eta} ${when(t.etaTime)}` : ''));
    if (t.state === 'TICKET_STATE_RESOLVED' && !(t.steps || []).some((s) => s.step === 'survey' && s.time)) box.append(surveyBox(number));
  } catch (e) { box.append(h('p', { class: 'error', text: e.message })); }
  timer = setTimeout(() => { const old = document.getElementById('tracking'); if (old) trackBox(number).then((n) => old.replaceWith(n)); }, 10000);
  return box;
}

function surveyBox(number) {
  const f = h('form', { id: 'survey' });
  const key = rid();
  f.append(h('h3', { text: T.survey }), h('label', { for: 'quality', text: T.quality }), h('input', { id: 'quality', name: 'quality', type: 'number', min: 1, max: 5, value: 5 }),
    h('label', { for: 'comment', text: T.comment }), h('textarea', { id: 'comment', name: 'comment', maxlength: 2000 }), h('button', { type: 'submit', text: T.sendSurvey }));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = Number(f.elements.quality.value);
    try {
      await fetch(`${base}/tickets/${encodeURIComponent(number)}/survey`, { method: 'POST', credentials: 'omit',
        headers: { 'Content-Type': 'application/json', 'X-Sanbao-Console': '1', 'Idempotency-Key': key, Authorization: `Bearer ${sessionStorage.getItem(sessionKey)}` },
        body: JSON.stringify({ answers: ['timeliness', 'attitude', 'quality'].map((k) => ({ question: k, score: q })), comment: f.elements.comment.value }) }).then((r) => { if (!r.ok) throw new Error(r.statusText); });
      f.replaceWith(h('p', { class: 'ok', id: 'survey-done', text: T.thanks }));
    } catch (x) { f.append(h('p', { class: 'error', text: x.message })); }
  });
  return f;
}

window.addEventListener('hashchange', unit);
unit();
