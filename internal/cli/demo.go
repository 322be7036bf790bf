package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/check/proc"
	"github.com/tcplab/tcplab/internal/demo"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/render"
)

const demoDescription = `
Runs the whole lab on this machine: starts the lab's server on a free
loopback port, captures its traffic, and runs the client twice, with a
number in 1..100 (default 42: the server answers) and one outside it
(default 150: the client sends it anyway, and the server closes without
replying, the lab report's second case). It prints the server's and the
client's lines for each case, the packet list and conversation table (as
'tcplab analyze' does), a ladder diagram and a plain-language walk-through
of each conversation, and writes the capture (pcapng, for Wireshark) and
an HTML report.

  tcplab demo                 the lab report's two cases, 42 and 150
  tcplab demo 7 300           other numbers (one exchange per number)
  tcplab demo --lang zh-TW    the walk-through in Traditional Chinese

With --impair SPEC the exchanges cross an impaired network built on this
machine (three network namespaces and a user-space bridge):
the server listens on 10.77.0.2:2000, the client connects from 10.77.0.1,
and the capture is taken at both hosts at once (the client's file beside
the -w one, named FILE-client.pcapng), so the ladder shows each segment's
real travel time (--capture-at server or client for one). SPEC is a
comma-separated list of terms, each for both directions or prefixed with
c2s: or s2c: for one:

  loss=P  ge=P/R[/B[/G]]  delay=D  jitter=J  reorder=P[/GAP]  dup=P
  rate=R  queue=N  limit=N  ecn=P  seed=N

for example loss=5%,delay=20ms,reorder=2%. --transfer SIZE (2MB, 500KiB,
100000) sends a bulk stream instead of the lab's exchanges, long enough
for TCP's recovery to show (retransmissions, duplicate ACKs, fast
retransmission, out-of-order segments, a full window), and explains it.

No root is needed. Capturing needs CAP_NET_RAW, the impaired network
CAP_NET_ADMIN and CAP_SYS_ADMIN too; without them tcplab runs the demo
again inside a Linux user namespace of its own (with its own mount,
network and PID namespaces), where the user holds them and nothing
outside changes. Where the kernel refuses that, it says which setting
refuses it and goes on with --stack user; with --stack kernel, or
TCPLAB_USERNS=off, the exchanges still run, the output says what is
missing and how to grant it, and the exit status is 0 (only the capture is
missing), or 1 for the impaired network.

--stack user runs it all on tcplab's own user-space TCP/IP stack
(gVisor's netstack: Reno, not this machine's kernel) instead: the client
host 10.77.0.1 and the server host 10.77.0.2 inside tcplab, joined by its
impairing link (with --impair), captured at both ends; no privileges, any
OS. It is the default where the kernel's way cannot capture: on macOS and
Windows, and where Linux refuses the user namespace. --stack kernel never
switches.

Exit status: 0 when every exchange ended as the lab expects (a reply for a
number in range, none for one outside), 1 otherwise or on an error, 2 for
bad flags or arguments.`

func runDemo(ctx context.Context, env *Env, args []string) error {
	f, err := parseDemoFlags(env, args)
	if err != nil {
		return err
	}
	cfg, pr, err := f.options(env)
	if err != nil {
		return err
	}
	if !cfg.UserStack {
		tried := f.mayUseNamespaces()
		if ran, err := demoInNamespaces(ctx, env, f, args, pr.Lang); ran {
			return err
		}
		if f.switchStack(tried, runtime.GOOS) {
			fmt.Fprintf(env.Stderr, "tcplab demo: %s\n", i18n.Msg(pr.Lang, "demo.progress.userstack.auto"))
			cfg.UserStack, cfg.Progress, cfg.Lang = true, env.Stderr, pr.Lang
		}
	}
	o, runErr := demo.Run(ctx, cfg)
	if o == nil {
		if errors.Is(runErr, os.ErrPermission) {
			fmt.Fprintf(env.Stderr, "tcplab demo: the impaired network needs CAP_NET_ADMIN and CAP_NET_RAW (and CAP_SYS_ADMIN for the namespaces), which tcplab finds in a user namespace of its own unless TCPLAB_USERNS=off or the kernel refuses it; run it with sudo:\n    sudo %s demo %s\nor on tcplab's own TCP/IP stack, which needs none: --stack user\n", capture.RemedyBinary(), strings.Join(args, " "))
		}
		return runErr
	}
	meta := demo.RunMeta{Command: commandLine("demo", args), Date: time.Now()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		meta.Version = versionLine(bi)
	}
	errs := presentDemo(env, o, cfg, pr, meta)
	if runErr != nil {
		errs = append([]error{runErr}, errs...)
	}
	return errors.Join(errs...)
}

