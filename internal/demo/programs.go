package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/check/proc"
	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/labproto"
)

// Bounds of a student's programs in the demo.
const (
	serverProgramLimit = 2 * time.Minute
	listenLimit        = 10 * time.Second
	// outputQuiet is how long a server program's output must stop
	// growing before its lines for an exchange are taken.
	outputQuiet = 100 * time.Millisecond
	outputLimit = time.Second
)

// programEnv makes Python programs print as they go rather than at
// exit, and in UTF-8.
var programEnv = []string{"PYTHONUNBUFFERED=1", "PYTHONIOENCODING=utf-8"}

// runServerProgram runs the lab's exchanges against a student's server
// (Config.ServerCmd) on a free loopback port, captured like tcplab's own.
// The program runs in a process group of its own and is killed with
// everything it started before Run returns.
func runServerProgram(ctx context.Context, cfg Config) (*Outcome, error) {
	port, err := proc.FreePort()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	out := &Outcome{Server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port))}
	cs, err := captureLoopback(ctx, cfg, port, out)
	if err != nil {
		return nil, err
	}
	err = exchangeWithProgram(ctx, cfg, port, out)
	if cs != nil {
		out.Capture, err = cs.finish(len(cfg.Numbers), cfg.Settle, 3*time.Second, err)
	}
	if err != nil && !errors.Is(err, ErrExchange) {
		return nil, err
	}
	return out, err
}

// exchangeWithProgram starts the server program on port and runs one
// exchange per number, keeping what the program printed for each.
func exchangeWithProgram(ctx context.Context, cfg Config, port int, out *Outcome) error {
	p, err := proc.Start(proc.Spec{Args: proc.Expand(cfg.ServerCmd, port, ""), Limit: serverProgramLimit, Env: programEnv})
	if err != nil {
		return fmt.Errorf("demo: the server program: %w", err)
	}
	defer p.Stop()
	if err := proc.WaitListening(ctx, p, port, listenLimit); err != nil {
		return fmt.Errorf("demo: the server program did not listen on port %d: %v %s", port, err, proc.LastLine(p.Stderr()))
	}
	out.Listening = []byte(p.Stdout())
	for _, number := range cfg.Numbers {
		c := newCase(number)
		before := len(p.Stdout())
		exchange(ctx, cfg, out.Server.String(), &c)
		c.Server = programOutput(ctx, p, before)
		serverSawNothing(&c)
		out.Cases = append(out.Cases, c)
		if ctx.Err() != nil {
			return fmt.Errorf("demo: %w", ctx.Err())
		}
	}
	return unexpected(out.Cases)
}

// newCase returns the case of number, not yet run.
func newCase(number string) Case {
	v, _, _ := labproto.ParseNumber([]byte(number))
	return Case{Number: number, InRange: v >= labproto.MinNumber && v <= labproto.MaxNumber}
}

// exchange runs one exchange with the server at addr: tcplab's client,
// or the student's (Config.ClientCmd).
func exchange(ctx context.Context, cfg Config, addr string, c *Case) {
	if len(cfg.ClientCmd) == 0 {
		var err error
		c.Result, err = client.Exchange(ctx, client.Config{Name: cfg.ClientName, Timeout: cfg.Timeout, Dial: cfg.dial}, addr, c.Number)
		if err != nil {
			c.Result, c.Err = nil, err
		}
		return
	}
	runClientProgram(ctx, cfg, addr, c)
}

// runClientProgram runs the student's client for c's number against
// addr: {port} and {number} in its command line, the number on standard
// input. It exits 0 for a number in range and non-zero for one the server
// does not answer, or c.Err says what went wrong.
func runClientProgram(ctx context.Context, cfg Config, addr string, c *Case) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		c.Err = err
		return
	}
	number := strings.TrimSpace(c.Number)
	p, err := proc.Start(proc.Spec{
		Args:  proc.Expand(cfg.ClientCmd, int(ap.Port()), number),
		Stdin: strings.NewReader(number + "\n"),
		Limit: cmp.Or(cfg.Timeout, client.DefaultTimeout),
		Env:   programEnv,
	})
	if err != nil {
		c.Err = fmt.Errorf("the client program: %w", err)
		return
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
	}
	p.Stop()
	e := p.Exit()
	c.Client = []byte(proc.JoinOutput(p.Stdout(), p.Stderr()))
	c.ClientExit = e.String()
	if e.TimedOut {
		c.ClientExit = "killed after " + cmp.Or(cfg.Timeout, client.DefaultTimeout).String()
	}
	switch {
	case c.InRange && (e.Code != 0 || e.TimedOut):
		c.Err = fmt.Errorf("the client program ended with %s", c.ClientExit)
	case !c.InRange && e.Code == 0 && !e.TimedOut:
		c.Err = fmt.Errorf("the client program exited with status 0 although the server does not answer %s", number)
	}
}

// serverSawNothing marks a student's client that exited 0 for a number
// in range although the server printed nothing: it did no exchange.
func serverSawNothing(c *Case) {
	if c.ClientExit != "" && c.Err == nil && c.InRange && len(c.Server) == 0 {
		c.Err = fmt.Errorf("the client program ended with %s, but the server printed nothing: there was no exchange", c.ClientExit)
	}
}

// programOutput waits until the server program's output after byte
// before has stopped growing (at most outputLimit) and returns it.
func programOutput(ctx context.Context, p *proc.Process, before int) []byte {
	end := time.Now().Add(outputLimit)
	last, since := len(p.Stdout()), time.Now()
	for time.Now().Before(end) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		n := len(p.Stdout())
		if n != last {
			last, since = n, time.Now()
			continue
		}
		if n > before && time.Since(since) >= outputQuiet {
			break
		}
	}
	out := p.Stdout()
	s := out[min(before, len(out)):]
	if e := p.Stderr(); p.Exited() && e != "" {
		s = proc.JoinOutput(s, e)
	}
	return []byte(s)
}
