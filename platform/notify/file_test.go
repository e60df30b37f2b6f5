package notify_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sanbao/sanbao/platform/notify"
)

// TestFileKeepsEachMessageWhole: the local outbox appends one JSON line per message, with
// its text and params (the one-time code a person trying the customer's page reads there).
func TestFileKeepsEachMessageWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	f := &notify.File{Path: path}
	for _, code := range []string{"123456", "654321"} {
		if err := f.Send(context.Background(), notify.Message{Key: "otp/" + code, Channel: notify.SMS, To: "13800000000",
			Template: "customer.otp", Params: map[string]string{"code": code}, Text: "您的验证码是 " + code}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), b)
	}
	var last notify.FileLine
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Params["code"] != "654321" || last.To != "13800000000" || !strings.Contains(last.Text, "654321") {
		t.Errorf("last line = %+v, want the second code whole", last)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("outbox mode = %v (%v), want 0600 (it holds personal data)", fi.Mode().Perm(), err)
	}
}
