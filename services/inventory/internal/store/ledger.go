package store

import (
	"bytes"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/ids"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
)

// Posting is a movement to book.
type Posting struct {
	Kind       domain.MovementKind
	PartID     string
	LocationID string
	Quantity   int64 // positive; signed for ADJUST
	Reason     inventoryv1.AdjustmentReason
	Note       string
	Reference  string
	Document   string
	JobID      string
	Serials    []string
	Postage    *typev1.Money
	Time       time.Time
}

// Posted is a booked movement with the balance before and after it.
type Posted struct {
	Movement *inventoryv1.Movement
	Before   domain.Balance
	After    *inventoryv1.StockBalance
}

// Post books a movement in the ledger and updates the derived balance in the same
// transaction. A movement that would break the ledger invariants returns a
// *domain.ShortageError and writes nothing.
func (t *Tx) Post(p Posting) (Posted, error) {
	bal, err := t.Balance(p.PartID, p.LocationID)
	if err != nil {
		return Posted{}, err
	}
	before := domain.Balance{OnHand: bal.GetOnHand(), Reserved: bal.GetReserved()}
	after, err := domain.Apply(domain.Key{PartID: p.PartID, LocationID: p.LocationID}, before, p.Kind, p.Quantity)
	if err != nil {
		return Posted{}, err
	}
	mb := t.tx.Bucket(bucketMovements)
	seq, err := mb.NextSequence()
	if err != nil {
		return Posted{}, err
	}
	m := &inventoryv1.Movement{
		Id:               ids.NewAt(p.Time),
		Sequence:         int64(seq),
		Kind:             inventoryv1.MovementKind(p.Kind),
		PartId:           p.PartID,
		LocationId:       p.LocationID,
		OnHandDelta:      after.OnHand - before.OnHand,
		ReservedDelta:    after.Reserved - before.Reserved,
		AdjustmentReason: p.Reason,
		Note:             p.Note,
		Reference:        p.Reference,
		DocumentNumber:   p.Document,
		JobId:            p.JobID,
		Serials:          p.Serials,
		OnHandAfter:      after.OnHand,
		ReservedAfter:    after.Reserved,
		CreateTime:       timestamppb.New(p.Time),
		Postage:          p.Postage,
	}
	auth.Stamp(t.tx, m, service, true)
	sk := pstore.U64(seq)
	if err := pstore.PutProto(t.tx, bucketMovements, sk, m); err != nil {
		return Posted{}, err
	}
	if err := pstore.Put(t.tx, bucketMovesByPart, pstore.Join([]byte(p.PartID), sk), nil); err != nil {
		return Posted{}, err
	}
	if err := pstore.Put(t.tx, bucketMovesByLoc, pstore.Join([]byte(p.LocationID), sk), nil); err != nil {
		return Posted{}, err
	}
	nb := &inventoryv1.StockBalance{
		PartId: p.PartID, LocationId: p.LocationID,
		OnHand: after.OnHand, Reserved: after.Reserved, Available: after.Available(),
		LastSequence: int64(seq),
	}
	if err := pstore.PutProto(t.tx, bucketBalances, pstore.Key(p.PartID, p.LocationID), nb); err != nil {
		return Posted{}, err
	}
	if bal.GetLastSequence() == 0 {
		if err := pstore.Put(t.tx, bucketBalancesByLoc, pstore.Key(p.LocationID, p.PartID), nil); err != nil {
			return Posted{}, err
		}
	}
	if p.Kind == domain.MovementConsume || p.Kind == domain.MovementIssue {
		if err := t.addDemand(p.PartID, p.LocationID, p.Time, p.Quantity); err != nil {
			return Posted{}, err
		}
	}
	return Posted{Movement: m, Before: before, After: nb}, nil
}

// Balance returns the balance of a part at a location (zero when it never had stock).
func (t *Tx) Balance(partID, locationID string) (*inventoryv1.StockBalance, error) {
	b := &inventoryv1.StockBalance{}
	if _, err := pstore.GetProto(t.tx, bucketBalances, pstore.Key(partID, locationID), b); err != nil {
		return nil, fmt.Errorf("read balance: %w", err)
	}
	b.PartId, b.LocationId = partID, locationID
	return b, nil
}

// PartBalances returns every balance of a part, in location id order.
func (t *Tx) PartBalances(partID string) ([]*inventoryv1.StockBalance, error) {
	var out []*inventoryv1.StockBalance
	_, err := pstore.Scan(t.tx, bucketBalances, pstore.Page{Prefix: pstore.Prefix(partID), Size: 1 << 30}, func(_, v []byte) (bool, error) {
		b := &inventoryv1.StockBalance{}
		if err := proto.Unmarshal(v, b); err != nil {
			return false, err
		}
		out = append(out, b)
		return true, nil
	})
	return out, err
}

