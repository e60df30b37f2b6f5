package api

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// CreatePart registers a part.
func (s *Server) CreatePart(ctx context.Context, req *inventoryv1.CreatePartRequest) (*inventoryv1.CreatePartResponse, error) {
	resp := &inventoryv1.CreatePartResponse{}
	err := s.update(ctx, "CreatePart", req, resp, func(tx *store.Tx, now time.Time) error {
		p := proto.Clone(req.GetPart()).(*inventoryv1.Part)
		p.Id = ids.NewAt(now)
		p.CreateTime = timestamppb.New(now)
		p.UpdateTime = p.GetCreateTime()
		p.Etag = "1"
		if p.GetUnitOfMeasure() == "" {
			p.UnitOfMeasure = "piece"
		}
		if err := tx.CreatePart(p); err != nil {
			return err
		}
		resp.Part = p
		return emit(tx, SubjectPartCreated, "parts/"+p.GetId(), &inventoryv1.PartCreated{Part: p}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetPart returns a part.
func (s *Server) GetPart(_ context.Context, req *inventoryv1.GetPartRequest) (*inventoryv1.GetPartResponse, error) {
	resp := &inventoryv1.GetPartResponse{}
	err := s.view(func(tx *store.Tx) error {
		p, err := tx.Part(req.GetPartId())
		resp.Part = p
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListParts lists parts.
func (s *Server) ListParts(_ context.Context, req *inventoryv1.ListPartsRequest) (*inventoryv1.ListPartsResponse, error) {
	resp := &inventoryv1.ListPartsResponse{}
	err := s.view(func(tx *store.Tx) error {
		var err error
		resp.Parts, resp.NextPageToken, err = tx.ListParts(page(req.GetPageSize(), req.GetPageToken()), func(p *inventoryv1.Part) bool {
			return req.GetKind() == 0 || p.GetKind() == req.GetKind()
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// CreateLocation registers a location.
func (s *Server) CreateLocation(ctx context.Context, req *inventoryv1.CreateLocationRequest) (*inventoryv1.CreateLocationResponse, error) {
	resp := &inventoryv1.CreateLocationResponse{}
	err := s.update(ctx, "CreateLocation", req, resp, func(tx *store.Tx, now time.Time) error {
		l := proto.Clone(req.GetLocation()).(*inventoryv1.Location)
		if err := domain.CheckLocation(domain.LocationKind(l.GetKind()), l.GetTechnicianId()); err != nil {
			return err
		}
		l.Id = ids.NewAt(now)
		l.CreateTime = timestamppb.New(now)
		l.UpdateTime = l.GetCreateTime()
		l.Etag = "1"
		if err := tx.CreateLocation(l); err != nil {
			return err
		}
		resp.Location = l
		return emit(tx, SubjectLocationCreated, "locations/"+l.GetId(), &inventoryv1.LocationCreated{Location: l}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetLocation returns a location.
func (s *Server) GetLocation(_ context.Context, req *inventoryv1.GetLocationRequest) (*inventoryv1.GetLocationResponse, error) {
	resp := &inventoryv1.GetLocationResponse{}
	err := s.view(func(tx *store.Tx) error {
		l, err := tx.Location(req.GetLocationId())
		resp.Location = l
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListLocations lists locations.
func (s *Server) ListLocations(_ context.Context, req *inventoryv1.ListLocationsRequest) (*inventoryv1.ListLocationsResponse, error) {
	resp := &inventoryv1.ListLocationsResponse{}
	err := s.view(func(tx *store.Tx) error {
		var err error
		resp.Locations, resp.NextPageToken, err = tx.ListLocations(page(req.GetPageSize(), req.GetPageToken()), func(l *inventoryv1.Location) bool {
			return (req.GetKind() == 0 || l.GetKind() == req.GetKind()) &&
				(req.GetTechnicianId() == "" || l.GetTechnicianId() == req.GetTechnicianId()) &&
				(req.GetOrganisationId() == "" || l.GetOrganisationId() == req.GetOrganisationId())
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// nextEtag checks the caller's etag against the stored one and returns the next.
func nextEtag(stored, given string) (string, error) {
	if given == "" {
		return "", domain.Invalid("etag", "required: echo the etag of the resource you read")
	}
	if given != stored {
		return "", domain.ErrStale
	}
	n, err := strconv.Atoi(stored)
	if err != nil {
		return "", fmt.Errorf("stored etag %q: %w", stored, err)
	}
	return strconv.Itoa(n + 1), nil
}

// maskPaths returns the update mask's paths, or all when it is empty, rejecting unknown ones.
func maskPaths(field string, mask *fieldmaskpb.FieldMask, all []string) ([]string, error) {
	if len(mask.GetPaths()) == 0 {
		return all, nil
	}
	for _, p := range mask.GetPaths() {
		if !slices.Contains(all, p) {
			return nil, domain.Invalid(field, "cannot update %q; updatable: %s", p, strings.Join(all, ", "))
		}
	}
	return mask.GetPaths(), nil
}

// UpdatePart changes a part's descriptive and replenishment fields.
func (s *Server) UpdatePart(ctx context.Context, req *inventoryv1.UpdatePartRequest) (*inventoryv1.UpdatePartResponse, error) {
	resp := &inventoryv1.UpdatePartResponse{}
	err := s.update(ctx, "UpdatePart", req, resp, func(tx *store.Tx, now time.Time) error {
		in := req.GetPart()
		if in.GetId() == "" {
			return domain.Invalid("part.id", "required")
		}
		paths, err := maskPaths("update_mask", req.GetUpdateMask(), []string{"name", "unit_of_measure", "unit_cost", "price",
			"supplier_id", "serial_tracked", "lead_time_days", "min_order_quantity"})
		if err != nil {
			return err
		}
		p, err := tx.Part(in.GetId())
		if err != nil {
			return err
		}
		etag, err := nextEtag(p.GetEtag(), in.GetEtag())
		if err != nil {
			return err
		}
		for _, path := range paths {
			switch path {
			case "name":
				p.Name = in.GetName()
			case "unit_of_measure":
				p.UnitOfMeasure = cmp.Or(in.GetUnitOfMeasure(), "piece")
			case "unit_cost":
				p.UnitCost = in.GetUnitCost()
			case "price":
				p.Price = in.GetPrice()
			case "supplier_id":
				p.SupplierId = in.GetSupplierId()
			case "serial_tracked":
				p.SerialTracked = in.GetSerialTracked()
			case "lead_time_days":
				p.LeadTimeDays = in.GetLeadTimeDays()
			case "min_order_quantity":
				p.MinOrderQuantity = in.GetMinOrderQuantity()
			}
		}
		p.Etag = etag
		p.UpdateTime = timestamppb.New(now)
		if err := tx.PutPart(p); err != nil {
			return err
		}
		resp.Part = p
		return emit(tx, SubjectPartUpdated, "parts/"+p.GetId(), &inventoryv1.PartUpdated{Part: p}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// UpdateLocation changes a location's name, technician, organisation or point.
func (s *Server) UpdateLocation(ctx context.Context, req *inventoryv1.UpdateLocationRequest) (*inventoryv1.UpdateLocationResponse, error) {
	resp := &inventoryv1.UpdateLocationResponse{}
	err := s.update(ctx, "UpdateLocation", req, resp, func(tx *store.Tx, now time.Time) error {
		in := req.GetLocation()
		if in.GetId() == "" {
			return domain.Invalid("location.id", "required")
		}
		paths, err := maskPaths("update_mask", req.GetUpdateMask(), []string{"name", "technician_id", "organisation_id", "point"})
		if err != nil {
			return err
		}
		l, err := tx.Location(in.GetId())
		if err != nil {
			return err
		}
		if in.GetKind() != l.GetKind() {
			return domain.Invalid("location.kind", "cannot change from %s", l.GetKind())
		}
		etag, err := nextEtag(l.GetEtag(), in.GetEtag())
		if err != nil {
			return err
		}
		for _, path := range paths {
			switch path {
			case "name":
				l.Name = in.GetName()
			case "technician_id":
				l.TechnicianId = in.GetTechnicianId()
			case "organisation_id":
				l.OrganisationId = in.GetOrganisationId()
			case "point":
				l.Point = in.GetPoint()
			}
		}
		if err := domain.CheckLocation(domain.LocationKind(l.GetKind()), l.GetTechnicianId()); err != nil {
			return err
		}
		l.Etag = etag
		l.UpdateTime = timestamppb.New(now)
		if err := tx.CreateLocation(l); err != nil {
			return err
		}
		resp.Location = l
		return emit(tx, SubjectLocationUpdated, "locations/"+l.GetId(), &inventoryv1.LocationUpdated{Location: l}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
