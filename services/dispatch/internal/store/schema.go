// Package store keeps dispatch's technicians and jobs in its bbolt file, with the secondary
// indexes that list pages are served from; it is the only dispatch package that imports bbolt.
package store

import (
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Version is the layout version of dispatch's file.
const Version = 1

// Buckets of dispatch's file. Values are binary protobuf (the API messages); index buckets map
// composite keys to nothing.
var (
	// bucketTechnicians: technician id → dispatchv1.Technician.
	bucketTechnicians = []byte("technicians")
	// bucketTechsByOrg: organisation id | technician id → "".
	bucketTechsByOrg = []byte("technicians_by_org")
	// bucketJobs: job id (ULID, creation order) → dispatchv1.Job.
	bucketJobs = []byte("jobs")
	// bucketJobsByTicket: ticket id | job id → "".
	bucketJobsByTicket = []byte("jobs_by_ticket")
	// bucketJobsByState: state number (2 digits) | job id → "".
	bucketJobsByState = []byte("jobs_by_state")
	// bucketJobsByTech: technician id | job id → "" for the current assignee.
	bucketJobsByTech = []byte("jobs_by_technician")
	// bucketOpenJobsByTech: technician id | job id → "" for the current assignee while the job
	// is open (assigned, accepted, en route, on site): a technician's day without their
	// history. Rebuilt from jobs_by_state at every start (RebuildOpenJobs), so a file written
	// by a binary that did not keep it is right again after an upgrade.
	bucketOpenJobsByTech = []byte("open_jobs_by_technician")
)

// Schema is dispatch's store layout.
func Schema() pstore.Schema {
	return pstore.Schema{
		Version: Version,
		Buckets: [][]byte{bucketTechnicians, bucketTechsByOrg, bucketJobs, bucketJobsByTicket,
			bucketJobsByState, bucketJobsByTech, bucketOpenJobsByTech},
	}
}
