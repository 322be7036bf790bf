package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/check"
	"github.com/tcplab/tcplab/internal/check/proc"
	"github.com/tcplab/tcplab/internal/check/report"
	"github.com/tcplab/tcplab/internal/check/trace"
	"github.com/tcplab/tcplab/internal/i18n"
)

const checkDescription = `
Checks a student's lab server or client and reports each named check as
pass, fail, warning or skipped, with a one-line reason and what to fix.

  tcplab check server -- python3 server.py {port}     start it ({port}: a free port)
  tcplab check server --addr 127.0.0.1:2000           a server already running
  tcplab check client -- python3 client.py {port}     the number comes on stdin ({number} too)

The server checks: it starts; 1, 42 and 100 answered "<name>,<1..100>",
then closed, with the printed lines and sum right; 0, 101, -5 and 1000
closed without a reply; an empty connection, no comma, not a number, a
name with commas and UTF-8, 2 KB of junk, invalid UTF-8, a request in
pieces, a half-close, a reset and a client that never reads, each
followed by a client that must be served; a second client while one is
idle; 16 clients at once, none stalled by a SYN retransmission; 200
exchanges, 4 at a time, p50 and p99. A server that a check ended is
started again on a new port for the next one.

The client checks run it against tcplab's server with 42 (the bytes on
the wire, the printed lines, the sum, exit status 0) and with 150, which
the server closes without answering (a clear message and a non-zero exit,
not a traceback).

Programs run in a process group of their own, with a time limit, and are
killed with everything they started when the check ends. Only loopback is
used; every load is bounded. As root (or with CAP_NET_RAW) each check
keeps its packets as evidence for --html.

Exit status: 0 every check passed (warnings allowed), 1 a check failed,
2 usage.`

type checkFlags struct {
	addr, format, junit, html, lang, only string
	timeout                               time.Duration
	verbose, noCapture                    bool
}

func newCheckFlags(env *Env, kind string) (*flag.FlagSet, *checkFlags) {
	f := &checkFlags{}
	fs := newFlagSet(env, "check "+kind, "[-- COMMAND ARGS...]", checkDescription)
	if kind == "server" {
		fs.StringVar(&f.addr, "addr", "", "check the server already running at `host:port` (loopback only) instead of starting COMMAND")
		fs.StringVar(&f.only, "only", "", "run only these comma-separated `checks` (ids as in the report: reply, empty, burst...)")
	}
	fs.StringVar(&f.format, "format", "text", "output `format`: text or ndjson (docs/check.md)")
	fs.StringVar(&f.junit, "junit", "", "also write JUnit XML to `file`, one testcase per check")
	fs.StringVar(&f.html, "html", "", "also write a standalone HTML report with each check's evidence to `file`")
	fs.StringVar(&f.lang, "lang", defaultLang(os.Getenv), "`language` of the report: "+i18n.Choices()+" (default from LC_ALL, LC_MESSAGES or LANG)")
	fs.DurationVar(&f.timeout, "timeout", 0, "kill the program after `duration` per run (default 2m for a server, 10s for a client)")
	fs.BoolVar(&f.verbose, "v", false, "show every check's details, not only those of failed checks")
	fs.BoolVar(&f.noCapture, "no-capture", false, "do not record packets, even when allowed")
	return fs, f
}

