package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/server"
)

const serverDescription = `
Runs the lab's TCP server: for each connection it reads "<name>,<number>",
prints the original's lines (Connection from, Client_name, Server_name,
Client_number, Server_number, Sum) and replies "<server name>,<random
1..100>"; for a number outside 1..100 it prints the original's line and
closes without replying. Unlike the original it serves many clients at once,
puts deadlines on every read and write, and logs and drops bad peers instead
of dying. SIGINT or SIGTERM stops accepting, lets exchanges in flight finish
(at most --shutdown-timeout) and exits 0.

The lab's lines go to standard output, logs to standard error.`

// serverFlags are the server subcommand's flags.
type serverFlags struct {
	addr            string
	name            string
	seed            uint64
	seedSet         bool
	maxConns        int
	readTimeout     time.Duration
	writeTimeout    time.Duration
	settle          time.Duration
	shutdownTimeout time.Duration
	logFormat       string
	quiet           bool
}

// newServerFlags returns the server subcommand's FlagSet and the values it
// fills. Subcommands that run a server too (demo, capture) can add their
// own flags to the set.
func newServerFlags(env *Env) (*flag.FlagSet, *serverFlags) {
	f := &serverFlags{}
	fs := newFlagSet(env, "server", "", serverDescription)
	fs.StringVar(&f.addr, "addr", labproto.DefaultAddr, "listen on `host:port` (IPv6 as [::1]:2000; port 0 picks a free one)")
	fs.StringVar(&f.name, "name", labproto.DefaultServerName, "server `name` sent in replies (no comma: the original client splits at every comma)")
	fs.Func("seed", "seed the server's random numbers with `N`, so they repeat from run to run (default: random)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("want a non-negative integer")
		}
		f.seed, f.seedSet = v, true
		return nil
	})
	fs.IntVar(&f.maxConns, "max-conns", server.DefaultMaxConns, "serve at most `N` connections at once; more wait in the accept queue")
	fs.DurationVar(&f.readTimeout, "read-timeout", server.DefaultReadTimeout, "drop a peer whose whole request has not arrived within `duration`")
	fs.DurationVar(&f.writeTimeout, "write-timeout", server.DefaultWriteTimeout, "drop a peer that has not taken the reply within `duration`")
	fs.DurationVar(&f.settle, "settle", server.DefaultSettle, "a request that arrived in pieces ends after `duration` without more bytes")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 5*time.Second, "on SIGINT/SIGTERM, wait at most `duration` for exchanges in flight")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format` on standard error: text (plain lines) or json")
	fs.BoolVar(&f.quiet, "q", false, "quiet: don't print the lab's lines (same as --quiet)")
	fs.BoolVar(&f.quiet, "quiet", false, "quiet: don't print the lab's lines; the listening address is logged instead")
	return fs, f
}

// config builds the server.Config the flags describe.
func (f *serverFlags) config(env *Env, logger *slog.Logger) (server.Config, error) {
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return server.Config{}, usageError{fmt.Errorf("--addr %q: %v (want host:port, e.g. 127.0.0.1:2000 or [::1]:2000)", f.addr, addrErrText(err))}
	}
	if err := labproto.CheckName(f.name, true); err != nil {
		return server.Config{}, usageError{fmt.Errorf("--name: %w", err)}
	}
	if f.maxConns < 1 {
		return server.Config{}, usageError{fmt.Errorf("--max-conns %d: want at least 1", f.maxConns)}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"read-timeout", f.readTimeout}, {"write-timeout", f.writeTimeout}, {"settle", f.settle}, {"shutdown-timeout", f.shutdownTimeout}} {
		if d.v <= 0 {
			return server.Config{}, usageError{fmt.Errorf("--%s %v: want a positive duration", d.flag, d.v)}
		}
	}
	cfg := server.Config{
		Name:         f.name,
		MaxConns:     f.maxConns,
		ReadTimeout:  f.readTimeout,
		WriteTimeout: f.writeTimeout,
		Settle:       f.settle,
		Logger:       logger,
	}
	if f.seedSet {
		cfg.Rand = rand.NewPCG(f.seed, f.seed)
	}
	if !f.quiet {
		cfg.Output = env.Stdout
	}
	return cfg, nil
}

func addrErrText(err error) string {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err
	}
	return err.Error()
}

func runServer(ctx context.Context, env *Env, args []string) error {
	fs, f := newServerFlags(env)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		fs.Usage()
		return usageError{fmt.Errorf("server takes no arguments, got %q (use --addr host:port)", rest)}
	}
	logger, err := newLogger(env.Stderr, f.logFormat)
	if err != nil {
		return err
	}
	cfg, err := f.config(env, logger)
	if err != nil {
		return err
	}
	return serve(ctx, f.addr, cfg, f.shutdownTimeout, f.quiet)
}

// serve listens on addr and serves cfg until ctx ends (SIGINT, SIGTERM),
// then shuts down gracefully within shutdownTimeout and returns nil.
func serve(ctx context.Context, addr string, cfg server.Config, shutdownTimeout time.Duration, quiet bool) error {
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := listen(ctx, addr)
	if err != nil {
		return err
	}
	logger := cfg.Logger
	if quiet {
		logger.Info("listening", "addr", ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: refusing new connections, finishing exchanges in flight", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("exchanges still in flight after the shutdown timeout; closing them", "timeout", shutdownTimeout.String())
		srv.Close()
	}
	<-served
	st := srv.Stats()
	logger.Info("stopped", "accepted", st.Accepted, "answered", st.Answered, "out_of_range", st.OutOfRange, "failed", st.Failed)
	return nil
}

// listen opens a TCP listener on addr with an error that names the likely
// fix.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	// An exchange lasts milliseconds: TCP keep-alive probes would never
	// fire, and turning them off saves system calls on every accept.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err == nil {
		return ln, nil
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("listen on %s: address already in use (another server runs there; stop it or pick another --addr)", addr)
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("listen on %s: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE; pick a port above 1023)", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return nil, fmt.Errorf("listen on %s: no such local address (use a loopback address like 127.0.0.1 or [::1], or one of this machine's)", addr)
	}
	return nil, fmt.Errorf("listen on %s: %w", addr, err)
}

// newLogger returns a logger writing to w in format "text" (plain lines)
// or "json".
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text", "":
		return slog.New(&plainHandler{w: w, mu: &sync.Mutex{}}), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: want text or json", format)}
}

// plainHandler writes a record as one plain line: the time, the level, the
// message and the attributes as key=value, quoted only where needed:
//
//	14:03:46.123 WARN closed connection peer=127.0.0.1:40000 kind=no-comma reason="..."
type plainHandler struct {
	w      io.Writer
	mu     *sync.Mutex
	attrs  []byte // preformatted attributes from WithAttrs
	prefix string // group prefix from WithGroup
}

func (h *plainHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *plainHandler) Handle(_ context.Context, r slog.Record) error {
	b := make([]byte, 0, 160)
	if !r.Time.IsZero() {
		b = r.Time.AppendFormat(b, "15:04:05.000")
		b = append(b, ' ')
	}
	b = append(b, r.Level.String()...)
	b = append(b, ' ')
	b = append(b, r.Message...)
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	b = append(b, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b)
	return err
}

func (h *plainHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

func (h *plainHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			b = appendAttr(b, prefix+a.Key+".", g)
		}
		return b
	}
	b = append(b, ' ')
	b = append(b, prefix...)
	b = append(b, a.Key...)
	b = append(b, '=')
	s := a.Value.String()
	if s == "" || strings.ContainsAny(s, " \t\r\n\"=\\") || !strconv.CanBackquote(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}
