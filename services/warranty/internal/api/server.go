// Package api serves the warranty gRPC API: requests become domain calls and store writes,
// with their events in the same transaction, and errors become gRPC codes in one table.
package api

import (
	"errors"
	"sync"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// Event subjects of the warranty service.
const (
	SubjectPolicyCreated   = "sanbao.warranty.v1.policy.created"
	SubjectUnitRegistered  = "sanbao.warranty.v1.unit.registered"
	SubjectCardReturned    = "sanbao.warranty.v1.unit.card_returned"
	SubjectUnitExchanged   = "sanbao.warranty.v1.unit.exchanged"
	SubjectRepairRecorded  = "sanbao.warranty.v1.repair.recorded"
	SubjectClaimEvaluated  = "sanbao.warranty.v1.claim.evaluated"
	SubjectCampaignCreated = "sanbao.warranty.v1.campaign.created"
	// SubjectRepairChargedBack: an appraisal found a warranty swap was not a warranty case.
	SubjectRepairChargedBack = "sanbao.warranty.v1.repair.charged_back"

	// SubjectVisitCompleted is dispatch's event whose service reports become repairs.
	SubjectVisitCompleted = "sanbao.dispatch.v1.job.visit_completed"
	// SubjectJobFailed is dispatch's event of a failed visit: a handling that did not fix.
	SubjectJobFailed = "sanbao.dispatch.v1.job.failed"
)

// Server implements warrantyv1.WarrantyServiceServer.
type Server struct {
	warrantyv1.UnimplementedWarrantyServiceServer

	engine *domain.Engine
	p      *daemon.Platform

	mu    sync.Mutex
	cache map[policyKey]*domain.Compiled
}

var _ warrantyv1.WarrantyServiceServer = (*Server)(nil)

// New returns a server; Start gives it the platform before any call arrives.
func New() (*Server, error) {
	eng, err := domain.NewEngine()
	if err != nil {
		return nil, err
	}
	return &Server{engine: eng, cache: map[policyKey]*domain.Compiled{}}, nil
}

// Start keeps the platform and registers the consumers of dispatch's visit reports (completed
// and failed), of parts-inventory's old-part appraisals, and of what the cost report needs of
// parts-inventory (part costs, must-return old parts, supplier claims).
func (s *Server) Start(p *daemon.Platform) {
	s.p = p
	p.Consume(visitConsumerConfig(s))
	p.Consume(appraisalConsumerConfig(s))
	p.Consume(inventoryConsumerConfig(s))
}

// errPolicyUnknown: a unit names a policy version that does not exist.
var errPolicyUnknown = errors.New("unknown policy")

// errPartCostUnknown: a quote's material has no cost given and none known from parts-inventory.
var errPartCostUnknown = errors.New("part cost unknown")

// toStatus maps domain and store errors to gRPC status errors; the rest go to rpc.Status.
func toStatus(err error) error {
	var ve *domain.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		vs := make([]rpc.Violation, len(ve.Violations))
		for i, v := range ve.Violations {
			vs[i] = rpc.Violation{Field: v.Field, Description: v.Rule}
		}
		return rpc.InvalidArgument(vs...)
	case errors.Is(err, errPolicyUnknown):
		return rpc.Fail(rpc.ReasonPolicyUnknown, "%s", err.Error())
	case errors.Is(err, errPartCostUnknown):
		return rpc.Fail(rpc.ReasonPartCostUnknown, "%s", err.Error())
	case errors.Is(err, store.ErrNotFound):
		return rpc.Fail(rpc.ReasonNotFound, "%s", err.Error())
	case errors.Is(err, store.ErrSerialTaken):
		return rpc.Fail(rpc.ReasonSerialTaken, "%s", err.Error())
	case errors.Is(err, domain.ErrCardAlreadyReturned):
		return rpc.Fail(rpc.ReasonCardReturned, "%s", err.Error())
	case errors.Is(err, domain.ErrUnitClosed):
		return rpc.Fail(rpc.ReasonUnitClosed, "%s", err.Error())
	}
	return rpc.Status(err)
}