// switchStack reports whether the demo f describes, having not run in
// namespaces of its own, goes on with the user-space stack: when no
// stack was chosen, no program of a student's is run, and the kernel's
// cannot capture, because the namespaces were tried and refused (tried)
// or the OS (goos) has none.
func (f *demoFlags) switchStack(tried bool, goos string) bool {
	// A student's programs use the machine's TCP: never switched.
	return f.stack == "" && f.serverCmd == "" && f.clientCmd == "" && (tried || goos != "linux")
}

// demoFlags are demo's flags and arguments as given.
type demoFlags struct {
	cfg                                                demo.Config
	write, html, lang, impairSpec, captureAt, transfer string
	serverCmd, clientCmd, stack                        string
	noExplain, noLadder, ascii, noCapture              bool
	seed                                               uint64
	seedSet, addrSet                                   bool
	numbers                                            []string
}

// parseDemoFlags reads demo's command line.
func parseDemoFlags(env *Env, args []string) (*demoFlags, error) {
	fs := newFlagSet(env, "demo", "[NUMBER...]", demoDescription)
	f := new(demoFlags)
	fs.StringVar(&f.cfg.Addr, "addr", demo.DefaultAddr, "listen on `host:port` (port 0: a free one); not with --impair")
	fs.StringVar(&f.write, "w", demo.DefaultCapture, "write the capture to `file` (pcapng)")
	fs.StringVar(&f.write, "write", demo.DefaultCapture, "same as -w")
	fs.BoolVar(&f.noCapture, "no-capture", false, "do not capture (only the exchanges)")
	fs.StringVar(&f.html, "html", demo.DefaultReport, "write the HTML report to `file` (\"\": none)")
	fs.StringVar(&f.lang, "lang", defaultLang(os.Getenv), "`language` of the walk-through: "+i18n.Choices()+" (default from LC_ALL, LC_MESSAGES or LANG)")
	fs.BoolVar(&f.noExplain, "no-explain", false, "leave out the walk-throughs (shorter output)")
	fs.BoolVar(&f.noLadder, "no-ladder", false, "leave out the ladder diagrams")
	fs.BoolVar(&f.ascii, "ascii", false, "draw the ladders with ASCII characters instead of box drawing")
	fs.Func("seed", "seed the server's random numbers with `N`, so they repeat from run to run", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("want a non-negative integer")
		}
		f.seed, f.seedSet = v, true
		return nil
	})
	fs.StringVar(&f.impairSpec, "impair", "", "run across an impaired network with this `spec`, e.g. loss=5%,delay=20ms")
	fs.StringVar(&f.captureAt, "capture-at", "both", "with --impair: capture at the `host` client, server or both (at once)")
	fs.StringVar(&f.transfer, "transfer", "", "with --impair: a bulk transfer of `size` bytes (2MB, 500KiB) instead of the lab's exchanges")
	fs.StringVar(&f.stack, "stack", "", "run on the `stack` kernel (this machine's TCP) or user (gVisor's netstack inside tcplab; no privileges) (default kernel, user where the kernel's cannot capture)")
	fs.DurationVar(&f.cfg.Timeout, "timeout", 0, "give up on an exchange after `duration` (default 10s)")
	fs.StringVar(&f.serverCmd, "server-cmd", "", "run this `command` as the lab's server instead of tcplab's, {port} where its port goes (e.g. 'python3 server.py {port}')")
	fs.StringVar(&f.clientCmd, "client-cmd", "", "run this `command` as the lab's client for each number instead of tcplab's: {port}, {number}, and the number on its stdin")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "addr" {
			f.addrSet = true
		}
	})
	f.numbers = rest
	return f, nil
}

