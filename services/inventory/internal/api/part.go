package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"
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
