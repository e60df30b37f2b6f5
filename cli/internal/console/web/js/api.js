// api.js: calls to the services through the console's same-origin gateway in the Connect
// protocol (POST /api/<service>/<method>, JSON), with the console's CSRF header and the
// chosen language, and errors read into something a person can be shown.
import { current, t } from './i18n.js';

export const TICKET = 'sanbao.ticket.v1.TicketService';
export const WARRANTY = 'sanbao.warranty.v1.WarrantyService';
export const DISPATCH = 'sanbao.dispatch.v1.DispatchService';
export const INVENTORY = 'sanbao.inventory.v1.InventoryService';

// ApiError is a failed call: the Connect code, the message (localised when the service sent a
// LocalizedMessage), the ErrorInfo reason and every field violation.
export class ApiError extends Error {
  constructor(code, message, reason, fields) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.fields = fields || [];
  }
}

function headers() {
  return { 'Content-Type': 'application/json', 'X-Sanbao-Console': '1', 'Accept-Language': current() };
}

export async function call(service, method, body = {}) {
  const r = await fetch(`/api/${service}/${method}`, { method: 'POST', headers: headers(), body: JSON.stringify(body), credentials: 'same-origin' });
  const text = await r.text();
  let j = {};
  try { j = text ? JSON.parse(text) : {}; } catch { j = { code: 'unknown', message: text }; }
  if (r.ok) return j;
  throw readError(r.status, j);
}

function readError(status, j) {
  let msg = j.message || '', reason = '', fields = [];
  for (const d of j.details || []) {
    const v = d.debug || {};
    if (d.type === 'google.rpc.LocalizedMessage' && v.message) msg = v.message;
    if (d.type === 'google.rpc.ErrorInfo') reason = v.reason || '';
    if (d.type === 'google.rpc.BadRequest') fields = fields.concat((v.fieldViolations || []).map(f => `${f.field}: ${f.localizedMessage?.message || f.description}`));
  }
  if (status === 401) msg = msg || t('err.signin');
  return new ApiError(j.code || String(status), msg || t('err.unknown'), reason, fields);
}

// session calls the console's own session endpoints.
export async function session(path, body) {
  const init = body === undefined ? { headers: headers() } : { method: 'POST', headers: headers(), body: JSON.stringify(body) };
  const r = await fetch(`/session${path}`, init);
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw readError(r.status, j);
  return j;
}

// rid is a fresh idempotency key for one create or action (a retried click reuses it).
export function rid(what) {
  const a = new Uint8Array(8);
  crypto.getRandomValues(a);
  return `console-${what}-${Array.from(a, b => b.toString(16).padStart(2, '0')).join('')}`;
}
