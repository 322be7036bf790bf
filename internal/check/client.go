package check

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tcplab/tcplab/internal/check/proc"
	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/server"
)

// ClientConfig says which client to check and how.
type ClientConfig struct {
	// Command is the client's command line: {port} is replaced by the
	// port of tcplab's server and {number} by the number; the number is
	// also given on standard input, as the original prompts for it.
	Command []string
	// Limit bounds each run of the program; zero means 10 s.
	Limit time.Duration
	// Lang is the language of the report.
	Lang i18n.Lang
	// Recorder, when not nil, records each run's packets.
	Recorder Recorder
}

// The numbers the client is run with: one the server answers, one it
// does not.
const (
	clientNumber    = 42
	clientOutNumber = 150
)

// ClientCheckIDs lists the client checks' ids in the order they run.
func ClientCheckIDs() []string {
	return []string{"connect", "request", "lines", "sum", "exit", "no-reply"}
}

// clientRun is one run of the student's client against tcplab's server.
type clientRun struct {
	exit    proc.Exit
	stdout  string
	stderr  string
	conns   []*recConn
	port    int
	packets *Packets
	took    time.Duration
}

// CheckClient runs the client checks and returns the report.
func CheckClient(ctx context.Context, cfg ClientConfig) (*Report, error) {
	if len(cfg.Command) == 0 {
		return nil, proc.ErrNoCommand
	}
	if cfg.Limit == 0 {
		cfg.Limit = 10 * time.Second
	}
	rep := &Report{Kind: "client", Target: strings.Join(cfg.Command, " "), Lang: cfg.Lang, Started: time.Now()}
	c := &clientChecker{lang: cfg.Lang}
	in, err := runClient(ctx, cfg, clientNumber)
	if err != nil {
		return nil, err
	}
	rep.Results = append(rep.Results, c.inRange(in)...)
	out, err := runClient(ctx, cfg, clientOutNumber)
	if err != nil {
		return nil, err
	}
	rep.Results = append(rep.Results, c.noReply(out))
	rep.Took = time.Since(rep.Started)
	return rep, nil
}

// runClient serves one exchange with tcplab's server on a free loopback
// port and runs the client with number.
func runClient(ctx context.Context, cfg ClientConfig, number int) (*clientRun, error) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ln := &recListener{Listener: inner}
	srv, err := server.New(server.Config{ReadTimeout: cfg.Limit, WriteTimeout: 2 * time.Second})
	if err != nil {
		inner.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { srv.Serve(sctx, ln); close(served) }()
	run := &clientRun{port: inner.Addr().(*net.TCPAddr).Port}
	var end func() *Packets
	if cfg.Recorder != nil {
		end, _ = cfg.Recorder.Begin(run.port)
	}
	n := strconv.Itoa(number)
	p, err := proc.Start(proc.Spec{
		Args:  proc.Expand(cfg.Command, run.port, n),
		Stdin: strings.NewReader(n + "\n"),
		Limit: cfg.Limit,
		Env:   []string{"PYTHONUNBUFFERED=1", "PYTHONIOENCODING=utf-8"},
	})
	if err != nil {
		cancel()
		<-served
		return nil, err
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
	}
	p.Stop()
	run.exit = p.Exit()
	run.took = run.exit.Took
	run.stdout, run.stderr = p.Stdout(), p.Stderr()
	sd, sdCancel := context.WithTimeout(context.Background(), 2*time.Second)
	srv.Shutdown(sd)
	sdCancel()
	cancel()
	srv.Close()
	<-served
	if end != nil {
		run.packets = end()
	}
	run.conns = ln.recorded()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return run, nil
}

// clientChecker turns runs into results.
type clientChecker struct{ lang i18n.Lang }

func (c *clientChecker) msg(id string, args ...any) string {
	return i18n.Msg(c.lang, "check.client."+id, args...)
}