func runCheck(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "server" && args[0] != "client") {
		if len(args) > 0 && strings.HasPrefix(args[0], "-h") || len(args) > 0 && (args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintf(env.Stdout, "usage: tcplab check server|client [flags] [-- COMMAND ARGS...]\n\n%s\n", strings.TrimSpace(checkDescription))
			return silentError{code: 0}
		}
		return usageError{errors.New("check: say what to check: tcplab check server ... or tcplab check client ... (tcplab check -h)")}
	}
	kind := args[0]
	fs, f := newCheckFlags(env, kind)
	cmd, err := parseCheckArgs(fs, args[1:])
	if err != nil {
		return err
	}
	lang, err := i18n.ParseLang(f.lang)
	if err != nil {
		return usageError{fmt.Errorf("check: --lang %q: want %s", f.lang, i18n.Choices())}
	}
	if f.format != "text" && f.format != "ndjson" {
		return usageError{fmt.Errorf("check: --format %q: want text or ndjson", f.format)}
	}
	if f.timeout < 0 {
		return usageError{fmt.Errorf("check: --timeout %v: want a positive duration", f.timeout)}
	}
	rec, note := checkRecorder(f.noCapture, lang)
	var rep *check.Report
	switch kind {
	case "server":
		if (f.addr == "") == (len(cmd) == 0) {
			return usageError{errors.New("check server: give either --addr HOST:PORT or -- COMMAND (with {port} where the port goes)")}
		}
		if len(cmd) > 0 && !proc.HasPort(cmd) {
			return usageError{fmt.Errorf("check server: the command %q has no {port}: put {port} where the server takes its port", strings.Join(cmd, " "))}
		}
		var only []string
		if f.only != "" {
			only = strings.Split(f.only, ",")
			if err := knownChecks(only); err != nil {
				return err
			}
		}
		cfg := check.ServerConfig{Addr: f.addr, Command: cmd, Limit: f.timeout, Lang: lang, Only: only}
		if rec != nil {
			cfg.Recorder = rec
		}
		rep, err = check.CheckServer(ctx, cfg)
	default:
		if len(cmd) == 0 {
			return usageError{errors.New("check client: give the client's command after --, with {port} where the port goes")}
		}
		cfg := check.ClientConfig{Command: cmd, Limit: f.timeout, Lang: lang}
		if rec != nil {
			cfg.Recorder = rec
		}
		rep, err = check.CheckClient(ctx, cfg)
	}
	if err != nil {
		return checkError(err)
	}
	rep.CaptureNote = note
	return writeCheckReport(env, f, rep)
}

// parseCheckArgs parses the flags before "--" and returns the command
// after it.
func parseCheckArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var cmd []string
	for i, a := range args {
		if a == "--" {
			args, cmd = args[:i], args[i+1:]
			break
		}
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, usageError{fmt.Errorf("%s: unexpected %q: put the program's command after --", fs.Name(), rest)}
	}
	return cmd, nil
}

func knownChecks(only []string) error {
	ids := check.ServerCheckIDs()
	for _, o := range only {
		found := o == "in-range"
		for _, id := range ids {
			found = found || id == o
		}
		if !found {
			return usageError{fmt.Errorf("check server: --only %q: no such check; the checks are %s", o, strings.Join(ids, ", "))}
		}
	}
	return nil
}

// checkError words an error that stopped the checks.
func checkError(err error) error {
	if errors.Is(err, context.Canceled) {
		return errors.New("check: interrupted")
	}
	if errors.Is(err, proc.ErrNoCommand) {
		return usageError{err}
	}
	if strings.HasPrefix(err.Error(), "--addr") {
		return usageError{fmt.Errorf("check server: %w", err)}
	}
	return fmt.Errorf("check: %w", err)
}

// writeCheckReport prints the report and writes the files asked for; the
// exit status is the report's.
func writeCheckReport(env *Env, f *checkFlags, rep *check.Report) error {
	var err error
	if f.format == "ndjson" {
		err = report.NDJSON(env.Stdout, rep)
	} else {
		err = report.Text(env.Stdout, rep, report.TextOptions{Color: isTerminal(env.Stdout), Verbose: f.verbose})
	}
	if err != nil {
		return err
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer, *check.Report) error
	}{{f.junit, report.JUnit}, {f.html, report.HTML}} {
		if out.path == "" {
			continue
		}
		if err := writeFile(out.path, func(w io.Writer) error { return out.write(w, rep) }); err != nil {
			return err
		}
	}
	if rep.Failed() {
		return silentError{code: 1}
	}
	return nil
}

// writeFile writes a file through write and closes it, reporting the
// first error.
func writeFile(path string, write func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(fh); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return fh.Close()
}

// checkRecorder returns the recorder of each check's packets, or nil and
// the note that says why there are none.
func checkRecorder(off bool, lang i18n.Lang) (*trace.Recorder, string) {
	if off {
		return nil, i18n.Msg(lang, "check.capture.off")
	}
	if err := trace.Probe(); err != nil {
		if trace.IsPermission(err) {
			return nil, i18n.Msg(lang, "check.capture.denied", "remedy", capture.Remedy())
		}
		return nil, i18n.Msg(lang, "check.capture.failed", "err", userMessage(err))
	}
	return &trace.Recorder{Lang: lang}, ""
}
