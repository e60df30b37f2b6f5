// warehouse.js: the warehouse keeper's screen: stock by location, reservations, old parts due
// back and their appraisal, requisitions waiting.
import { h, mount, val } from './dom.js';
import { t, e, when } from './i18n.js';
import { call, rid, INVENTORY } from './api.js';
import { errorBox, table, select, busy } from './ui.js';
import { state } from './app.js';

export async function warehouseView() {
  const msg = h('div', {});
  let locations, parts, reservations, returns;
  try {
    [locations, parts, reservations, returns] = await Promise.all([
      call(INVENTORY, 'ListLocations', { pageSize: 200 }).then(r => r.locations || []),
      call(INVENTORY, 'ListParts', { pageSize: 50 }).then(r => r.parts || []),
      call(INVENTORY, 'ListReservations', { pageSize: 200, state: 'RESERVATION_STATE_ACTIVE' }).then(r => r.reservations || []),
      call(INVENTORY, 'ListOutstandingReturns', { pageSize: 200 }).then(r => r.returns || []),
    ]);
  } catch (err) { return mount(h('h1', {}, t('warehouse.title')), errorBox(err)); }
  const locName = Object.fromEntries(locations.map(l => [l.id, l.name]));
  const partName = Object.fromEntries(parts.map(p => [p.id, `${p.sku || ''} ${p.name || ''}`.trim()]));
  const levels = [];
  for (const p of parts) {
    const r = await call(INVENTORY, 'GetStock', { partId: p.id, limit: 100 }).catch(() => ({ levels: [] }));
    for (const l of r.levels || []) levels.push({ part: p, ...l });
  }
  levels.sort((a, b) => (a.location?.name || '').localeCompare(b.location?.name || '') || (a.part.sku || '').localeCompare(b.part.sku || ''));
  const appraise = r => {
    const f = h('form', { class: 'row', 'data-return': r.id },
      select('verdict', ['VERDICT_CONFIRMED_FAULT', 'VERDICT_NO_FAULT_FOUND']), select('destination', ['DESTINATION_SUPPLIER_CLAIM', 'DESTINATION_SCRAP', 'DESTINATION_REUSABLE']),
      h('input', { name: 'note', placeholder: t('field.note') }), h('button', { type: 'submit' }, t('act.appraise')));
    f.addEventListener('submit', busy(f.querySelector('button'), async () => {
      try {
        await call(INVENTORY, 'AppraiseReturn', { requestId: rid('appraise'), returnId: r.id, verdict: val(f, 'verdict'), destination: val(f, 'destination'), appraiserId: state.me.subject, note: val(f, 'note') });
        await warehouseView();
      } catch (err) { msg.replaceChildren(errorBox(err)); }
    }));
    return f;
  };
  mount(h('h1', {}, t('warehouse.title')), msg,
    h('h2', {}, t('warehouse.stock')), table(['col.location', 'col.locationKind', 'col.part', 'col.onHand', 'col.reserved', 'col.available'], levels.map(l =>
      h('tr', {}, h('td', {}, l.location?.name || l.location?.id), h('td', {}, e(l.location?.kind)), h('td', {}, partName[l.part.id]),
        h('td', {}, l.onHand || 0), h('td', {}, l.reserved || 0), h('td', { class: Number(l.available || 0) <= 0 ? 'warn' : '' }, l.available || 0))), { id: 'stock' }),
    h('h2', {}, t('warehouse.reservations')), table(['col.reservation', 'col.job', 'col.location', 'col.lines', 'col.expires'], reservations.map(r =>
      h('tr', {}, h('td', {}, r.id), h('td', {}, r.jobId), h('td', {}, locName[r.locationId] || r.locationId), h('td', {}, (r.lines || []).map(l => `${partName[l.partId] || l.partId} ×${l.quantity}`).join('、')),
        h('td', {}, when(r.expireTime))))),
    h('h2', {}, t('warehouse.returns')), table(['col.part', 'col.faultySerial', 'col.state', 'col.due', 'col.appraisal'], returns.map(r => {
      const late = r.dueTime && new Date(r.dueTime) < Date.now() && r.state === 'RETURN_STATE_AWAITING_RETURN';
      return h('tr', { class: late ? 'breached' : '' }, h('td', {}, partName[r.partId] || r.partId), h('td', {}, r.faultySerial || '—'), h('td', {}, e(r.state)),
        h('td', {}, when(r.dueTime)), h('td', {}, r.state === 'RETURN_STATE_PENDING_APPRAISAL' ? appraise(r) : e(r.verdict)));
    }), { id: 'returns' }));
}
