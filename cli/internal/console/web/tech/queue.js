// queue.js: the phone's offline queue in IndexedDB. Every change the technician makes is an
// item stored before anything is sent, with a request id made when it is queued; the items are
// sent in the order they were queued, each until the service answers (a network failure keeps
// it and stops the round; the retry carries the same request id, so the service applies it
// once). An upload's answer (the attachment id) is kept by its request id, so a later call can
// name it: "@upload:<request id>" in a call's body is replaced by that attachment's id.
const DB = 'sanbao-tech';
const VERSION = 1;

let dbp;
function db() {
  if (!dbp) {
    dbp = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB, VERSION);
      r.onupgradeneeded = () => {
        const d = r.result;
        d.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
        d.createObjectStore('results', { keyPath: 'requestId' });
        d.createObjectStore('failed', { keyPath: 'seq' });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  return dbp;
}

function tx(stores, mode, fn) {
  return db().then((d) => new Promise((resolve, reject) => {
    const t = d.transaction(stores, mode);
    let out;
    Promise.resolve(fn(t)).then((v) => { out = v; });
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('aborted'));
  }));
}

function req(r) {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}

// requestId makes an id the services accept (letters, digits, ".", "_", ":", "-").
export function requestId(prefix) {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return `${prefix}-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

// add queues an item ({type: 'call', service, method, body, jobId, label} or {type: 'upload',
// ticketId, jobId, kind, filename, blob, label}); it gets a requestId unless it has one.
export async function add(item) {
  const it = { ...item, requestId: item.requestId || requestId(item.type === 'upload' ? 'up' : 'call'), queued: Date.now() };
  if (it.type === 'call') it.body = { ...it.body, requestId: it.requestId };
  await tx(['queue'], 'readwrite', (t) => { t.objectStore('queue').add(it); });
  return it;
}

// items are the queued items in order.
export function items() { return tx(['queue'], 'readonly', (t) => req(t.objectStore('queue').getAll())); }

// failed are the items a service refused, with its message.
export function failed() { return tx(['failed'], 'readonly', (t) => req(t.objectStore('failed').getAll())); }

async function result(rid) {
  const r = await tx(['results'], 'readonly', (t) => req(t.objectStore('results').get(rid)));
  return r ? r.id : '';
}

function substitute(v, ids) {
  if (typeof v === 'string' && v.startsWith('@upload:')) return ids[v.slice(8)] ?? v;
  if (Array.isArray(v)) return v.map((x) => substitute(x, ids));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, ids)]));
  return v;
}

function refs(v, out = []) {
  if (typeof v === 'string' && v.startsWith('@upload:')) out.push(v.slice(8));
  else if (Array.isArray(v)) v.forEach((x) => refs(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => refs(x, out));
  return out;
}

// Offline is thrown by a send that did not reach the service.
export class Offline extends Error {}

// Refused is thrown by a send the service answered with an error that a retry cannot change.
export class Refused extends Error {}

async function sendOne(it, send) {
  if (it.type === 'upload') {
    const att = await send.upload(it);
    await tx(['results'], 'readwrite', (t) => { t.objectStore('results').put({ requestId: it.requestId, id: att.id }); });
    return;
  }
  const ids = {};
  for (const rid of refs(it.body)) {
    const id = await result(rid);
    if (!id) throw new Refused(`the attachment ${rid} it names was not uploaded`);
    ids[rid] = id;
  }
  await send.call(it.service, it.method, substitute(it.body, ids));
}

let running = null;

// flush sends the queue in order with send ({call, upload}); it stops at the first item that
// does not reach the service. A refused item moves to "failed" and the round goes on. Only
// one round runs at a time; a second call waits for it.
export function flush(send, onChange) {
  if (running) return running;
  running = (async () => {
    try {
      for (;;) {
        const [it] = await tx(['queue'], 'readonly', (t) => req(t.objectStore('queue').getAll(null, 1)));
        if (!it) return;
        try {
          await sendOne(it, send);
          await tx(['queue'], 'readwrite', (t) => { t.objectStore('queue').delete(it.seq); });
        } catch (e) {
          if (!(e instanceof Refused)) return; // no signal: keep it, try again later
          await tx(['queue', 'failed'], 'readwrite', (t) => {
            t.objectStore('queue').delete(it.seq);
            t.objectStore('failed').put({ ...it, blob: undefined, error: e.message });
          });
        }
        onChange?.();
      }
    } finally {
      running = null;
      onChange?.();
    }
  })();
  return running;
}
