package suite_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/sanbao/sanbao/cli/internal/suite"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
)

// runSuite runs the all-in-one on dataDir on free ports until stop is called.
func runSuite(t *testing.T, dataDir string) (addrs map[string]string, stop func()) {
	t.Helper()
	lis := map[string]net.Listener{}
	addrs = map[string]string{}
	for _, n := range []string{"ticket", "warranty", "dispatch", "inventory"} {
		for _, k := range []string{n, n + "-metrics"} {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			lis[k] = l
		}
		addrs[n] = lis[n].Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- suite.Run(ctx, suite.Config{DataDir: dataDir, NATSPort: -1, Listeners: lis}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), out)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("suite.Run = %v, want a clean stop", err)
		}
	}
	t.Cleanup(stop)
	natstest.Eventually(t, 60*time.Second, func() error {
		if !strings.Contains(out.String(), "Sanbao is running") {
			return errors.New("not running yet")
		}
		return nil
	})
	return addrs, stop
}

// The all-in-one's local technician (the technician token's tech-1) has a technician record
// and a van with a little stock from the first start, which the technician's own token reads;
// a second start on the same data adds nothing.
func TestLocalTechnicianSeeded(t *testing.T) {
	dataDir := t.TempDir()
	check := func(addrs map[string]string) {
		t.Helper()
		opts, err := suite.ClientOptions(dataDir, "technician")
		if err != nil {
			t.Fatal(err)
		}
		dconn, err := rpc.Dial(addrs["dispatch"], opts)
		if err != nil {
			t.Fatal(err)
		}
		defer dconn.Close()
		iconn, err := rpc.Dial(addrs["inventory"], opts)
		if err != nil {
			t.Fatal(err)
		}
		defer iconn.Close()
		ctx := context.Background()
		var tech *dispatchv1.Technician
		natstest.Eventually(t, 30*time.Second, func() error {
			r, err := dispatchv1.NewDispatchServiceClient(dconn).GetTechnician(ctx, &dispatchv1.GetTechnicianRequest{TechnicianId: "tech-1"})
			if err != nil {
				return err
			}
			if len(r.GetTechnician().GetQualificationRecords()) < 2 {
				return errors.New("tech-1 not qualified yet")
			}
			tech = r.GetTechnician()
			return nil
		})
		if !tech.GetActive() || tech.GetVanLocationId() == "" || len(tech.GetSkills()) == 0 || tech.GetSkills()[0].GetProductLine() != suite.LocalProductLine {
			t.Errorf("tech-1 = %v, want active, skilled for %s, with a van", tech, suite.LocalProductLine)
		}
		van, err := inventoryv1.NewInventoryServiceClient(iconn).ListLocationStock(ctx, &inventoryv1.ListLocationStockRequest{})
		if err != nil {
			t.Fatalf("the technician's ListLocationStock = %v", err)
		}
		if van.GetLocation().GetId() != tech.GetVanLocationId() || len(van.GetLines()) != 1 || van.GetLines()[0].GetSku() != suite.LocalPartSKU || van.GetLines()[0].GetOnHand() != 3 {
			t.Errorf("tech-1's van = %v, want its van %s with 3 × %s", van, tech.GetVanLocationId(), suite.LocalPartSKU)
		}
	}
	addrs, stop := runSuite(t, dataDir)
	check(addrs)
	stop()
	addrs, _ = runSuite(t, dataDir)
	check(addrs)
	opts, err := suite.ClientOptions(dataDir, "operator")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := rpc.Dial(addrs["inventory"], opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	vans, err := inventoryv1.NewInventoryServiceClient(conn).ListLocations(context.Background(), &inventoryv1.ListLocationsRequest{TechnicianId: "tech-1"})
	if err != nil || len(vans.GetLocations()) != 1 {
		t.Errorf("tech-1's vans after a second start = %v, %v; want one", vans.GetLocations(), err)
	}
}
