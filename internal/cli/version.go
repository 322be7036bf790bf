package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// runVersion prints tcplab's version (`tcplab version`, `tcplab
// --version`).
func runVersion(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "version", "", "Print tcplab's version: the module version, the commit it was built from, and the Go version.")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		fs.Usage()
		return usageError{fmt.Errorf("version takes no arguments, got %q", rest[0])}
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(env.Stdout, versionLine(bi))
	return nil
}

// versionLine describes the build: "tcplab v1.2.0 (commit 0123abcd4567,
// 2026-12-05T22:44:39Z, modified) go1.26.8". The module version is
// "(devel)" for a build from a checkout; the commit and its time come from
// the VCS stamp `go build` adds in a git checkout (absent under `go test`
// or with -buildvcs=false: "commit unknown").
func versionLine(bi *debug.BuildInfo) string {
	if bi == nil {
		return "tcplab (version unknown: no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var rev, when string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tcplab %s (", version)
	if rev == "" {
		b.WriteString("commit unknown")
	} else {
		b.WriteString("commit " + rev[:min(len(rev), 12)])
		if when != "" {
			b.WriteString(", " + when)
		}
		if modified {
			b.WriteString(", modified")
		}
	}
	b.WriteString(")")
	if bi.GoVersion != "" {
		b.WriteString(" " + bi.GoVersion)
	}
	return b.String()
}
