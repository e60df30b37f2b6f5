package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/deadletter"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/outbox"
)

// metrics are the platform's Prometheus metrics; services add their own to Platform.Metrics.
type metrics struct {
	reg       *prometheus.Registry
	grpc      *grpcprom.ServerMetrics
	ready     prometheus.Gauge
	consLag   *prometheus.GaugeVec
	consTotal *prometheus.CounterVec
	deadTotal *prometheus.CounterVec
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg:  reg,
		grpc: newServerMetrics(),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sanbao_ready", Help: "1 while the service is serving (store open, stream provisioned), else 0.",
		}),
		consLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sanbao_consumer_lag_messages", Help: "Events waiting for a durable consumer (pending + unacknowledged).",
		}, []string{"consumer"}),
		consTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanbao_consumer_handled_total", Help: "Events handled by a durable consumer, by result.",
		}, []string{"consumer", "result"}),
		deadTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanbao_dead_letters_total", Help: "Events parked as dead letters since start, by kind (outbox|consumer).",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.grpc, m.ready, m.consLag, m.consTotal, m.deadTotal,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchStore registers the gauges read from the open store and the relay.
func (m *metrics) watchStore(p *Platform) {
	depth := func() (int, time.Time) {
		var n int
		var oldest time.Time
		_ = p.DB.View(func(tx *bbolt.Tx) error { n, oldest = outbox.Depth(tx); return nil })
		return n, oldest
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sanbao_outbox_depth", Help: "Events committed but not yet acknowledged by JetStream.",
		}, func() float64 { n, _ := depth(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sanbao_outbox_oldest_age_seconds", Help: "Age of the oldest unpublished event (relay lag); 0 when empty.",
		}, func() float64 {
			if _, t := depth(); !t.IsZero() {
				return time.Since(t).Seconds()
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sanbao_outbox_published_total", Help: "Events published and acknowledged since start.",
		}, func() float64 { return float64(p.relay.Published()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sanbao_store_size_bytes", Help: "Size of the service's bbolt file.",
		}, func() float64 { return float64(p.DB.Size()) }),
	)
	for _, kind := range []string{deadletter.KindOutbox, deadletter.KindConsumer} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sanbao_dead_letters", Help: "Events parked as dead letters and not yet retried or dropped, by kind (outbox: could not be published; consumer: could not be applied).",
			ConstLabels: prometheus.Labels{"kind": kind},
		}, func() float64 {
			var n int
			_ = p.DB.View(func(tx *bbolt.Tx) error { n = deadletter.Count(tx, kind); return nil })
			return float64(n)
		}))
		m.deadTotal.WithLabelValues(kind) // exported as 0 from the start
	}
	deadletter.OnPark(p.DB, func(kind string) { m.deadTotal.WithLabelValues(kind).Inc() })
}

// pollConsumerLag refreshes the consumer lag gauges until ctx ends: every 10 seconds, and every
// second while some consumer has not reported yet (it may still be attaching to its stream).
func (m *metrics) pollConsumerLag(ctx context.Context, cs []*events.Consumer) error {
	if len(cs) == 0 {
		return nil
	}
	reported := map[string]bool{}
	for {
		for _, c := range cs {
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if n, err := c.Pending(qctx); err == nil {
				m.consLag.WithLabelValues(c.Durable()).Set(float64(n))
				reported[c.Durable()] = true
			}
			cancel()
		}
		wait := 10 * time.Second
		if len(reported) < len(cs) {
			wait = time.Second
		}
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// serve runs the /metrics endpoint on lis until ctx ends.
func (m *metrics) serve(ctx context.Context, lis net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true}))
	return serveHTTP(ctx, lis, mux)
}

// serveHTTP serves h on lis until ctx ends, then shuts the server down gracefully (5s).
func serveHTTP(ctx context.Context, lis net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
