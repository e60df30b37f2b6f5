package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// File is the all-in-one's local outbox page: every message, whole (one-time codes
// included), appended as one JSON line to Path, so a person trying the customer's page on a
// laptop (and a test) can read what would have been sent. Never for production: it writes
// personal data to a file.
type File struct {
	// Path is the file the lines are appended to (created 0600).
	Path string
	mu   sync.Mutex
}

// FileLine is one line of a File.
type FileLine struct {
	Time     time.Time         `json:"time"`
	Key      string            `json:"key"`
	Channel  Channel           `json:"channel"`
	To       string            `json:"to"`
	Template string            `json:"template"`
	Params   map[string]string `json:"params,omitempty"`
	Text     string            `json:"text"`
}

// Send implements Provider.
func (f *File) Send(_ context.Context, m Message) error {
	b, err := json.Marshal(FileLine{Time: time.Now().UTC(), Key: m.Key, Channel: m.Channel, To: m.To, Template: m.Template, Params: m.Params, Text: m.Text})
	if err != nil {
		return fmt.Errorf("notify file: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("notify file: %w", err)
	}
	if _, err := fh.Write(append(b, '\n')); err != nil {
		_ = fh.Close()
		return fmt.Errorf("notify file: %w", err)
	}
	return fh.Close()
}
