package domain

import (
	"fmt"
	"time"
)

// ReservationState is where a reservation is. The values match
// sanbao.inventory.v1.ReservationState.
type ReservationState int

// Reservation states: ACTIVE -> RELEASED | CONSUMED | EXPIRED.
const (
	ReservationActive   ReservationState = 1
	ReservationReleased ReservationState = 2
	ReservationConsumed ReservationState = 3
	ReservationExpired  ReservationState = 4
)

// ReservationStates lists every state, for exhaustive tests.
func ReservationStates() []ReservationState {
	return []ReservationState{ReservationActive, ReservationReleased, ReservationConsumed, ReservationExpired}
}

// String names the state.
func (s ReservationState) String() string {
	switch s {
	case ReservationActive:
		return "active"
	case ReservationReleased:
		return "released"
	case ReservationConsumed:
		return "consumed"
	case ReservationExpired:
		return "expired"
	}
	return fmt.Sprintf("reservation_state(%d)", int(s))
}

// ReservationEvent is what can happen to a reservation.
type ReservationEvent int

// Reservation events.
const (
	ReservationRelease ReservationEvent = iota + 1
	ReservationConsume
	ReservationExpire
)

// ReservationEvents lists every event, for exhaustive tests.
func ReservationEvents() []ReservationEvent {
	return []ReservationEvent{ReservationRelease, ReservationConsume, ReservationExpire}
}

// String names the event.
func (e ReservationEvent) String() string {
	switch e {
	case ReservationRelease:
		return "release"
	case ReservationConsume:
		return "consume"
	case ReservationExpire:
		return "expire"
	}
	return fmt.Sprintf("reservation_event(%d)", int(e))
}

// NextReservationState is the reservation transition table: only an ACTIVE reservation moves,
// and every end state is final.
func NextReservationState(from ReservationState, ev ReservationEvent) (ReservationState, error) {
	if from == ReservationActive {
		switch ev {
		case ReservationRelease:
			return ReservationReleased, nil
		case ReservationConsume:
			return ReservationConsumed, nil
		case ReservationExpire:
			return ReservationExpired, nil
		}
	}
	return from, &TransitionError{Machine: "reservation", From: from.String(), Event: ev.String()}
}

// Line is a quantity of one part.
type Line struct {
	PartID   string
	Quantity int64
}

// CheckLines validates reservation or requisition lines: at least one, quantities positive, at
// most one line per part. field names the repeated field ("lines").
func CheckLines(field string, lines []Line) error {
	if len(lines) == 0 {
		return Invalid(field, "at least one line is required")
	}
	seen := make(map[string]int, len(lines))
	for i, l := range lines {
		if l.PartID == "" {
			return Invalid(fmt.Sprintf("%s[%d].part_id", field, i), "required")
		}
		if l.Quantity <= 0 {
			return Invalid(fmt.Sprintf("%s[%d].quantity", field, i), "must be positive, got %d", l.Quantity)
		}
		if j, ok := seen[l.PartID]; ok {
			return Invalid(fmt.Sprintf("%s[%d].part_id", field, i), "part %s is already on line %d", l.PartID, j)
		}
		seen[l.PartID] = i
	}
	return nil
}

// ExpireTime resolves a reservation's expiry: requested when given (it must be after now and no
// later than now + MaxHold), else now + DefaultHold.
func ExpireTime(now time.Time, requested time.Time, p Policy) (time.Time, error) {
	if requested.IsZero() {
		return now.Add(p.DefaultHold), nil
	}
	if !requested.After(now) {
		return time.Time{}, Invalid("expire_time", "must be in the future, got %s", requested.UTC().Format(time.RFC3339))
	}
	if requested.After(now.Add(p.MaxHold)) {
		return time.Time{}, Invalid("expire_time", "must be within %s from now", p.MaxHold)
	}
	return requested, nil
}

// Used is what a job used of one reserved part.
type Used struct {
	PartID        string
	Quantity      int64
	Serials       []string
	UnderWarranty bool
}

// Settlement is how one reserved line ends: Consume units used, Release units given back.
type Settlement struct {
	PartID  string
	Consume int64
	Release int64
}

// Settle splits a reservation's lines into what is consumed and what is released. Each used
// line must name a reserved part at most once, with at most its reserved quantity; reserved
// parts without a used line are released in full. serialTracked tells whether a part needs one
// serial per unit used.
func Settle(reserved []Line, used []Used, serialTracked func(partID string) bool) ([]Settlement, error) {
	res := make(map[string]int64, len(reserved))
	for _, l := range reserved {
		res[l.PartID] = l.Quantity
	}
	consumed := make(map[string]int64, len(used))
	for i, u := range used {
		field := fmt.Sprintf("lines[%d]", i)
		if u.Quantity < 0 {
			return nil, Invalid(field+".quantity", "must not be negative, got %d", u.Quantity)
		}
		if _, dup := consumed[u.PartID]; dup {
			return nil, Invalid(field+".part_id", "part %s is listed twice", u.PartID)
		}
		q, ok := res[u.PartID]
		if !ok {
			return nil, Precondition("%s.part_id: part %s is not on the reservation", field, u.PartID)
		}
		if u.Quantity > q {
			return nil, Precondition("%s.quantity: %d used but only %d reserved", field, u.Quantity, q)
		}
		if err := checkSerials(field, u, serialTracked(u.PartID)); err != nil {
			return nil, err
		}
		consumed[u.PartID] = u.Quantity
	}
	out := make([]Settlement, 0, len(reserved))
	for _, l := range reserved {
		c := consumed[l.PartID]
		out = append(out, Settlement{PartID: l.PartID, Consume: c, Release: l.Quantity - c})
	}
	return out, nil
}

func checkSerials(field string, u Used, tracked bool) error {
	n := int64(len(u.Serials))
	if (tracked || n > 0) && n != u.Quantity {
		return Invalid(field+".serials", "must give one serial per unit used: %d serials for %d units", n, u.Quantity)
	}
	seen := make(map[string]bool, n)
	for j, s := range u.Serials {
		if s == "" {
			return Invalid(fmt.Sprintf("%s.serials[%d]", field, j), "must not be empty")
		}
		if seen[s] {
			return Invalid(fmt.Sprintf("%s.serials[%d]", field, j), "serial %s is listed twice", s)
		}
		seen[s] = true
	}
	return nil
}

// Obligation is a must-return old part created by a warranty consumption.
type Obligation struct {
	PartID            string
	ReplacementSerial string
	Due               time.Time
}

// MustReturn lists one obligation per unit used under warranty: the old part must be back
// within the policy's ReturnDays of the consumption.
func MustReturn(used []Used, consumedAt time.Time, p Policy) []Obligation {
	var out []Obligation
	due := consumedAt.Add(time.Duration(p.ReturnDays) * 24 * time.Hour)
	for _, u := range used {
		if !u.UnderWarranty {
			continue
		}
		for i := int64(0); i < u.Quantity; i++ {
			o := Obligation{PartID: u.PartID, Due: due}
			if i < int64(len(u.Serials)) {
				o.ReplacementSerial = u.Serials[i]
			}
			out = append(out, o)
		}
	}
	return out
}
