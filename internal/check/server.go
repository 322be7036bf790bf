package check

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/check/proc"
	"github.com/tcplab/tcplab/internal/i18n"
)

// ServerConfig says which server to check and how.
type ServerConfig struct {
	// Addr is a running server's loopback address; or
	Addr string
	// Command is the server's command line, {port} in it replaced by a
	// free port; tcplab starts it, and starts it again on a new port
	// when a check has ended it.
	Command []string
	// Limit bounds each run of the program; zero means 2 minutes.
	Limit time.Duration
	// Lang is the language of the report.
	Lang i18n.Lang
	// Recorder, when not nil, records each check's packets.
	Recorder Recorder
	// Only, when not empty, names the checks to run.
	Only []string
}

// maxStarts bounds how often a crashing server is started again.
const maxStarts = 40

// target is the server under test.
type target struct {
	cfg    ServerConfig
	lang   i18n.Lang
	addr   string
	p      *proc.Process
	starts int
	// startErr is why the server could not be started, once it could
	// not.
	startErr error
	// mark is where the current check's output begins.
	markOut, markErr int
}

// owned reports whether tcplab started the server.
func (s *target) owned() bool { return len(s.cfg.Command) > 0 }

func (s *target) msg(id string, args ...any) string { return i18n.Msg(s.lang, "check."+id, args...) }

// ensure makes sure the server runs: when tcplab started it and it has
// exited, it starts it again on a new port.
func (s *target) ensure(ctx context.Context) error {
	if !s.owned() || (s.p != nil && !s.p.Exited()) {
		return nil
	}
	if s.startErr != nil {
		// A server that would not start once will not start now:
		// the first failure stands for the remaining checks.
		return s.startErr
	}
	if s.starts >= maxStarts {
		return fmt.Errorf("%s", s.msg("start.toomany", "n", maxStarts))
	}
	s.starts++
	port, err := proc.FreePort()
	if err != nil {
		return err
	}
	p, err := proc.Start(proc.Spec{
		Args:  proc.Expand(s.cfg.Command, port, ""),
		Limit: s.cfg.Limit,
		// Python keeps its output in a buffer when it writes to a pipe;
		// the lines must come as they are printed.
		Env: []string{"PYTHONUNBUFFERED=1", "PYTHONIOENCODING=utf-8"},
	})
	if err != nil {
		return err
	}
	s.p = p
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := proc.WaitListening(ctx, p, port, 10*time.Second); err != nil {
		p.Stop()
		s.startErr = fmt.Errorf("%s", s.msg("start.nolisten", "port", port, "why", err, "out", proc.LastLine(p.Stderr()+p.Stdout())))
		return s.startErr
	}
	return nil
}

// stop ends the server if tcplab started it.
func (s *target) stop() {
	if s.p != nil {
		s.p.Stop()
	}
}

// mark notes where the next check's output begins.
func (s *target) mark() {
	if s.p != nil {
		s.markOut, s.markErr = len(s.p.Stdout()), len(s.p.Stderr())
	}
}

// output returns what the server printed since mark.
func (s *target) output() (stdout, stderr string) {
	if s.p == nil {
		return "", ""
	}
	o, e := s.p.Stdout(), s.p.Stderr()
	return o[min(s.markOut, len(o)):], e[min(s.markErr, len(e)):]
}

// port returns the server's port.
func (s *target) port() int {
	ap, err := netip.ParseAddrPort(s.addr)
	if err != nil {
		return 0
	}
	return int(ap.Port())
}

// CheckServer runs the server checks and returns the report. It stops
// the server it started before it returns.
func CheckServer(ctx context.Context, cfg ServerConfig) (*Report, error) {
	if cfg.Limit == 0 {
		cfg.Limit = 2 * time.Minute
	}
	s := &target{cfg: cfg, lang: cfg.Lang, addr: cfg.Addr}
	rep := &Report{Kind: "server", Target: cfg.Addr, Lang: cfg.Lang, Started: time.Now()}
	if s.owned() {
		rep.Target = strings.Join(cfg.Command, " ")
	} else if err := loopbackOnly(cfg.Addr); err != nil {
		return nil, err
	}
	defer s.stop()
	for _, c := range serverChecks {
		if !selected(cfg.Only, c.id) {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep.Results = append(rep.Results, s.run(ctx, c)...)
	}
	rep.Took = time.Since(rep.Started)
	return rep, nil
}

func selected(only []string, id string) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if o == id || strings.HasPrefix(id, o+".") {
			return true
		}
	}
	return false
}

// loopbackOnly refuses an address that is not loopback: the checks send
// junk and load, and must not reach another machine.
func loopbackOnly(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want host:port: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("--addr %q: bad port", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q: tcplab check only talks to loopback (127.0.0.0/8, ::1, localhost)", addr)
	}
	return nil
}

// run runs one check (which may report several results) with the
// server started and the evidence recorded.
func (s *target) run(ctx context.Context, c serverCheck) []Result {
	start := time.Now()
	if err := s.ensure(ctx); err != nil {
		r := Result{ID: c.id, Status: Fail, Reason: s.msg("start.fail", "err", err), Hint: s.msg("start.hint")}
		if c.id != "start" {
			r.Status, r.Hint = Skip, ""
			r.Reason = s.msg("skip.nostart")
		}
		r.Title = s.msg("title." + c.id)
		return []Result{r}
	}
	s.mark()
	var end func() *Packets
	if s.cfg.Recorder != nil {
		end, _ = s.cfg.Recorder.Begin(s.port())
	}
	rs := c.run(ctx, s)
	if s.p != nil {
		// A server that a check's last connection ended exits a moment
		// later: see it now, so that its output and exit belong to
		// this check and the next one starts it again.
		s.p.Wait(100 * time.Millisecond)
	}
	var pk *Packets
	if end != nil {
		pk = end()
	}
	out, errOut := s.output()
	for i := range rs {
		rs[i].Title = s.msg("title." + rs[i].ID)
		rs[i].Took = time.Since(start)
		rs[i].Output = proc.JoinOutput(out, errOut)
		rs[i].Packets = pk
		if rs[i].Status == Pass {
			rs[i].Hint = ""
		}
	}
	return rs
}
