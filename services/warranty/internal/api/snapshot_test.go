package api

import (
	"errors"
	"fmt"
	"testing"

	"buf.build/go/protovalidate"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// TestUnitEventStaysWithinBounds gives a unit more replaced parts and previous serials than an
// event may carry (a unit repaired for years) and checks that its RepairRecorded event passes
// the event's size rules, keeping the latest entries.
func TestUnitEventStaysWithinBounds(t *testing.T) {
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	u := &warrantyv1.Unit{Id: "U1"}
	for i := range 120 {
		u.ReplacedParts = append(u.ReplacedParts, &warrantyv1.ReplacedPart{PartId: fmt.Sprintf("P%d", i)})
		u.PreviousSerials = append(u.PreviousSerials, fmt.Sprintf("S%d", i))
	}
	ev := &warrantyv1.RepairRecorded{Unit: public(u)}
	var verr *protovalidate.ValidationError
	if err := v.Validate(ev); errors.As(err, &verr) {
		for _, vi := range verr.Violations {
			if vi.Proto.GetRuleId() == "repeated.max_items" {
				t.Errorf("RepairRecorded of a unit with 120 replaced parts: %s: %s", protovalidate.FieldPathString(vi.Proto.GetField()), vi.Proto.GetMessage())
			}
		}
	}
	parts := ev.GetUnit().GetReplacedParts()
	if got := parts[len(parts)-1].GetPartId(); got != "P119" {
		t.Errorf("event's last replaced part = %s, want the latest (P119)", got)
	}
	if len(u.GetReplacedParts()) != 120 {
		t.Errorf("public changed the unit itself")
	}
}
