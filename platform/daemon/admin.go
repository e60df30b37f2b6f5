package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/deadletter"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
)

// serveAdmin runs the operator endpoints on lis until ctx ends:
//
//	GET    /backup                   a consistent copy of the service's bbolt file, taken in one
//	                                 read transaction while the service keeps serving
//	GET    /deadletters              parked events as JSON {"letters":[...],"next":""};
//	                                 ?kind=outbox|consumer, ?after=<id>, ?limit=<n> (default 50)
//	GET    /deadletters/{id}         one letter, with its body
//	POST   /deadletters/{id}/retry   outbox: back to the end of the outbox; consumer: applied
//	                                 again now (409 with the reason when it still fails)
//	DELETE /deadletters/{id}         drop the letter for good
//	GET    /readyz                   200 "ready" or "ready (degraded: ...)" while serving, 503
//	                                 with the reason while not
//
// The copy and the letters hold personal data: the listener belongs on loopback (kubectl
// port-forward reaches it). `sanbao deadletters` is the client of the /deadletters endpoints.
func serveAdmin(ctx context.Context, lis net.Listener, name string, p *Platform, srv *rpc.Server, log *zap.Logger) error {
	db := p.DB
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		reason := srv.Reason()
		switch {
		case !srv.Ready():
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %s\n", reason)
		case reason != "":
			fmt.Fprintf(w, "ready (%s)\n", reason)
		default:
			fmt.Fprintln(w, "ready")
		}
	})
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		err := db.View(func(tx *bbolt.Tx) error {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.db"`, name))
			w.Header().Set("Content-Length", strconv.FormatInt(tx.Size(), 10))
			_, err := tx.WriteTo(w)
			return err
		})
		if err != nil {
			log.Error("backup failed", zap.Error(err))
			return
		}
		log.Info("backup taken", zap.Duration("elapsed", time.Since(start)), zap.String("remote", r.RemoteAddr))
	})
	mux.HandleFunc("GET /deadletters", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		var out struct {
			Service string              `json:"service"`
			Outbox  int                 `json:"outbox"`
			Consume int                 `json:"consumer"`
			Letters []deadletter.Letter `json:"letters"`
			Next    string              `json:"next,omitempty"`
		}
		out.Service = name
		err := db.View(func(tx *bbolt.Tx) (err error) {
			out.Outbox, out.Consume = deadletter.Count(tx, deadletter.KindOutbox), deadletter.Count(tx, deadletter.KindConsumer)
			out.Letters, out.Next, err = deadletter.List(tx, q.Get("kind"), q.Get("after"), min(max(limit, 0), 500))
			return err
		})
		if out.Letters == nil {
			out.Letters = []deadletter.Letter{}
		}
		reply(w, out, err)
	})
	mux.HandleFunc("GET /deadletters/{id}", func(w http.ResponseWriter, r *http.Request) {
		var l deadletter.Letter
		err := db.View(func(tx *bbolt.Tx) (err error) { l, err = deadletter.Get(tx, r.PathValue("id")); return err })
		reply(w, l, err)
	})
	mux.HandleFunc("POST /deadletters/{id}/retry", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		err := p.RetryDeadLetter(r.Context(), id)
		if err == nil {
			log.Info("dead letter retried", zap.String("id", id), zap.String("remote", r.RemoteAddr))
		}
		reply(w, map[string]string{"id": id, "result": "retried"}, err)
	})
	mux.HandleFunc("DELETE /deadletters/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		err := db.UpdateAlone(func(tx *bbolt.Tx) error { return deadletter.Delete(tx, id) })
		if err == nil {
			log.Warn("dead letter dropped", zap.String("id", id), zap.String("remote", r.RemoteAddr))
		}
		reply(w, map[string]string{"id": id, "result": "dropped"}, err)
	})
	return serveHTTP(ctx, lis, mux)
}

// RetryDeadLetter retries the dead letter id: an outbox letter goes back to the end of the
// outbox (the relay publishes it again); a consumer letter is applied again by its consumer.
func (p *Platform) RetryDeadLetter(ctx context.Context, id string) error {
	var l deadletter.Letter
	if err := p.DB.View(func(tx *bbolt.Tx) (err error) { l, err = deadletter.Get(tx, id); return err }); err != nil {
		return err
	}
	if l.Kind == deadletter.KindOutbox {
		return p.DB.UpdateAlone(func(tx *bbolt.Tx) error { return outbox.Requeue(tx, id) })
	}
	for _, c := range p.consumers {
		if c.Durable() == l.Owner {
			return c.Retry(ctx, id)
		}
	}
	return fmt.Errorf("no consumer %q in this service", l.Owner)
}

func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code := http.StatusConflict
		if errors.Is(err, deadletter.ErrNotFound) {
			code = http.StatusNotFound
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