// AllBalances calls fn for every balance, optionally only those of one location.
func (t *Tx) AllBalances(locationID string, fn func(*inventoryv1.StockBalance) error) error {
	if locationID == "" {
		return t.tx.Bucket(bucketBalances).ForEach(func(_, v []byte) error {
			b := &inventoryv1.StockBalance{}
			if err := proto.Unmarshal(v, b); err != nil {
				return err
			}
			return fn(b)
		})
	}
	prefix := pstore.Prefix(locationID)
	c := t.tx.Bucket(bucketBalancesByLoc).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		b, err := t.Balance(string(k[len(prefix):]), locationID)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

func dayNumber(t time.Time) uint64 { return uint64(t.Unix() / 86400) }

func (t *Tx) addDemand(partID, locationID string, at time.Time, q int64) error {
	k := pstore.Join(pstore.Key(partID, locationID), pstore.U64(dayNumber(at)))
	b := t.tx.Bucket(bucketDemand)
	n := pstore.Uint64(b.Get(k)) + uint64(q)
	return b.Put(k, pstore.U64(n))
}

// WindowDemand sums the units consumed or issued of a part at a location on the (UTC) days
// from start's day up to and including end's day.
func (t *Tx) WindowDemand(partID, locationID string, start, end time.Time) int64 {
	prefix := pstore.Prefix(partID, locationID)
	first := dayNumber(start)
	last := dayNumber(end)
	c := t.tx.Bucket(bucketDemand).Cursor()
	var sum int64
	for k, v := c.Seek(append(append([]byte(nil), prefix...), pstore.U64(first)...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if pstore.Uint64(k[len(prefix):]) > last {
			break
		}
		sum += int64(pstore.Uint64(v))
	}
	return sum
}

// MovementFilter selects movements.
type MovementFilter struct {
	PartID        string
	LocationID    string
	AfterSequence int64
}

// ListMovements pages through movements in sequence order.
func (t *Tx) ListMovements(f MovementFilter, pg Page) ([]*inventoryv1.Movement, string, error) {
	var out []*inventoryv1.Movement
	load := func(seqKey []byte) (bool, error) {
		if int64(pstore.Uint64(seqKey)) <= f.AfterSequence {
			return false, nil
		}
		m := &inventoryv1.Movement{}
		if _, err := pstore.GetProto(t.tx, bucketMovements, seqKey, m); err != nil {
			return false, err
		}
		if f.LocationID != "" && m.GetLocationId() != f.LocationID || f.PartID != "" && m.GetPartId() != f.PartID {
			return false, nil
		}
		out = append(out, m)
		return true, nil
	}
	var next string
	var err error
	switch {
	case f.PartID != "":
		prefix := pstore.Prefix(f.PartID)
		next, err = pstore.Scan(t.tx, bucketMovesByPart, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
			return load(append([]byte(nil), k[len(prefix):]...))
		})
	case f.LocationID != "":
		prefix := pstore.Prefix(f.LocationID)
		next, err = pstore.Scan(t.tx, bucketMovesByLoc, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
			return load(append([]byte(nil), k[len(prefix):]...))
		})
	default:
		next, err = pstore.Scan(t.tx, bucketMovements, pstore.Page{Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
			return load(append([]byte(nil), k...))
		})
	}
	return out, next, err
}

// Verify replays the whole ledger and checks that every stored balance equals the sum of its
// movements and that no balance was ever negative (帐物一致). It returns the number of
// movements checked.
func (t *Tx) Verify() (int, error) {
	var entries []domain.Entry
	err := t.tx.Bucket(bucketMovements).ForEach(func(k, v []byte) error {
		m := &inventoryv1.Movement{}
		if err := proto.Unmarshal(v, m); err != nil {
			return err
		}
		if uint64(m.GetSequence()) != pstore.Uint64(k) {
			return fmt.Errorf("movement key %d holds sequence %d", pstore.Uint64(k), m.GetSequence())
		}
		entries = append(entries, domain.Entry{
			Sequence: m.GetSequence(), Kind: domain.MovementKind(m.GetKind()),
			Key:         domain.Key{PartID: m.GetPartId(), LocationID: m.GetLocationId()},
			OnHandDelta: m.GetOnHandDelta(), ReservedDelta: m.GetReservedDelta(),
		})
		return nil
	})
	if err != nil {
		return 0, err
	}
	want, err := domain.Replay(entries)
	if err != nil {
		return 0, err
	}
	seen := 0
	err = t.tx.Bucket(bucketBalances).ForEach(func(_, v []byte) error {
		b := &inventoryv1.StockBalance{}
		if err := proto.Unmarshal(v, b); err != nil {
			return err
		}
		seen++
		w := want[domain.Key{PartID: b.GetPartId(), LocationID: b.GetLocationId()}]
		if b.GetOnHand() != w.OnHand || b.GetReserved() != w.Reserved || b.GetAvailable() != w.Available() {
			return fmt.Errorf("balance %s/%s = %d/%d, ledger sums to %d/%d", b.GetPartId(), b.GetLocationId(), b.GetOnHand(), b.GetReserved(), w.OnHand, w.Reserved)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if seen != len(want) {
		return 0, fmt.Errorf("%d balances stored, ledger has %d", seen, len(want))
	}
	return len(entries), nil
}

// LocationBalances pages through the balances of one location in part id order (the
// location's index of parts it has held), keeping those keep accepts.
func (t *Tx) LocationBalances(locationID string, pg Page, keep func(*inventoryv1.StockBalance) bool) ([]*inventoryv1.StockBalance, string, error) {
	var out []*inventoryv1.StockBalance
	prefix := pstore.Prefix(locationID)
	next, err := pstore.Scan(t.tx, bucketBalancesByLoc, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
		b, err := t.Balance(string(k[len(prefix):]), locationID)
		if err != nil {
			return false, err
		}
		if !keep(b) {
			return false, nil
		}
		out = append(out, b)
		return true, nil
	})
	return out, next, err
}

// VanOf returns the van location of a technician, or a NotFoundError (a walk of the
// locations: there are hundreds, not millions).
func (t *Tx) VanOf(technicianID string) (*inventoryv1.Location, error) {
	var van *inventoryv1.Location
	err := t.tx.Bucket(bucketLocations).ForEach(func(_, v []byte) error {
		if van != nil {
			return nil
		}
		l := &inventoryv1.Location{}
		if err := proto.Unmarshal(v, l); err != nil {
			return err
		}
		if l.GetKind() == inventoryv1.LocationKind_LOCATION_KIND_VAN && l.GetTechnicianId() == technicianID {
			van = l
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if van == nil {
		return nil, &NotFoundError{Kind: "van of technician", ID: technicianID}
	}
	return van, nil
}
