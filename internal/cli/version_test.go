package cli

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"none", nil, "tcplab (version unknown: no build information)"},
		{"test binary", &debug.BuildInfo{GoVersion: "go1.26.8"}, "tcplab (devel) (commit unknown) go1.26.8"},
		{"checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "5903447a1b2c3d4e5f60718293a4b5c6d7e8f901"},
			{Key: "vcs.time", Value: "2026-12-05T22:44:39Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, "tcplab (devel) (commit 5903447a1b2c, 2026-12-05T22:44:39Z, modified) go1.26.8"},
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"},
		}}, "tcplab v1.2.0 (commit abc) go1.26.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionLine(tc.bi); got != tc.want {
				t.Errorf("versionLine() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestVersionCommand: `tcplab version` and `tcplab --version` print the
// same line, the build's.
func TestVersionCommand(t *testing.T) {
	bi, _ := debug.ReadBuildInfo()
	want := versionLine(bi) + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var out, errb bytes.Buffer
		if err := Run(context.Background(), args, nil, &out, &errb); err != nil {
			t.Fatalf("Run(%q) = %v, want nil", args, err)
		}
		if out.String() != want || errb.Len() != 0 {
			t.Errorf("Run(%q): stdout %q, stderr %q; want %q and nothing", args, out.String(), errb.String(), want)
		}
	}
	var out, errb bytes.Buffer
	if err := Run(context.Background(), []string{"version", "extra"}, nil, &out, &errb); ExitCode(err) != 2 {
		t.Errorf("Run(version extra) = %v, want a usage error", err)
	}
	Run(context.Background(), []string{"help"}, nil, &out, &errb)
	if !strings.Contains(out.String(), "version") {
		t.Errorf("usage text lacks the version command:\n%s", out.String())
	}
}
