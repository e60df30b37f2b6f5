package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// OnBehalfOfHeader is the metadata one of our services sends with a call to a peer to name
// the person (or the actor of the timer or event) it calls for. A peer believes it only from a
// caller authenticated by its service certificate.
const OnBehalfOfHeader = "sanbao-on-behalf-of"

// MaxSubject bounds a subject recorded as an actor.
const MaxSubject = 128

// ValidSubject reports whether s may be recorded as an actor: 1 to MaxSubject printable ASCII
// characters without spaces, quotes or backslashes (an id, as sanbao.type.v1.id: never a name).
func ValidSubject(s string) bool {
	if s == "" || len(s) > MaxSubject {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// OnBehalfOf is the client interceptor of a service's calls to its peers: it sends the actor
// of the work the call is made in (Actor), so the peer records the change as theirs.
func OnBehalfOf(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if a := Actor(ctx, ""); a != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, OnBehalfOfHeader, a)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// onBehalfOf returns ctx carrying the actor a service caller names, if it is a valid subject.
func onBehalfOf(ctx context.Context, c *Caller) context.Context {
	if c.Kind != KindService {
		return ctx
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(OnBehalfOfHeader); len(v) == 1 && ValidSubject(v[0]) {
		return WithActor(ctx, v[0])
	}
	return ctx
}

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