// options checks the flags and arguments and returns the demo's
// configuration and presentation; the progress of an impaired network
// goes to env's standard error.
func (f *demoFlags) options(env *Env) (demo.Config, demo.Presentation, error) {
	cfg, rest := f.cfg, f.numbers
	var pr demo.Presentation
	for _, n := range rest {
		if _, _, ok := labproto.ParseNumber([]byte(n)); !ok {
			return cfg, pr, usageError{fmt.Errorf("demo: %q is not a number: the lab's client sends a whole number (1..100 gets an answer)", n)}
		}
	}
	cfg.Numbers = rest
	pr = demo.Presentation{NoExplain: f.noExplain, NoLadder: f.noLadder, Report: f.html}
	var err error
	if pr.Lang, err = i18n.ParseLang(f.lang); err != nil {
		return cfg, pr, usageError{fmt.Errorf("demo: --lang %q: want %s", f.lang, i18n.Choices())}
	}
	if cfg.Timeout < 0 {
		return cfg, pr, usageError{fmt.Errorf("demo: --timeout %v: want a positive duration", cfg.Timeout)}
	}
	if cfg.ServerCmd, cfg.ClientCmd, err = f.programs(); err != nil {
		return cfg, pr, err
	}
	if f.seedSet {
		cfg.Rand = rand.NewPCG(f.seed, f.seed)
	}
	if !f.noCapture {
		cfg.Capture = f.write
	}
	if f.write == "" && !f.noCapture {
		return cfg, pr, usageError{errors.New("demo: -w \"\": give a file name, or --no-capture")}
	}
	switch f.captureAt {
	case "both":
		cfg.CaptureAt, cfg.CapturePeer = netlab.Server, true
	case "server":
		cfg.CaptureAt = netlab.Server
	case "client":
		cfg.CaptureAt = netlab.Client
	default:
		return cfg, pr, usageError{fmt.Errorf("demo: --capture-at %q: want client, server or both", f.captureAt)}
	}
	if f.transfer != "" {
		if cfg.Transfer, err = parseSize(f.transfer); err != nil {
			return cfg, pr, usageError{fmt.Errorf("demo: --transfer %q: %w", f.transfer, err)}
		}
		if f.impairSpec == "" {
			return cfg, pr, usageError{errors.New("demo: --transfer needs --impair (on loopback nothing is ever lost; try --impair loss=1%,delay=10ms)")}
		}
		if len(rest) > 0 {
			return cfg, pr, usageError{fmt.Errorf("demo: --transfer sends a bulk stream, not the lab's numbers %q", rest)}
		}
	}
	if f.impairSpec != "" {
		spec, err := impair.Parse(f.impairSpec)
		if err != nil {
			return cfg, pr, usageError{fmt.Errorf("demo: --impair: %w", err)}
		}
		cfg.Impair = &spec
		if f.addrSet {
			return cfg, pr, usageError{errors.New("demo: --addr is for loopback; with --impair the server listens on 10.77.0.2:2000 in its own namespace")}
		}
		cfg.Progress, cfg.Lang = env.Stderr, pr.Lang
	}
	switch f.stack {
	case "", "kernel":
	case "user":
		if f.addrSet {
			return cfg, pr, usageError{errors.New("demo: --addr is for loopback; on the user-space stack the server listens on 10.77.0.2:2000")}
		}
		cfg.UserStack, cfg.Progress, cfg.Lang = true, env.Stderr, pr.Lang
	default:
		return cfg, pr, usageError{fmt.Errorf("demo: --stack %q: want kernel or user", f.stack)}
	}
	if out, ok := env.Stdout.(*os.File); ok {
		pr.Color, pr.ASCII = render.TerminalStyle(out, os.Getenv)
	}
	pr.ASCII = pr.ASCII || f.ascii
	return cfg, pr, nil
}

