package daemon_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
)

// TestStandardGRPCMetrics scrapes /metrics of a running service after one call to it and one
// call it made to a peer, and checks go-grpc-middleware's standard families with their labels,
// the Go runtime and process collectors, and the sanbao_* families.
func TestStandardGRPCMetrics(t *testing.T) {
	mlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := svctest.Start(t, nothing{}, svctest.Options{Name: "metered", Daemon: daemon.Options{MetricsListener: mlis}})
	// A call to the service (server metrics) ...
	if _, err := healthpb.NewHealthClient(s.Conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	// ... and one the service makes to a peer (here itself) with its peer options.
	cfg := daemon.Defaults("metered", 0, 0)
	cfg.Security.Insecure = true
	copts, err := cfg.PeerOptions()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := rpc.Dial(s.Addr, copts)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if _, err := healthpb.NewHealthClient(peer).Check(context.Background(), &healthpb.HealthCheckRequest{Service: rpc.LivenessService}); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get("http://" + mlis.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	handled := []string{"grpc_type", "grpc_service", "grpc_method", "grpc_code"}
	method := []string{"grpc_type", "grpc_service", "grpc_method"}
	want := map[string][]string{
		"grpc_server_started_total":      method,
		"grpc_server_handled_total":      handled,
		"grpc_server_msg_received_total": method,
		"grpc_server_msg_sent_total":     method,
		"grpc_server_handling_seconds":   method,
		"grpc_client_started_total":      method,
		"grpc_client_handled_total":      handled,
		"grpc_client_msg_received_total": method,
		"grpc_client_msg_sent_total":     method,
		"grpc_client_handling_seconds":   method,
		"sanbao_ready":                   nil,
		"sanbao_outbox_depth":            nil,
		"sanbao_store_size_bytes":        nil,
		"sanbao_dead_letters_total":      {"kind"},
		"go_goroutines":                  nil,
		"go_memstats_heap_inuse_bytes":   nil,
		"process_cpu_seconds_total":      nil,
		"process_resident_memory_bytes":  nil,
	}
	for name, labels := range want {
		f, ok := families[name]
		if !ok {
			t.Errorf("/metrics has no %s", name)
			continue
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName())
			}
			if strings.HasSuffix(name, "_seconds") && m.GetHistogram() == nil {
				t.Errorf("%s is not a histogram", name)
			}
			if !sameSet(got, labels) {
				t.Errorf("%s has labels %v, want %v", name, got, labels)
				break
			}
		}
	}
	for name := range families {
		if strings.HasPrefix(name, "grpc_") && want[name] == nil {
			t.Errorf("%s is not one of go-grpc-middleware's standard gRPC metrics", name)
		}
	}
	for family, series := range map[string]model.LabelSet{
		"grpc_server_handled_total": {"grpc_type": "unary", "grpc_service": "grpc.health.v1.Health", "grpc_method": "Check", "grpc_code": "OK"},
		"grpc_client_handled_total": {"grpc_type": "unary", "grpc_service": "grpc.health.v1.Health", "grpc_method": "Check", "grpc_code": "OK"},
	} {
		found := false
		for _, m := range families[family].GetMetric() {
			ls := model.LabelSet{}
			for _, l := range m.GetLabel() {
				ls[model.LabelName(l.GetName())] = model.LabelValue(l.GetValue())
			}
			found = found || (ls.Equal(series) && m.GetCounter().GetValue() >= 1)
		}
		if !found {
			t.Errorf("%s has no series %v counting the call", family, series)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
