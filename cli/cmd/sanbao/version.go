package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version prints the module version and the VCS revision the binary was built from.
func version(out io.Writer) error {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	fmt.Fprintln(out, versionText(bi))
	return nil
}

// versionText renders build info as one line: "sanbao v1.2.3 (revision abc123def456, 2026-11-30T10:00:00Z, modified) go1.26.8".
func versionText(bi *debug.BuildInfo) string {
	if bi == nil {
		return "sanbao (no build information)"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var vcs []string
	if r := settings["vcs.revision"]; r != "" {
		vcs = append(vcs, "revision "+r)
	} else {
		vcs = append(vcs, "revision unknown (built without VCS stamping)")
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	return fmt.Sprintf("sanbao %s (%s) %s", v, strings.Join(vcs, ", "), bi.GoVersion)
}
