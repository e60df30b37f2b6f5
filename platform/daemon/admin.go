package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/store"
)

// serveAdmin runs the operator endpoints on lis until ctx ends:
//
//	GET /backup  a consistent copy of the service's bbolt file, taken in one read transaction
//	             while the service keeps serving (writers are not blocked).
//	GET /readyz  200 "ready" or "ready (degraded: ...)" while serving, 503 with the reason
//	             while not.
//
// The copy holds personal data: the listener belongs on loopback (kubectl port-forward reaches it).
func serveAdmin(ctx context.Context, lis net.Listener, name string, db *store.DB, srv *rpc.Server, log *zap.Logger) error {
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
	return serveHTTP(ctx, lis, mux)
}
