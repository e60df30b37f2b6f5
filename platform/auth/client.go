package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// Bearer is the per-RPC credentials of a person or an external system: a bearer token, sent
// only over TLS.
type Bearer struct {
	token func() (string, error)
}

var _ credentials.PerRPCCredentials = (*Bearer)(nil)

// Token returns credentials that send token.
func Token(token string) *Bearer {
	token = strings.TrimSpace(token)
	return &Bearer{token: func() (string, error) { return token, nil }}
}

// TokenFile returns credentials that send the token in file, re-read when the file changes
// (a token refreshed by an agent beside the process is picked up).
func TokenFile(file string) *Bearer {
	var mu sync.Mutex
	var mtime time.Time
	var tok string
	return &Bearer{token: func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		st, err := os.Stat(file)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		if !st.ModTime().Equal(mtime) || tok == "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return "", fmt.Errorf("token file: %w", err)
			}
			tok, mtime = strings.TrimSpace(string(b)), st.ModTime()
		}
		return tok, nil
	}}
}

// GetRequestMetadata adds the authorization header.
func (b *Bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	t, err := b.token()
	if err != nil {
		return nil, err
	}
	if t == "" {
		return nil, errors.New("empty token")
	}
	return map[string]string{"authorization": "Bearer " + t}, nil
}

// RequireTransportSecurity is true: a token never goes over plaintext.
func (b *Bearer) RequireTransportSecurity() bool { return true }
