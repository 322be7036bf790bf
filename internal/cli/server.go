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
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/plainlog"
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

The lab's lines go to standard output, logs to standard error.

--capture FILE records the server's own conversations (TCP packets to and
from its port, nothing else) into FILE as pcapng while it serves, like
'tcplab capture'. The capture starts right after the server listens and
before the "listening on" line; on SIGINT or SIGTERM the server shuts
down gracefully first and waits (at most 1s) for the peers to finish
closing, so that each conversation is recorded to its final ACK; then
every packet the kernel captured is written, the counts (with the
kernel's drops) are stored in the file and logged, and the file is
closed. The interface follows --addr: a loopback address
is captured on lo, another address of this machine on the interface that
holds it (connections from this machine to that address go over lo, so
they are not in the capture). An address that means every interface
(0.0.0.0, [::], an empty host) needs --capture-iface, since tcplab
captures on one interface. Capturing needs CAP_NET_RAW (run as root, or
'sudo setcap cap_net_raw+ep ./tcplab' once); without it the server does
not start and exits 1, rather than serve unrecorded.

Example: tcplab server --capture lab.pcapng`

// serverFlags are the server subcommand's flags.
type serverFlags struct {
	addr            string
	name            string
	seed            uint64
	seedSet         bool
	maxConns        int
	acceptLoops     int
	readTimeout     time.Duration
	writeTimeout    time.Duration
	settle          time.Duration
	shutdownTimeout time.Duration
	logFormat       string
	quiet           bool
	capture         string // pcapng file to record into; "" records nothing
	captureIface    string // interface to record on; "" follows addr
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
	fs.IntVar(&f.acceptLoops, "accept-loops", 1, "accept and serve connections in `N` loops (Linux); more than 1 helps only once one loop saturates a CPU core")
	fs.DurationVar(&f.readTimeout, "read-timeout", server.DefaultReadTimeout, "drop a peer whose whole request has not arrived within `duration`")
	fs.DurationVar(&f.writeTimeout, "write-timeout", server.DefaultWriteTimeout, "drop a peer that has not taken the reply within `duration`")
	fs.DurationVar(&f.settle, "settle", server.DefaultSettle, "a request that arrived in pieces ends after `duration` without more bytes")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 5*time.Second, "on SIGINT/SIGTERM, wait at most `duration` for exchanges in flight")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format` on standard error: text (plain lines) or json")
	fs.BoolVar(&f.quiet, "q", false, "quiet: don't print the lab's lines (same as --quiet)")
	fs.BoolVar(&f.quiet, "quiet", false, "quiet: don't print the lab's lines; the listening address is logged instead")
	fs.StringVar(&f.capture, "capture", "", "record the server's conversations into `file` (pcapng) while serving; needs CAP_NET_RAW")
	fs.StringVar(&f.captureIface, "capture-iface", "", "with --capture, record on `interface` instead of the one --addr decides (required when --addr is 0.0.0.0 or [::])")
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
	if f.acceptLoops < 1 {
		return server.Config{}, usageError{fmt.Errorf("--accept-loops %d: want at least 1", f.acceptLoops)}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"read-timeout", f.readTimeout}, {"write-timeout", f.writeTimeout}, {"settle", f.settle}, {"shutdown-timeout", f.shutdownTimeout}} {
		if d.v <= 0 {
			return server.Config{}, usageError{fmt.Errorf("--%s %v: want a positive duration", d.flag, d.v)}
		}
	}
	if err := f.checkCapture(); err != nil {
		return server.Config{}, err
	}
	cfg := server.Config{
		Name:         f.name,
		MaxConns:     f.maxConns,
		AcceptLoops:  f.acceptLoops,
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
	return serve(ctx, f, cfg)
}