// programs reads --server-cmd and --client-cmd: each a command line
// with {port} where the port goes, split into words as a shell would.
func (f *demoFlags) programs() (server, client []string, err error) {
	for _, p := range []struct {
		flag, cmd string
		words     *[]string
	}{{"--server-cmd", f.serverCmd, &server}, {"--client-cmd", f.clientCmd, &client}} {
		if p.cmd == "" {
			continue
		}
		if *p.words, err = proc.Split(p.cmd); err != nil || len(*p.words) == 0 {
			return nil, nil, usageError{fmt.Errorf("demo: %s %q: want a command line", p.flag, p.cmd)}
		}
		if !proc.HasPort(*p.words) {
			return nil, nil, usageError{fmt.Errorf("demo: %s %q has no {port}: put {port} where the program takes the port", p.flag, p.cmd)}
		}
	}
	if (server != nil || client != nil) && (f.impairSpec != "" || f.addrSet) {
		return nil, nil, usageError{errors.New("demo: --server-cmd and --client-cmd run on a free loopback port: not with --impair or --addr")}
	}
	if (server != nil || client != nil) && f.stack == "user" {
		return nil, nil, usageError{errors.New("demo: --server-cmd and --client-cmd run programs on this machine's TCP: not with --stack user")}
	}
	return server, client, nil
}

// presentDemo analyses the demo's capture, writes the HTML report and
// presents the outcome o as pr asks; it returns the errors met on the
// way.
func presentDemo(env *Env, o *demo.Outcome, cfg demo.Config, pr demo.Presentation, meta demo.RunMeta) []error {
	var a *demo.Analysis
	var errs []error
	if o.Capture != nil {
		var err error
		if a, err = demo.AnalyzeOutcome(o); err != nil {
			errs = append(errs, err)
		}
	}
	if a == nil || o.Capture == nil {
		pr.Report = ""
	}
	if pr.Report != "" {
		title := "tcplab demo: " + o.Capture.File
		if err := render.WriteReportFile(pr.Report, a.Convs, render.ReportOptions{Lang: pr.Lang, Title: title, Skipped: &a.Summary,
			Run: demo.Record(o, a, pr.Lang, meta)}); err != nil {
			errs = append(errs, fmt.Errorf("demo: %w", err))
			pr.Report = ""
		}
	}
	if err := demo.Write(env.Stdout, o, a, pr); err != nil {
		errs = append(errs, err)
	}
	if o.CaptureErr != nil {
		fmt.Fprintf(env.Stderr, "tcplab demo: no capture: %s\n", userMessage(o.CaptureErr))
	}
	peer := ""
	if o.PeerCapture != nil {
		peer = o.PeerCapture.File
	}
	if err := giveToInvoker(os.Getenv, cfg.Capture, peer, pr.Report); err != nil {
		errs = append(errs, fmt.Errorf("demo: %w", err))
	}
	return errs
}

// commandLine returns the command line of tcplab's subcommand cmd with
// args as a POSIX shell would take it back: "tcplab demo --impair
// 'loss=2%,delay=10ms'".
func commandLine(cmd string, args []string) string {
	parts := []string{"tcplab", cmd}
	for _, a := range args {
		if a == "" || strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+:@,") != "" {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// parseSize reads a byte count: a number with an optional unit, B, KB, MB
// or GB (powers of 1000) or KiB, MiB or GiB (powers of 1024), in any case.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, errors.New("want a size such as 2MB, 500KiB or 100000")
	}
	mult := map[string]float64{"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q (want B, KB, MB, GB, KiB, MiB or GiB)", t[i:])
	}
	n := v * mult
	if n < 1 || n > 1<<40 {
		return 0, errors.New("want at least 1 byte and at most 1 TiB")
	}
	return int64(n), nil
}
