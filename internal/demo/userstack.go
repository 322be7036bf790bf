package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/userstack"
)

// runUserStack runs the lab's exchanges, or the bulk transfer, on the
// user-space TCP/IP stack of package userstack: the two hosts of the
// impaired network (netlab's addresses) inside this process, joined by
// tcplab's link with cfg.Impair (none when nil), captured at the hosts
// cfg.CaptureAt and, with cfg.CapturePeer, the other one. The outcome has
// the same form as an impaired network's, so that the analysis and the
// presentation run unchanged; Outcome.UserStack says whose TCP it was.
func runUserStack(ctx context.Context, cfg Config) (*Outcome, error) {
	at := cfg.CaptureAt
	if at == 0 {
		at = netlab.Server
	}
	if at != netlab.Server && at != netlab.Client {
		return nil, fmt.Errorf("demo: capture at %v: want the client or the server host", at)
	}
	var spec impair.Spec
	if cfg.Impair != nil {
		spec = *cfg.Impair
	}
	files := map[netlab.Host]string{}
	if cfg.Capture != "" {
		files[at] = cfg.Capture
		if cfg.CapturePeer {
			files[otherHost(at)] = PeerFile(cfg.Capture, otherHost(at))
		}
	}
	progress(cfg, "demo.progress.userstack", "spec", specText(cfg.Lang, spec))
	n, err := userstack.New(userstack.Config{Impair: spec, ClientCapture: files[netlab.Client], ServerCapture: files[netlab.Server]})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer n.Close()
	out := &Outcome{UserStack: true, Network: &Network{Spec: n.Spec(), CaptureAt: at}}
	port := cmp.Or(cfg.LabPort, DefaultLabPort)
	want := len(cfg.Numbers)
	if cfg.Transfer > 0 {
		port, want = DefaultBulkPort, 1
		err = userBulk(ctx, cfg, n, port, out)
	} else {
		err = userExchanges(ctx, cfg, n, port, out)
	}
	// Losses and delays stretch the teardown: allow for a
	// retransmission timeout or two.
	complete := n.WaitClosed(want, cfg.Settle+2*maxDelay(&spec)+3*time.Second)
	out.Network.Stats = n.Stats()
	captured := map[netlab.Host]uint64{netlab.Client: n.CaptureStats(netlab.Client), netlab.Server: n.CaptureStats(netlab.Server)}
	if cerr := n.Close(); cerr != nil { // writes the captures out
		err = errors.Join(err, fmt.Errorf("demo: %w", cerr))
	}
	out.Network.Fates, out.Network.Unlogged = n.Fates()
	for h, file := range files {
		c := &Capture{File: file, Host: h, Interface: userstack.InterfaceName(h), Stats: capture.Stats{Captured: captured[h], Received: captured[h]}, Complete: complete}
		if h == at {
			out.Capture = c
		} else {
			out.PeerCapture = c
		}
	}
	if err != nil && !errors.Is(err, ErrExchange) {
		return nil, err
	}
	return out, err
}

// userExchanges serves the lab on port of the server host and runs the
// exchanges from the client host, guarded by the stack's watchdog.
func userExchanges(ctx context.Context, cfg Config, n *userstack.Network, port int, out *Outcome) error {
	ln, err := n.Listen(port)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	gctx, cancel := n.Guard(ctx)
	defer cancel()
	cfg.dial = n.Dial
	err = serveAndExchange(gctx, cfg, ln, out, func(fn func() error) error { return fn() })
	if stall := n.Err(); stall != nil {
		err = errors.Join(err, fmt.Errorf("demo: %w", stall))
	}
	return err
}

// userBulk runs the bulk transfer to port of the server host.
func userBulk(ctx context.Context, cfg Config, n *userstack.Network, port int, out *Outcome) error {
	progress(cfg, "demo.progress.transfer", "bytes", cfg.Transfer, "client", netlab.ClientAddr, "server", netlab.ServerAddr, "port", port)
	res, err := n.BulkTransfer(ctx, cfg.Transfer, port, cfg.TransferTimeout)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	out.Bulk = &res
	out.Server = netip.AddrPortFrom(netlab.ServerAddr, uint16(port))
	return nil
}

// specText is spec as the demo shows it, in lang: "none" when it impairs
// nothing.
func specText(lang i18n.Lang, spec impair.Spec) string {
	if spec.C2S.IsZero() && spec.S2C.IsZero() {
		return i18n.Msg(cmp.Or(lang, i18n.English), "demo.impairment.none")
	}
	return spec.String()
}

// stackMsg returns message id, or its ".user" variant for a run on the
// user-space stack: the words that name the kernel (TCP_INFO, its drops)
// name the stack instead.
func stackMsg(o *Outcome, id string) string {
	if o.UserStack && i18n.Has(id+".user") {
		return id + ".user"
	}
	return id
}

// writeUserStackHeader writes the first lines of a run on the user-space
// stack: where it ran, whose TCP it was, the impairment, the captures.
func writeUserStackHeader(p *printer, o *Outcome) {
	p.line("demo.header.impaired.user", "client", netlab.ClientAddr, "server", netlab.ServerAddr)
	p.para(2, "demo.userstack.whose")
	p.line("demo.impairment", "spec", specText(p.lang, o.Network.Spec))
	if c := o.Capture; c != nil {
		p.line("demo.capture.at.user", "file", c.File, "iface", c.Interface, "host", p.msg("short."+c.Host.String()))
		if pc := o.PeerCapture; pc != nil {
			p.hang("demo.capture.peer.user", "file", pc.File, "iface", pc.Interface, "host", p.msg("short."+pc.Host.String()))
		}
	}
}