// result fills the common parts of a result from run.
func (c *clientChecker) result(id string, run *clientRun) Result {
	return Result{
		ID: id, Status: Pass, Title: i18n.Msg(c.lang, "check.title.client."+id),
		Output: proc.JoinOutput(run.stdout, run.stderr), Packets: run.packets, Took: run.took,
	}
}

func (c *clientChecker) inRange(run *clientRun) []Result {
	conn := c.result("connect", run)
	req := c.result("request", run)
	lines := c.result("lines", run)
	sum := c.result("sum", run)
	exit := c.result("exit", run)
	rs := []*Result{&conn, &req, &lines, &sum, &exit}
	out := func() []Result {
		var v []Result
		for _, r := range rs {
			v = append(v, *r)
		}
		return v
	}
	if run.exit.Code == 0 && run.exit.Signal == "" && !run.exit.TimedOut && crashSign(run.stdout+run.stderr) == "" {
		exit.Reason = c.msg("exit.ok")
	} else {
		fail(&exit, c.msg("exit.fail", "exit", c.exitText(run.exit), "line", lastOf(run)), c.msg("exit.hint"))
	}
	switch len(run.conns) {
	case 0:
		fail(&conn, c.msg("connect.none", "port", run.port), c.msg("connect.none.hint"))
		for _, r := range rs[1:4] {
			r.Status, r.Reason = Skip, c.msg("skip.noconn")
		}
		return out()
	case 1:
		conn.Reason = c.msg("connect.ok", "port", run.port)
	default:
		conn.Status, conn.Reason, conn.Hint = Warn, c.msg("connect.many", "n", len(run.conns)), c.msg("connect.many.hint")
	}
	rc := run.conns[0]
	sent, reply := rc.bytes()
	req.Details = append(req.Details, c.msg("story", "sent", quote(sent), "reply", quote(reply)))
	c.checkRequest(&req, sent)
	if len(reply) == 0 {
		for _, r := range rs[2:4] {
			r.Status, r.Reason = Skip, c.msg("skip.noreply")
		}
		return out()
	}
	m, err := labproto.ParseReply(reply)
	if err != nil {
		return out()
	}
	c.checkLines(&lines, &sum, run.stdout, string(m.Name), m.Value)
	return out()
}

func (c *clientChecker) checkRequest(r *Result, sent []byte) {
	body := strings.TrimRight(string(sent), "\r\n")
	m, err := labproto.ParseRequest([]byte(body))
	switch {
	case len(sent) == 0:
		fail(r, c.msg("request.none"), c.msg("request.hint"))
	case err != nil:
		fail(r, c.msg("request.bad", "sent", quote(sent)), c.msg("request.hint"))
	case m.Value != clientNumber || strings.TrimSpace(string(m.Number)) != string(m.Number):
		fail(r, c.msg("request.number", "sent", quote(sent), "n", clientNumber), c.msg("request.hint"))
	case body != string(sent):
		r.Status, r.Reason, r.Hint = Warn, c.msg("request.newline", "sent", quote(sent)), c.msg("request.newline.hint")
	default:
		r.Reason = c.msg("request.ok", "sent", quote(sent))
	}
}

// clientLineNames are the original client's line labels.
var clientLineNames = []string{"Client Name", "Server Name", "Client Number", "Server Number", "Sum"}

func (c *clientChecker) checkLines(lines, sum *Result, stdout, serverName string, serverNumber int64) {
	got := parseLines(strings.ReplaceAll(stdout, client.Prompt, "\n"))
	want := []string{"", serverName, strconv.Itoa(clientNumber), strconv.FormatInt(serverNumber, 10)}
	lines.Reason = c.msg("lines.ok")
	for i, k := range lineKeys[:4] {
		v, ok := got[k]
		switch {
		case !ok:
			fail(lines, c.msg("lines.missing", "line", clientLineNames[i]), c.msg("lines.hint"))
		case i > 0 && v != want[i]:
			fail(lines, c.msg("lines.wrong", "line", clientLineNames[i], "got", v, "want", want[i]), c.msg("lines.hint"))
		}
	}
	total := strconv.FormatInt(clientNumber+serverNumber, 10)
	v, ok := got["sum"]
	switch {
	case !ok:
		fail(sum, c.msg("sum.missing"), c.msg("lines.hint"))
	case v != total:
		fail(sum, c.msg("sum.wrong", "got", v, "a", clientNumber, "b", serverNumber, "want", total), c.msg("sum.hint"))
	default:
		sum.Reason = c.msg("sum.ok", "a", clientNumber, "b", serverNumber, "want", total)
	}
}

