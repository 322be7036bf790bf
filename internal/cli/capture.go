package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/capfilter"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/packets"
)

const captureDescription = `
Capture packets live on a network interface (default lo) with an AF_PACKET
socket: no libpcap, no Wireshark. The FILTER is a capture filter in
tcpdump's syntax, run in the kernel; tcplab understands the subset

  tcp, udp, ip, ip6, icmp, icmp6, arp, sctp,
  [src|dst] host ADDR, [src|dst] net CIDR,
  [tcp|udp] [src|dst] port N, [tcp|udp] portrange A-B,

combined with and (&&), or (||), not (!) and parentheses, with tcpdump's
precedence ("not" first; "and" and "or" equal, left to right). Anything
else is an error naming its position, never "capture everything".

While capturing, the TCP packets are listed as they arrive, with the same
lines as 'tcplab analyze' prints for the saved file (-q: none), and the
conversation table at the end. -w writes a pcapng file that Wireshark and
tshark read ("-w -" writes it to stdout instead of the list). The capture
stops on Ctrl-C, after -c packets or after --duration; then every packet
the kernel had captured is written, the file is flushed and closed, and
the counts (with the kernel's drops) are printed to stderr and stored in
the file.

On lo, Linux hands a packet socket every packet twice (as sent and as
received); like tcpdump and Wireshark, tcplab keeps one copy.

Capturing needs the CAP_NET_RAW capability: run as root, or grant it to
the binary once with 'sudo setcap cap_net_raw+ep ./tcplab'.

Example: tcplab capture -w lab.pcapng tcp port 2000`

func runCapture(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "capture", "[FILTER...]", captureDescription)
	var cfg capture.Config
	var write string
	var quiet, noConv bool
	fs.StringVar(&cfg.Interface, "i", capture.DefaultInterface, "capture on `interface`")
	fs.StringVar(&cfg.Interface, "interface", capture.DefaultInterface, "same as -i")
	fs.StringVar(&write, "w", "", "write the packets to `file` (pcapng; - for stdout, which implies -q)")
	fs.StringVar(&write, "write", "", "same as -w")
	fs.IntVar(&cfg.Count, "c", 0, "stop after `N` packets (0: no limit)")
	fs.IntVar(&cfg.Count, "count", 0, "same as -c")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop after this long, for example 10s (0: no limit)")
	fs.IntVar(&cfg.SnapLen, "s", capture.DefaultSnapLen, "keep at most `snaplen` bytes of each packet")
	fs.IntVar(&cfg.SnapLen, "snaplen", capture.DefaultSnapLen, "same as -s")
	bufMiB := fs.Int("buffer", capture.DefaultBufferSize>>20, "kernel ring size in `MiB`")
	fs.BoolVar(&quiet, "q", false, "do not list the packets")
	fs.BoolVar(&quiet, "quiet", false, "same as -q")
	fs.BoolVar(&noConv, "no-conv", false, "leave out the conversation table at the end")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if cfg.Count < 0 {
		return usageError{fmt.Errorf("capture: -c %d: want 0 or more packets", cfg.Count)}
	}
	if cfg.Duration < 0 {
		return usageError{fmt.Errorf("capture: --duration %v: want 0 or more", cfg.Duration)}
	}
	if cfg.SnapLen <= 0 || cfg.SnapLen > capture.MaxSnapLen {
		return usageError{fmt.Errorf("capture: -s %d: want 1 to %d bytes", cfg.SnapLen, capture.MaxSnapLen)}
	}
	if *bufMiB < capture.MinBufferSize>>20 || *bufMiB > 1024 {
		return usageError{fmt.Errorf("capture: --buffer %d: want %d to 1024 MiB", *bufMiB, capture.MinBufferSize>>20)}
	}
	cfg.BufferSize = *bufMiB << 20
	// As tcpdump: the filter may be split over several arguments.
	cfg.Filter = strings.Join(rest, " ")
	if _, err := capfilter.Parse(cfg.Filter); err != nil {
		fmt.Fprint(env.Stderr, filterCaret(cfg.Filter, err))
		return usageError{fmt.Errorf("capture: %w", err)}
	}

	var out io.Writer
	if write == "-" {
		// The file goes to stdout (to pipe into tshark -r - or
		// wireshark -k -i -), so the packet list does not.
		out, quiet = env.Stdout, true
	}
	var ll *liveLister
	var add func(*capture.Packet) error
	if !quiet {
		ll = newLiveLister(env.Stdout)
		add = ll.add
	}
	// A reader of the list that goes away ("tcplab capture | head") ends
	// the capture like Ctrl-C: with SIGPIPE ignored, the write fails with
	// EPIPE instead of killing tcplab before the file is complete.
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Reset(syscall.SIGPIPE)
	var s *capture.Session
	if write == "" || write == "-" {
		s, err = capture.Start(ctx, cfg, out, add)
	} else {
		s, err = capture.StartFile(ctx, cfg, write, add)
	}
	if err != nil {
		return err // a *capture.PermissionError names CAP_NET_RAW and the remedy
	}
	fmt.Fprintf(env.Stderr, "tcplab: capturing on %s%s, snapshot length %d bytes; Ctrl-C to stop\n",
		s.Info().Interface, describeFilter(cfg.Filter), cfg.SnapLen)
	// Whatever ends the capture, what was captured is written and the
	// file closed before Wait returns and anything else is reported.
	st, err := s.Wait()
	if ll != nil {
		err = errors.Join(err, ll.finish(!noConv))
	}
	fmt.Fprint(env.Stderr, summarizeCapture(st, s.Info().Interface, write, ll))
	if oerr := giveToInvoker(os.Getenv, write); oerr != nil {
		err = errors.Join(err, fmt.Errorf("capture: %w", oerr))
	}
	return withoutEPIPE(err)
}