// serve listens on f.addr, starts recording into f.capture if asked, and
// serves cfg until ctx ends (SIGINT, SIGTERM); then it shuts down
// gracefully within f.shutdownTimeout, stops the recording once the last
// connection is closed, and returns nil.
func serve(ctx context.Context, f *serverFlags, cfg server.Config) error {
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := listen(ctx, f.addr)
	if err != nil {
		return err
	}
	logger := cfg.Logger
	// The capture starts after the listener, so that its port is known
	// when --addr asks for port 0, and before Serve prints the "listening
	// on" line, so that every client told the address is recorded.
	var rec *recording
	if f.capture != "" {
		if rec, err = startRecording(ln, f.captureIface, f.capture, logger); err != nil {
			ln.Close()
			return err
		}
	}
	if f.quiet {
		logger.Info("listening", "addr", ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	var recFailed error
	select {
	case err := <-served:
		return errors.Join(fmt.Errorf("serving on %s: %w", ln.Addr(), err), rec.stop(logger))
	case <-ctx.Done():
	case <-rec.done():
		// The recording ended by itself (the disk is full, say): a server
		// asked to record does not go on unrecorded.
		if recFailed = rec.stop(logger); recFailed == nil {
			recFailed = fmt.Errorf("--capture %s: the capture ended while the server was serving", f.capture)
		}
		logger.Error("the capture failed; shutting down", "err", recFailed)
	}
	logger.Info("shutting down: refusing new connections, finishing exchanges in flight", "timeout", f.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("exchanges still in flight after the shutdown timeout; closing them", "timeout", f.shutdownTimeout.String())
		srv.Close()
	}
	<-served
	st := srv.Stats()
	logger.Info("stopped", "accepted", st.Accepted, "answered", st.Answered, "out_of_range", st.OutOfRange, "failed", st.Failed)
	if recFailed != nil {
		return recFailed
	}
	rec.linger(st.Accepted, logger)
	return rec.stop(logger)
}

// checkCapture checks the capture flags before anything is opened.
func (f *serverFlags) checkCapture() error {
	switch {
	case f.capture == "" && f.captureIface != "":
		return usageError{fmt.Errorf("--capture-iface %s: only with --capture FILE", f.captureIface)}
	case f.capture == "-":
		return usageError{errors.New("--capture -: the lab's lines go to standard output; name a file")}
	case f.capture == "" || f.captureIface != "":
		return nil
	}
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return nil // config reports it
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		return usageError{errEveryInterface(f.addr)}
	}
	return nil
}

// errEveryInterface says why a server listening on every interface needs
// --capture-iface, and which interfaces there are.
func errEveryInterface(addr string) error {
	var names []string
	if ifs, err := net.Interfaces(); err == nil {
		for _, ifc := range ifs {
			names = append(names, ifc.Name)
		}
	}
	return fmt.Errorf("--capture with --addr %s: the server listens on every interface but tcplab captures on one: "+
		"name it with --capture-iface (lo for clients on this machine; this host has: %s)", addr, strings.Join(names, ", "))
}

// recording is the capture of a server's port into a pcapng file.
type recording struct {
	rec     *capture.Recording
	file    string
	iface   string
	stopped bool  // stop has run
	err     error // stop's result
}

// startRecording starts capturing the TCP packets of ln's port on iface
// (or, when iface is "", the interface capture.ListenInterface picks for ln's
// address) into a new pcapng file. Without CAP_NET_RAW it returns an
// error that names the capability and the remedy; the file is then not
// created.
func startRecording(ln net.Listener, iface, file string, logger *slog.Logger) (*recording, error) {
	la, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("--capture: listener address %v is not TCP", ln.Addr())
	}
	if iface == "" {
		ip, _ := netip.AddrFromSlice(la.IP)
		ip = ip.Unmap().WithZone(la.Zone)
		var err error
		if iface, err = capture.ListenInterface(ip); err != nil {
			if errors.Is(err, capture.ErrUnspecified) {
				return nil, usageError{errEveryInterface(la.String())}
			}
			return nil, fmt.Errorf("--capture: %w (name one with --capture-iface)", err)
		}
	}
	filter := fmt.Sprintf("tcp port %d", la.Port)
	// The capture has its own context: a signal ends the server first,
	// and the capture only once the server's last connection is closed.
	rec, err := capture.Record(context.Background(), capture.Config{Interface: iface, Filter: filter}, file)
	if err != nil {
		var pe *capture.PermissionError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("--capture %s: %w (the server does not start unrecorded when asked to record; leave out --capture to serve without recording)", file, err)
		}
		return nil, fmt.Errorf("--capture %s: %w", file, err)
	}
	logger.Info(fmt.Sprintf("capturing %s on %s to %s", filter, iface, file))
	if ifc, err := net.InterfaceByName(iface); err == nil {
		if level, msg := interfaceNote(la, iface, ifc.Flags&net.FlagLoopback != 0); msg != "" {
			logger.Log(context.Background(), level, msg)
		}
	}
	return &recording{rec: rec, file: file, iface: iface}, nil
}

