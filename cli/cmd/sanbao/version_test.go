package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"released", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			"sanbao v1.4.0 (revision 0123456789abcdef, 2026-11-30T10:00:00Z) go1.26.8"},
		{"local build", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			"sanbao devel (revision abc, modified) go1.26.8"},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.26.8"}, "sanbao devel (revision unknown (built without VCS stamping)) go1.26.8"},
		{"no build info", nil, "sanbao (no build information)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.bi); got != tt.want {
				t.Errorf("versionText() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	if err := version(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "sanbao ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("sanbao version = %q, want the module version and Go version", out.String())
	}
}
