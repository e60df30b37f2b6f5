// Package inventory is dispatch's client of parts-inventory: reserve a job's likely parts,
// release and consume reservations, and find where parts are in stock for parts-aware ranking.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

// ErrShort is returned by Reserve when parts-inventory has not enough stock at the location.
var ErrShort = errors.New("parts short")

// ErrRejected is returned when parts-inventory refuses a call for good (it will not succeed on
// retry): a precondition or an argument it does not accept.
var ErrRejected = errors.New("rejected by parts-inventory")

// Line is a part and a quantity.
type Line struct {
	PartID   string
	Quantity int64
}

// Used is a part consumed by a visit.
type Used struct {
	PartID        string
	Quantity      int64
	Serials       []string
	UnderWarranty bool
}

// Client calls parts-inventory over gRPC.
type Client struct {
	api inventoryv1.InventoryServiceClient
	// StockLimit is how many stock levels to ask for per part (default 200).
	StockLimit int32
}

// New returns a client over conn.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{api: inventoryv1.NewInventoryServiceClient(conn), StockLimit: 200}
}

// classify turns a gRPC error into ErrShort / ErrRejected (permanent) or leaves it (retry).
func classify(op string, err error) error {
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.FailedPrecondition:
		return fmt.Errorf("%s: %w: %s", op, ErrShort, status.Convert(err).Message())
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.PermissionDenied:
		return fmt.Errorf("%s: %w: %s", op, ErrRejected, status.Convert(err).Message())
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Reserve reserves lines at location for job (serving ticketID, which the reservation's events
// carry for integrators), all or none, idempotently on requestID, and returns the reservation
// id and, at a central or station store, the requisition (领料单) raised with it in
// requester's name. ErrShort when stock is short.
func (c *Client) Reserve(ctx context.Context, requestID, jobID, ticketID, requester, locationID string, lines []Line, expire time.Time) (string, string, error) {
	req := &inventoryv1.ReservePartsRequest{RequestId: requestID, JobId: jobID, TicketId: ticketID, LocationId: locationID, RequesterId: requester}
	for _, l := range lines {
		req.Lines = append(req.Lines, &inventoryv1.ReservationLine{PartId: l.PartID, Quantity: l.Quantity})
	}
	if !expire.IsZero() {
		req.ExpireTime = timestamppb.New(expire)
	}
	resp, err := c.api.ReserveParts(ctx, req)
	if err != nil {
		return "", "", classify("reserve parts", err)
	}
	return resp.GetReservation().GetId(), resp.GetReservation().GetRequisitionId(), nil
}

// Release gives back a reservation (by id) or every active reservation of the job (when
// reservationID is empty), idempotently on requestID.
func (c *Client) Release(ctx context.Context, requestID, jobID, reservationID, reason string) error {
	req := &inventoryv1.ReleaseReservationRequest{RequestId: requestID, Reason: reason}
	if reservationID != "" {
		req.ReservationId = reservationID
	} else {
		req.JobId = jobID
	}
	_, err := c.api.ReleaseReservation(ctx, req)
	return classify("release reservation", err)
}

// Consume records what a visit used from a reservation; the rest is released.
func (c *Client) Consume(ctx context.Context, requestID, reservationID string, used []Used) error {
	req := &inventoryv1.ConsumeReservationRequest{RequestId: requestID, ReservationId: reservationID}
	for _, u := range used {
		req.Lines = append(req.Lines, &inventoryv1.ConsumedLine{
			PartId: u.PartID, Quantity: u.Quantity, Serials: u.Serials, UnderWarranty: u.UnderWarranty,
		})
	}
	_, err := c.api.ConsumeReservation(ctx, req)
	return classify("consume reservation", err)
}

// Picture asks where every part of need is available near site: the vans that hold all of
// them, and the other stock locations (central, station, dealer) that do, nearest first.
func (c *Client) Picture(ctx context.Context, site domain.Point, need []Line) (domain.PartsPicture, error) {
	type loc struct {
		tech  string
		kind  inventoryv1.LocationKind
		point domain.Point
		dist  float64
	}
	var common map[string]loc
	for i, n := range need {
		resp, err := c.api.GetStock(ctx, &inventoryv1.GetStockRequest{
			PartId:       n.PartID,
			Near:         &typev1.GeoPoint{Latitude: site.Lat, Longitude: site.Lon},
			MinAvailable: n.Quantity,
			Limit:        c.StockLimit,
			LocationKinds: []inventoryv1.LocationKind{
				inventoryv1.LocationKind_LOCATION_KIND_VAN, inventoryv1.LocationKind_LOCATION_KIND_CENTRAL,
				inventoryv1.LocationKind_LOCATION_KIND_STATION, inventoryv1.LocationKind_LOCATION_KIND_DEALER,
			},
		})
		if err != nil {
			return domain.PartsPicture{}, classify("get stock", err)
		}
		here := map[string]loc{}
		for _, lv := range resp.GetLevels() {
			if lv.GetAvailable() < n.Quantity {
				continue
			}
			l := lv.GetLocation()
			if i > 0 {
				if _, ok := common[l.GetId()]; !ok {
					continue
				}
			}
			here[l.GetId()] = loc{kind: l.GetKind(), tech: l.GetTechnicianId(),
				point: domain.Point{Lat: l.GetPoint().GetLatitude(), Lon: l.GetPoint().GetLongitude()},
				dist:  lv.GetDistanceKm()}
		}
		common = here
	}
	pic := domain.PartsPicture{Known: true, Vans: map[string]bool{}, VanOf: map[string]string{}}
	for id, l := range common {
		if l.kind == inventoryv1.LocationKind_LOCATION_KIND_VAN {
			pic.Vans[id] = true
			if l.tech != "" {
				pic.VanOf[l.tech] = id
			}
			continue
		}
		pic.Depots = append(pic.Depots, domain.Depot{LocationID: id, Point: l.point})
	}
	// Nearest to the site first, then by id, so the choice is deterministic.
	sortDepots(pic.Depots, site)
	return pic, nil
}

func sortDepots(ds []domain.Depot, site domain.Point) {
	sort.Slice(ds, func(i, j int) bool {
		di, dj := domain.GreatCircleKm(ds[i].Point, site), domain.GreatCircleKm(ds[j].Point, site)
		if di != dj {
			return di < dj
		}
		return ds[i].LocationID < ds[j].LocationID
	})
}
