package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// ReturnOldPart records an old part that came back; it waits for appraisal.
func (s *Server) ReturnOldPart(ctx context.Context, req *inventoryv1.ReturnOldPartRequest) (*inventoryv1.ReturnOldPartResponse, error) {
	resp := &inventoryv1.ReturnOldPartResponse{}
	err := s.update(ctx, "ReturnOldPart", req, resp, func(tx *store.Tx, now time.Time) error {
		if _, err := tx.Part(req.GetPartId()); err != nil {
			return err
		}
		var prev *inventoryv1.OldPartReturn
		var err error
		if id := req.GetReturnId(); id != "" {
			prev, err = tx.Return(id)
			if err != nil {
				return err
			}
			if prev.GetJobId() != req.GetJobId() || prev.GetPartId() != req.GetPartId() {
				return domain.Invalid("return_id", "return %s is for job %s, part %s", id, prev.GetJobId(), prev.GetPartId())
			}
		} else if prev, err = tx.FirstAwaiting(req.GetJobId(), req.GetPartId()); err != nil {
			return err
		}
		r := &inventoryv1.OldPartReturn{
			Id: ids.NewAt(now), JobId: req.GetJobId(), PartId: req.GetPartId(),
			State: inventoryv1.ReturnState_RETURN_STATE_PENDING_APPRAISAL, CreateTime: timestamppb.New(now),
		}
		if prev != nil {
			next, err := domain.NextReturnState(domain.ReturnState(prev.GetState()), domain.ReturnReceive)
			if err != nil {
				return err
			}
			r = cloneReturn(prev)
			r.State = inventoryv1.ReturnState(next)
		}
		r.FaultySerial = req.GetFaultySerial()
		if req.GetReplacementSerial() != "" {
			r.ReplacementSerial = req.GetReplacementSerial()
		}
		r.Reason = req.GetReason()
		r.ReturnTime = timestamppb.New(now)
		if err := tx.PutReturn(r, prev); err != nil {
			return err
		}
		resp.OldPartReturn = r
		return emit(tx, SubjectReturnReceived, "returns/"+r.GetId(), &inventoryv1.OldPartReturned{OldPartReturn: r}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func cloneReturn(r *inventoryv1.OldPartReturn) *inventoryv1.OldPartReturn {
	return proto.Clone(r).(*inventoryv1.OldPartReturn)
}

// AppraiseReturn records the verdict and destination of a returned old part.
func (s *Server) AppraiseReturn(ctx context.Context, req *inventoryv1.AppraiseReturnRequest) (*inventoryv1.AppraiseReturnResponse, error) {
	resp := &inventoryv1.AppraiseReturnResponse{}
	err := s.update(ctx, "AppraiseReturn", req, resp, func(tx *store.Tx, now time.Time) error {
		prev, err := tx.Return(req.GetReturnId())
		if err != nil {
			return err
		}
		var destKind domain.LocationKind
		if id := req.GetDestinationLocationId(); id != "" {
			l, err := tx.Location(id)
			if err != nil {
				return err
			}
			destKind = domain.LocationKind(l.GetKind())
		}
		if err := domain.CheckAppraisal(domain.Verdict(req.GetVerdict()), domain.Destination(req.GetDestination()), destKind, req.GetDestinationLocationId() != ""); err != nil {
			return err
		}
		next, err := domain.NextReturnState(domain.ReturnState(prev.GetState()), domain.ReturnAppraise)
		if err != nil {
			return err
		}
		r := cloneReturn(prev)
		r.State = inventoryv1.ReturnState(next)
		r.Verdict = req.GetVerdict()
		r.Destination = req.GetDestination()
		r.DestinationLocationId = req.GetDestinationLocationId()
		r.AppraiserId = req.GetAppraiserId()
		r.AppraisalNote = req.GetNote()
		r.AppraiseTime = timestamppb.New(now)
		switch req.GetDestination() {
		case inventoryv1.Destination_DESTINATION_SUPPLIER_CLAIM:
			part, err := tx.Part(r.GetPartId())
			if err != nil {
				return err
			}
			c := &inventoryv1.SupplierClaim{
				Id: ids.NewAt(now), ReturnId: r.GetId(), PartId: r.GetPartId(), SupplierId: part.GetSupplierId(),
				FaultySerial: r.GetFaultySerial(), JobId: r.GetJobId(), ClaimedAmount: part.GetUnitCost(),
				State: inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_OPEN, CreateTime: timestamppb.New(now),
			}
			if err := tx.PutClaim(c); err != nil {
				return err
			}
			r.SupplierClaimId = c.GetId()
			resp.Claim = c
			if err := emit(tx, SubjectSupplierClaimOpened, "supplier_claims/"+c.GetId(), &inventoryv1.SupplierClaimOpened{Claim: c}, now); err != nil {
				return err
			}
		default:
			var serials []string
			if r.GetFaultySerial() != "" {
				serials = []string{r.GetFaultySerial()}
			}
			ps, err := s.post(tx, store.Posting{Kind: domain.MovementOldPartIn, PartID: r.GetPartId(), LocationID: r.GetDestinationLocationId(),
				Quantity: 1, JobID: r.GetJobId(), Serials: serials, Reference: "returns/" + r.GetId(), Time: now})
			if err != nil {
				return err
			}
			resp.Movement = ps.Movement
		}
		if err := tx.PutReturn(r, prev); err != nil {
			return err
		}
		resp.OldPartReturn = r
		return emit(tx, SubjectReturnAppraised, "returns/"+r.GetId(), &inventoryv1.ReturnAppraised{
			JobId: r.GetJobId(), PartId: r.GetPartId(), FaultySerial: r.GetFaultySerial(),
			Verdict: r.GetVerdict(), Destination: r.GetDestination(), OldPartReturn: r,
		}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetReturn returns an old-part return.
func (s *Server) GetReturn(_ context.Context, req *inventoryv1.GetReturnRequest) (*inventoryv1.GetReturnResponse, error) {
	resp := &inventoryv1.GetReturnResponse{}
	err := s.view(func(tx *store.Tx) error {
		r, err := tx.Return(req.GetReturnId())
		resp.OldPartReturn = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListOutstandingReturns lists overdue must-return old parts.
func (s *Server) ListOutstandingReturns(_ context.Context, req *inventoryv1.ListOutstandingReturnsRequest) (*inventoryv1.ListOutstandingReturnsResponse, error) {
	o, err := rpc.ParseOrderBy(req.GetOrderBy(), rpc.Order{Field: sortDue}, sortDue, sortCreate)
	if err != nil {
		return nil, err
	}
	resp := &inventoryv1.ListOutstandingReturnsResponse{}
	now := s.p.Clock.Now()
	err = s.view(func(tx *store.Tx) error {
		var err error
		if o == (rpc.Order{Field: sortDue}) {
			resp.Returns, resp.NextPageToken, err = tx.ListOutstanding(req.GetJobId(), req.GetOrganisationId(), now, page(req.GetPageSize(), req.GetPageToken()))
			return err
		}
		all, err := collect(func(pg store.Page) ([]*inventoryv1.OldPartReturn, string, error) {
			return tx.ListOutstanding(req.GetJobId(), req.GetOrganisationId(), now, pg)
		})
		if err != nil {
			return err
		}
		key := func(r *inventoryv1.OldPartReturn) []byte {
			if o.Field == sortDue {
				return timeSortKey(r.GetDueTime(), r.GetCreateTime(), r.GetId())
			}
			return timeSortKey(r.GetCreateTime(), r.GetCreateTime(), r.GetId())
		}
		resp.Returns, resp.NextPageToken, err = sortedPage(tx.Bolt(), "outstanding_returns", req.GetJobId()+"/"+req.GetOrganisationId(),
			order{o.Field, o.Desc}, all, key, req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetSupplierClaim returns a supplier claim.
func (s *Server) GetSupplierClaim(_ context.Context, req *inventoryv1.GetSupplierClaimRequest) (*inventoryv1.GetSupplierClaimResponse, error) {
	resp := &inventoryv1.GetSupplierClaimResponse{}
	err := s.view(func(tx *store.Tx) error {
		c, err := tx.Claim(req.GetClaimId())
		resp.Claim = c
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListSupplierClaims lists supplier claims.
func (s *Server) ListSupplierClaims(_ context.Context, req *inventoryv1.ListSupplierClaimsRequest) (*inventoryv1.ListSupplierClaimsResponse, error) {
	resp := &inventoryv1.ListSupplierClaimsResponse{}
	err := s.view(func(tx *store.Tx) error {
		var err error
		resp.Claims, resp.NextPageToken, err = tx.ListClaims(req.GetSupplierId(), page(req.GetPageSize(), req.GetPageToken()), func(c *inventoryv1.SupplierClaim) bool {
			return req.GetState() == 0 || c.GetState() == req.GetState()
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ResolveSupplierClaim closes an OPEN claim.
func (s *Server) ResolveSupplierClaim(ctx context.Context, req *inventoryv1.ResolveSupplierClaimRequest) (*inventoryv1.ResolveSupplierClaimResponse, error) {
	resp := &inventoryv1.ResolveSupplierClaimResponse{}
	err := s.update(ctx, "ResolveSupplierClaim", req, resp, func(tx *store.Tx, now time.Time) error {
		c, err := tx.Claim(req.GetClaimId())
		if err != nil {
			return err
		}
		next, err := domain.NextClaimState(domain.ClaimState(c.GetState()), domain.ClaimState(req.GetOutcome()))
		if err != nil {
			return err
		}
		c.State = inventoryv1.SupplierClaimState(next)
		if next == domain.ClaimRecovered {
			c.RecoveredAmount = req.GetRecoveredAmount()
		}
		c.ResolutionNote = req.GetNote()
		c.ResolveTime = timestamppb.New(now)
		if err := tx.PutClaim(c); err != nil {
			return err
		}
		resp.Claim = c
		return emit(tx, SubjectSupplierClaimResolved, "supplier_claims/"+c.GetId(), &inventoryv1.SupplierClaimResolved{Claim: c}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
