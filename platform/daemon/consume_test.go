package daemon

import (
	"errors"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/events"
)

func TestConsumersApplyOnlyTheOwnersEvents(t *testing.T) {
	applied := 0
	h := fromOwner("DISPATCH", func(*bbolt.Tx, events.Message) error { applied++; return nil })
	cases := []struct {
		name    string
		m       events.Message
		applied bool
	}{
		{"the owner's event", events.Message{Subject: "sanbao.dispatch.v1.job.cancelled", Source: "/sanbao/dispatch"}, true},
		{"another service's subject", events.Message{Subject: "sanbao.ticket.v1.ticket.closed", Source: "/sanbao/dispatch"}, false},
		{"a forged source", events.Message{Subject: "sanbao.dispatch.v1.job.cancelled", Source: "/sanbao/integrator"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := applied
			err := h(nil, tc.m)
			if got := applied > before; got != tc.applied {
				t.Fatalf("applied = %v, want %v (err %v)", got, tc.applied, err)
			}
			if !tc.applied && (err == nil || errors.Unwrap(err) == nil) {
				t.Errorf("refused event: err = %v, want a permanent error", err)
			}
		})
	}
}
