package console

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sanbao/sanbao/platform/auth"
)

// Serve serves h on lis until ctx ends (TLS when tc is set), then shuts down within 5s.
func Serve(ctx context.Context, lis net.Listener, h http.Handler, tc *tls.Config) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, TLSConfig: tc}
	done := make(chan error, 1)
	go func() {
		if tc != nil {
			done <- srv.ServeTLS(lis, "", "")
			return
		}
		done <- srv.Serve(lis)
	}()
	select {
	case err := <-done:
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// PasswordsFile is where the all-in-one keeps the console passwords of its local users.
func PasswordsFile(authDir string) string { return filepath.Join(authDir, "console-passwords.json") }

// LocalPasswords loads the console passwords of the local users (auth.LocalPeople without
// "local-"), making a random one for each user that has none; the file is only the owner's.
func LocalPasswords(authDir string) (map[string]string, error) {
	path := PasswordsFile(authDir)
	pw := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &pw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	changed := false
	for _, p := range auth.LocalPeople {
		name := strings.TrimPrefix(p.Subject, "local-")
		if pw[name] == "" {
			pw[name] = rand.Text()[:12]
			changed = true
		}
	}
	if !changed {
		return pw, nil
	}
	b, err := json.MarshalIndent(pw, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(authDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return nil, err
	}
	return pw, os.Rename(path+".tmp", path)
}
