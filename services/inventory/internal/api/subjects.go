package api

// NATS subjects of the inventory's events, sanbao.inventory.v1.<entity>.<event>, and of the
// events it consumes.
const (
	SubjectPartCreated           = "sanbao.inventory.v1.part.created"
	SubjectPartUpdated           = "sanbao.inventory.v1.part.updated"
	SubjectLocationCreated       = "sanbao.inventory.v1.location.created"
	SubjectLocationUpdated       = "sanbao.inventory.v1.location.updated"
	SubjectStockReceived         = "sanbao.inventory.v1.stock.received"
	SubjectStockTransferred      = "sanbao.inventory.v1.stock.transferred"
	SubjectStockAdjusted         = "sanbao.inventory.v1.stock.adjusted"
	SubjectBelowReorderPoint     = "sanbao.inventory.v1.stock.below_reorder_point"
	SubjectReservationCreated    = "sanbao.inventory.v1.reservation.created"
	SubjectReservationReleased   = "sanbao.inventory.v1.reservation.released"
	SubjectReservationExpired    = "sanbao.inventory.v1.reservation.expired"
	SubjectReservationConsumed   = "sanbao.inventory.v1.reservation.consumed"
	SubjectRequisitionCreated    = "sanbao.inventory.v1.requisition.created"
	SubjectRequisitionApproved   = "sanbao.inventory.v1.requisition.approved"
	SubjectRequisitionRejected   = "sanbao.inventory.v1.requisition.rejected"
	SubjectRequisitionIssued     = "sanbao.inventory.v1.requisition.issued"
	SubjectReturnReceived        = "sanbao.inventory.v1.return.received"
	SubjectReturnAppraised       = "sanbao.inventory.v1.return.appraised"
	SubjectSupplierClaimOpened   = "sanbao.inventory.v1.supplier_claim.opened"
	SubjectSupplierClaimResolved = "sanbao.inventory.v1.supplier_claim.resolved"
	SubjectStockingPlanSubmitted = "sanbao.inventory.v1.stocking_plan.submitted"

	// SubjectJobCancelled is dispatch's event that releases a job's reservations.
	SubjectJobCancelled = "sanbao.dispatch.v1.job.cancelled"
	// StreamDispatch is the stream SubjectJobCancelled is on.
	StreamDispatch = "DISPATCH"
	// DurableJobCancelled is the inventory's durable consumer name for it.
	DurableJobCancelled = "inventory-job-cancelled"
	// TimerReservationExpiry is the timer kind that expires a reservation (key: its id).
	TimerReservationExpiry = "inventory.reservation.expire"
)