// withoutEPIPE returns err less the errors of writing to a reader that
// went away, which end a capture as Ctrl-C does.
func withoutEPIPE(err error) error {
	if errors.Is(err, syscall.EPIPE) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			var rest []error
			for _, e := range j.Unwrap() {
				rest = append(rest, withoutEPIPE(e))
			}
			return errors.Join(rest...)
		}
		return nil
	}
	return err
}

func describeFilter(f string) string {
	if strings.TrimSpace(f) == "" {
		return " (no filter: every packet)"
	}
	return fmt.Sprintf(" with filter %q", f)
}

// filterCaret returns the filter with a caret under the position a
// *capfilter.SyntaxError names, or "" for other errors.
func filterCaret(filter string, err error) string {
	var se *capfilter.SyntaxError
	if !errors.As(err, &se) || strings.ContainsAny(filter, "\n\t") {
		return ""
	}
	return fmt.Sprintf("  %s\n  %s^\n", filter, strings.Repeat(" ", se.Offset))
}

// summarizeCapture says what was captured, as tcpdump does at the end.
func summarizeCapture(st capture.Stats, iface, file string, ll *liveLister) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tcplab: %d packets captured on %s in %s (%d received by filter, %d dropped by kernel)\n",
		st.Captured, iface, time.Duration(st.End-st.Start).Round(time.Millisecond), st.Received, st.Dropped)
	if ll != nil && ll.other > 0 {
		fmt.Fprintf(&b, "tcplab: %d of them not TCP, so not listed\n", ll.other)
	}
	if st.Dropped > 0 {
		fmt.Fprintf(&b, "tcplab: the kernel dropped %d packets because the ring was full: give a larger --buffer, or -q\n", st.Dropped)
	}
	if file != "" && file != "-" {
		fmt.Fprintf(&b, "tcplab: wrote %s (open it with Wireshark, or: tcplab analyze %s)\n", file, file)
	}
	return b.String()
}

// liveLister prints the packet list as packets arrive: for each TCP
// segment the line 'tcplab analyze' prints for it in the saved file (the
// same frame numbers, times relative to the first packet, nanosecond
// resolution as in the file tcplab writes; the same source of analysed
// packets), and at the end the conversation table.
type liveLister struct {
	w     *bufio.Writer
	src   *packets.Source
	buf   []byte
	other uint64 // packets that are not analysable TCP segments
}

func newLiveLister(w io.Writer) *liveLister {
	return &liveLister{w: bufio.NewWriterSize(w, 64<<10), src: packets.NewSource(packets.Options{}), buf: make([]byte, 0, 512)}
}

// add lists p if it is a TCP segment. It flushes when no other packet is
// waiting, so the list keeps up with the traffic.
func (l *liveLister) add(p *capture.Packet) error {
	f := packets.Frame{Link: p.Link, Time: p.Timestamp, Resolution: 9, Data: p.Data, WireLen: p.Length}
	if pk := l.src.Add(&f); pk == nil {
		l.other++
	} else {
		lp := listing.Packet{Number: pk.Number, RelTime: pk.RelTime, Resolution: pk.Resolution, WireLen: pk.WireLen, Decoded: &pk.Decoded, Result: &pk.Result}
		l.buf = listing.AppendLine(l.buf[:0], &lp)
		if _, err := l.w.Write(l.buf); err != nil {
			return fmt.Errorf("capture: writing the packet list: %w", err)
		}
	}
	if !p.Pending {
		if err := l.w.Flush(); err != nil {
			return fmt.Errorf("capture: writing the packet list: %w", err)
		}
	}
	return nil
}

// finish writes the conversation table (when conv is true) and flushes.
func (l *liveLister) finish(conv bool) error {
	l.src.Finish()
	if streams := l.src.Streams(); conv && len(streams) > 0 {
		first, _ := l.src.Start()
		l.buf = listing.AppendConversations(l.buf[:0], streams, first, nil)
		l.w.Write(l.buf)
	}
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("capture: writing the packet list: %w", err)
	}
	return nil
}
