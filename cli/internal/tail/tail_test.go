package tail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sanbao/sanbao/cli/internal/tail"
	"github.com/sanbao/sanbao/platform/events"
)

func TestFormat(t *testing.T) {
	msg := events.NewMsg("sanbao.ticket.v1.ticket.created", events.Message{
		ID: "01J", Source: "/sanbao/ticket", Type: "sanbao.ticket.v1.TicketCreated", Resource: "tickets/01J",
		Time: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		Data: []byte(`{"ticket":{"number":"T-2026-000001","state":"TICKET_STATE_RECEIVED"},"reason":"x"}`),
	})
	tests := []struct {
		name string
		data []byte
		full bool
		want []string
	}{
		{"summary", msg.Data, false, []string{"TicketCreated", "tickets/01J", "sanbao.ticket.v1.ticket.created", "reason=x", "ticket.number=T-2026-000001", "ticket.state=TICKET_STATE_RECEIVED"}},
		{"full body", msg.Data, true, []string{`{"ticket":`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tail.Format(msg.Subject, msg.Header, tt.data, tt.full)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Format = %q, want it to contain %q", got, w)
				}
			}
		})
	}
	if got := tail.Format("sanbao.x", nil, []byte("raw"), false); !strings.Contains(got, "not a CloudEvent") {
		t.Errorf("Format(plain message) = %q", got)
	}
}