func (c *clientChecker) noReply(run *clientRun) Result {
	r := c.result("no-reply", run)
	for _, rc := range run.conns {
		sent, _ := rc.bytes()
		r.Details = append(r.Details, c.msg("story.noreply", "sent", quote(sent)))
	}
	out := run.stdout + run.stderr
	switch {
	case run.exit.TimedOut:
		fail(&r, c.msg("noreply.hang", "n", clientOutNumber), c.msg("noreply.hint"))
	case crashSign(out) != "":
		fail(&r, c.msg("noreply.crash", "n", clientOutNumber, "line", lastOf(run)), c.msg("noreply.hint"))
	case run.exit.Signal != "":
		fail(&r, c.msg("noreply.signal", "n", clientOutNumber, "exit", c.exitText(run.exit)), c.msg("noreply.hint"))
	case run.exit.Code == 0:
		fail(&r, c.msg("noreply.zero", "n", clientOutNumber), c.msg("noreply.hint"))
	case strings.TrimSpace(strings.ReplaceAll(out, client.Prompt, "")) == "":
		fail(&r, c.msg("noreply.silent", "n", clientOutNumber, "exit", c.exitText(run.exit)), c.msg("noreply.hint"))
	case len(run.conns) == 0:
		r.Reason = c.msg("noreply.refused", "n", clientOutNumber, "exit", c.exitText(run.exit), "line", lastOf(run))
	default:
		r.Reason = c.msg("noreply.ok", "n", clientOutNumber, "exit", c.exitText(run.exit), "line", lastOf(run))
	}
	return r
}

func (c *clientChecker) exitText(e proc.Exit) string {
	if e.TimedOut {
		return c.msg("timedout")
	}
	return e.String()
}

// crashSigns are what a program that crashed prints: Python's traceback,
// Java's uncaught exception, Go's panic, a shell's report of a signal.
var crashSigns = []string{"Traceback (most recent call last)", "Exception in thread", "panic: ", "Segmentation fault", "core dumped"}

// crashSign returns the crash sign in out, or "".
func crashSign(out string) string {
	for _, s := range crashSigns {
		if strings.Contains(out, s) {
			return s
		}
	}
	return ""
}

// recListener records the bytes of every connection it accepts.
type recListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*recConn
}

func (l *recListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, rc)
	l.mu.Unlock()
	return rc, nil
}

func (l *recListener) recorded() []*recConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*recConn(nil), l.conns...)
}

// recConn is a connection that keeps what it read and wrote.
type recConn struct {
	net.Conn
	mu      sync.Mutex
	in, out []byte
}

func (c *recConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if len(c.in) < 64<<10 {
		c.in = append(c.in, b[:n]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *recConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.out = append(c.out, b[:n]...)
	c.mu.Unlock()
	return n, err
}

// CloseWrite lets the server half-close through the wrapper.
func (c *recConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// bytes returns what the client sent and what it was sent.
func (c *recConn) bytes() (sent, reply []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.in...), append([]byte(nil), c.out...)
}

// lastOf returns the last line the client printed on standard error, or
// else on standard output, without the prompt.
func lastOf(run *clientRun) string {
	l := proc.LastLine(strings.ReplaceAll(run.stderr, client.Prompt, ""))
	if l == "" {
		l = proc.LastLine(strings.ReplaceAll(run.stdout, client.Prompt, ""))
	}
	return l
}