// interfaceNote says what a capture on iface (a loopback interface or
// not) misses of a server listening on la, if anything.
func interfaceNote(la *net.TCPAddr, iface string, loopback bool) (slog.Level, string) {
	switch {
	case loopback:
		return 0, ""
	case la.IP.IsLoopback():
		return slog.LevelWarn, fmt.Sprintf("the server listens on %s, whose traffic never passes %s: the capture will stay empty (leave out --capture-iface to record on lo)", la, iface)
	}
	// Linux routes traffic to any of its own addresses through lo.
	return slog.LevelInfo, fmt.Sprintf("clients on this machine reach the server over lo, not %s: their conversations are not recorded (--capture-iface lo records them)", iface)
}

// done is closed when the recording ends by itself; it is nil (never
// ready) when there is no recording.
func (r *recording) done() <-chan struct{} {
	if r == nil {
		return nil
	}
	return r.rec.Done()
}

// linger waits, at most captureLinger, until the capture has shown the
// teardown of the accepted connections the server served (and of any
// other it saw open), so that it holds each conversation to its last
// packet. It does nothing when there is no recording.
func (r *recording) linger(accepted uint64, logger *slog.Logger) {
	if r == nil {
		return
	}
	if n := r.rec.Teardowns.Wait(int(min(accepted, capture.MaxTracked)), 0, captureLinger); n > 0 {
		logger.Info(fmt.Sprintf("%d connections still closing %v after the shutdown: the capture ends without their last packets", n, captureLinger))
	}
}

// stop ends the recording: the packets the kernel captured are written,
// then the counts, and the file is closed. It logs the counts and warns
// about the kernel's drops. It does nothing when there is no recording;
// called again, it returns the first call's result.
func (r *recording) stop(logger *slog.Logger) error {
	if r == nil {
		return nil
	}
	if r.stopped {
		return r.err
	}
	r.stopped = true
	st, err := r.rec.Stop()
	counts := []any{"iface", r.iface, "captured", st.Captured, "received", st.Received, "dropped", st.Dropped}
	if err != nil {
		r.err = fmt.Errorf("--capture %s: %w", r.file, err)
		logger.Warn("the capture into "+r.file+" ended with an error", counts...)
	} else {
		logger.Info("wrote "+r.file+" (open it with Wireshark, or: tcplab analyze "+r.file+")", counts...)
	}
	if st.Dropped > 0 {
		logger.Warn("the kernel dropped packets because the capture ring was full: they are missing from the file", "dropped", st.Dropped)
	}
	return r.err
}

// captureLinger bounds how long, after the server's shutdown, the capture
// waits for the peers to finish closing: the server's last FIN is acked
// by the peer, whose own FIN the server's kernel acks, after the server
// has returned.
const captureLinger = time.Second

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
		return plainlog.New(w), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: want text or json", format)}
}
