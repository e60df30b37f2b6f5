package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// maxHistory bounds a unit's service history on the customer's page.
const maxHistory = 50

// Customer implements ticketv1.CustomerServiceServer and the customer's view of a unit.
type Customer struct {
	ticketv1.UnimplementedCustomerServiceServer
	s *Server
}

var _ ticketv1.CustomerServiceServer = (*Customer)(nil)

// NewCustomer returns the customer API of s.
func NewCustomer(s *Server) *Customer { return &Customer{s: s} }

// IssueUnitCode implements ticketv1.CustomerServiceServer.
func (c *Customer) IssueUnitCode(ctx context.Context, req *ticketv1.IssueUnitCodeRequest) (*ticketv1.IssueUnitCodeResponse, error) {
	if c.s.p == nil {
		return nil, errNotStarted
	}
	resp := &ticketv1.IssueUnitCodeResponse{}
	err := c.s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, "IssueUnitCode", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := c.s.p.Clock.Now()
		if code := store.UnitCodeOf(tx, req.GetUnitSerial()); code != "" {
			uc, err := store.UnitCode(tx, code)
			if err != nil {
				return err
			}
			if req.GetContact() != nil {
				uc.Contact = req.GetContact()
				if err := store.PutUnitCode(tx, uc); err != nil {
					return err
				}
			}
			resp.UnitCode = uc
			return idem.Save(tx, "IssueUnitCode", req.GetRequestId(), req, resp, now)
		}
		for range 5 { // a collision in 2^50 is rare; five in a row is a broken random source
			code, err := domain.NewUnitCode(rand.Reader)
			if err != nil {
				return err
			}
			if _, err := store.UnitCode(tx, code); !errors.Is(err, store.ErrNotFound) {
				continue
			}
			uc := &ticketv1.UnitCode{Code: code, UnitSerial: req.GetUnitSerial(), ProductLine: req.GetProductLine(),
				OrganisationId: req.GetOrganisationId(), CreateTime: ts(now), Contact: req.GetContact()}
			if err := store.PutUnitCode(tx, uc); err != nil {
				return err
			}
			resp.UnitCode = uc
			return idem.Save(tx, "IssueUnitCode", req.GetRequestId(), req, resp, now)
		}
		return fmt.Errorf("unit code: no free code in five draws")
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

var _ auth.Loader = (*Customer)(nil)

// Load implements auth.Loader: the unit code IssueUnitCode would change (found by the unit's
// serial), so the guard refuses another organisation's before anything is written; nil when
// the serial has none yet (the call creates it, for the caller's organisation).
func (c *Customer) Load(_ context.Context, method string, req proto.Message) (proto.Message, error) {
	r, ok := req.(*ticketv1.IssueUnitCodeRequest)
	if !ok || c.s.p == nil {
		return nil, fmt.Errorf("load %s: not a unit-code request", method)
	}
	var uc *ticketv1.UnitCode
	err := c.s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		code := store.UnitCodeOf(tx, r.GetUnitSerial())
		if code == "" {
			return nil
		}
		uc, err = store.UnitCode(tx, code)
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if uc == nil {
		return nil, nil
	}
	return &ticketv1.IssueUnitCodeResponse{UnitCode: uc}, nil
}

// warrantyWait bounds the call to warranty-rules a unit's page makes: the page is shown
// without the warranty rather than late.
const warrantyWait = 3 * time.Second

// warranty adds unit serial's warranty status and end dates to view, as warranty-rules
// computes them today; without them when it does not know the unit or does not answer in time
// (logged: the page still shows the product and the history).
func (c *Customer) warranty(ctx context.Context, view *ticketv1.UnitView, serial string) {
	if c.s.warranty == nil || serial == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, warrantyWait)
	defer cancel()
	w, err := c.s.warranty.Coverage(ctx, serial, c.s.p.Clock.Now())
	if err != nil {
		c.s.p.Log.Warn("customer page: no warranty status", zap.Error(err))
		return
	}
	view.Warranty = w
}

// View returns what the customer may see of the unit with code (typed or scanned; normalised):
// its product line and its tickets' numbers, kinds, states and dates, and the unit's serial
// (for the warranty lookup; not shown). An unknown or malformed code is store.ErrNotFound.
func (c *Customer) View(code string) (*ticketv1.UnitView, string, error) {
	norm, err := domain.NormalizeCode(code)
	if err != nil {
		return nil, "", fmt.Errorf("unit code: %w", store.ErrNotFound)
	}
	view := &ticketv1.UnitView{}
	var serial string
	err = c.s.p.DB.View(func(tx *bbolt.Tx) error {
		uc, err := store.UnitCode(tx, norm)
		if err != nil {
			return err
		}
		view.ProductLine, serial = uc.GetProductLine(), uc.GetUnitSerial()
		tickets, _, err := store.ListTickets(tx, store.Filter{Serial: uc.GetUnitSerial(), PageSize: maxHistory})
		if err != nil {
			return err
		}
		for _, t := range tickets {
			if t.GetUnit().GetSerial() != uc.GetUnitSerial() {
				continue // the index is the filter; this is the guard
			}
			view.History = append(view.History, &ticketv1.ServiceVisit{Number: t.GetNumber(), Kind: t.GetKind(), State: t.GetState(),
				CreateTime: t.GetCreateTime(), ResolveTime: t.GetResolution().GetResolveTime()})
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return view, serial, nil
}
