package trace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/check"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/render"
)

// Limits of the evidence kept per check: a load check makes hundreds of
// conversations.
const (
	maxLines   = 200
	maxLadders = 3
	maxPackets = 5000
	maxFile    = 4 << 20
	bufferSize = 4 << 20
	// settle lets the last packets of a check (the final ACK of a close)
	// reach the ring before it stops.
	settle = 30 * time.Millisecond
)

// Recorder records one check at a time on lo. It implements
// check.Recorder.
type Recorder struct {
	// Lang is the language of the ladders' heads.
	Lang i18n.Lang
}

// Probe reports whether packets can be captured here: nil, or the
// capture's error (a *capture.PermissionError without CAP_NET_RAW).
func Probe() error {
	c, err := capture.Open(capture.Config{Filter: "tcp port 9", BufferSize: capture.MinBufferSize})
	if err != nil {
		return err
	}
	return c.Close()
}

// IsPermission reports whether err is the missing capability.
func IsPermission(err error) bool {
	var pe *capture.PermissionError
	return errors.As(err, &pe)
}

// Begin starts recording port's TCP packets on lo.
func (r *Recorder) Begin(port int) (func() *check.Packets, error) {
	var buf bytes.Buffer
	cfg := capture.Config{Filter: fmt.Sprintf("tcp port %d", port), BufferSize: bufferSize}
	sess, err := capture.Start(context.Background(), cfg, &buf, nil)
	if err != nil {
		return nil, err
	}
	return func() *check.Packets {
		time.Sleep(settle)
		if _, err := sess.Stop(); err != nil {
			return &check.Packets{Note: err.Error()}
		}
		return r.evidence(buf.Bytes())
	}, nil
}

// evidence turns a check's pcapng into its packet list and ladders.
func (r *Recorder) evidence(file []byte) *check.Packets {
	p := &check.Packets{List: []string{}}
	if len(file) <= maxFile {
		p.PCAPNG = file
	}
	convs, err := explain.ReadCapture(bytes.NewReader(file), nil, maxPackets)
	if err != nil {
		p.Note = err.Error()
	}
	var lines []packetLine
	for i := range convs {
		c := &convs[i]
		for j := range c.Packets {
			lines = append(lines, packetLine{c, &c.Packets[j]})
		}
	}
	sortLines(lines)
	for i, l := range lines {
		if i == maxLines {
			p.List = append(p.List, fmt.Sprintf("… %d more", len(lines)-maxLines))
			break
		}
		p.List = append(p.List, l.String())
	}
	var lad strings.Builder
	for i := range convs[:min(len(convs), maxLadders)] {
		if err := render.Ladder(&lad, &convs[i], render.LadderOptions{Width: 100, Lang: r.Lang}); err != nil {
			p.Note = err.Error()
		}
	}
	if len(convs) > maxLadders {
		fmt.Fprintf(&lad, "… %d more conversations\n", len(convs)-maxLadders)
	}
	p.Ladder = lad.String()
	return p
}

// packetLine is one segment of a conversation.
type packetLine struct {
	c *conversation.Conversation
	s *conversation.Segment
}

func sortLines(l []packetLine) {
	slices.SortStableFunc(l, func(a, b packetLine) int { return a.s.Frame - b.s.Frame })
}

// String is the line as tshark lists it: number, time, addresses, TCP,
// the Info column.
func (l packetLine) String() string {
	from, to := l.c.Client, l.c.Server
	if l.s.From == conversation.Server {
		from, to = to, from
	}
	return fmt.Sprintf("%5d %.6f %s → %s TCP %s", l.s.Frame, l.s.Time.Seconds(), addr(from), addr(to), l.s.Info)
}

func addr(a netip.AddrPort) string { return a.Addr().String() }
