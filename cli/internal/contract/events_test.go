package contract_test

import (
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"

	"github.com/sanbao/sanbao/cli/internal/contract"
)

// natsMaxPayload is NATS's default max_payload; the CloudEvents headers and JetStream's own
// overhead come on top of the data, so every event must stay well under it.
const natsMaxPayload = 1 << 20

// budget is what an event's data may take at worst: half the payload limit.
const budget = natsMaxPayload / 2

// TestWorstCaseEventFitsNATS builds, for every message of every events.proto, the largest
// value its validation bounds allow and checks its protojson size against the budget. A field
// without a bound fails the test: its worst case is unknown.
func TestWorstCaseEventFitsNATS(t *testing.T) {
	var events []protoreflect.MessageDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(fd.Path(), "sanbao/") && strings.HasSuffix(fd.Path(), "/events.proto") {
			for i := 0; i < fd.Messages().Len(); i++ {
				events = append(events, fd.Messages().Get(i))
			}
		}
		return true
	})
	if len(events) < 40 {
		t.Fatalf("found %d event messages, want the events of all four services", len(events))
	}
	sort.Slice(events, func(i, j int) bool { return events[i].FullName() < events[j].FullName() })
	largest, largestName := 0, ""
	for _, md := range events {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
		if err != nil {
			t.Fatal(err)
		}
		if est := contract.Estimate(md); est > 4*budget {
			t.Errorf("worst-case %s is about %d bytes of protojson (estimated from its bounds), want < %d", md.FullName(), est, budget)
			continue
		}
		m := mt.New()
		if u := contract.Maximal(m); len(u) > 0 {
			t.Errorf("%s has unbounded fields: %s", md.FullName(), strings.Join(u, ", "))
		}
		n, err := contract.JSONSize(m.Interface())
		if err != nil {
			t.Errorf("protojson(maximal %s) = %v", md.FullName(), err)
			continue
		}
		t.Logf("%-55s worst case %8d bytes", md.FullName(), n)
		if n > budget {
			t.Errorf("worst-case %s = %d bytes of protojson, want < %d (NATS max_payload %d)", md.FullName(), n, budget, natsMaxPayload)
		}
		if n > largest {
			largest, largestName = n, string(md.FullName())
		}
	}
	t.Logf("largest worst case: %s, %d bytes (budget %d, NATS max_payload %d)", largestName, largest, budget, natsMaxPayload)
}
