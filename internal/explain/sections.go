package explain

import (
	"fmt"
	"slices"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/rtt"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// window explains each side's window.
func (e *explainer) window() {
	c := e.c
	var added bool
	for _, side := range []conversation.Side{conversation.Client, conversation.Server} {
		var first *conversation.Segment
		minW, maxW := -1, -1
		zeros, zeroFrame := 0, 0
		for i := range c.Packets {
			s := &c.Packets[i]
			if s.From != side || s.Has(decode.FlagSYN) || s.Has(decode.FlagRST) {
				continue
			}
			if first == nil {
				first = s
			}
			if minW < 0 || s.Win < minW {
				minW = s.Win
			}
			maxW = max(maxW, s.Win)
			if s.Analysis&tcpanalysis.ZeroWindow != 0 {
				if zeros == 0 {
					zeroFrame = s.Frame
				}
				zeros++
			}
		}
		if first == nil {
			continue
		}
		if !added {
			e.add("window", Para{Text: e.msg("win.intro")})
			added = true
		}
		switch {
		case first.WinScale == conversation.ScaleUnknown:
			e.add("window", Para{Text: e.msg("win.unknown", "side", e.Side(side), "raw", first.WinRaw, "frame", first.Frame)})
		case first.WinScale > 1:
			e.add("window", Para{Text: e.msg("win.scaled", "side", e.Side(side), "raw", first.WinRaw, "mult", first.WinScale, "win", first.Win, "frame", first.Frame)})
		default:
			e.add("window", Para{Text: e.msg("win.plain", "side", e.Side(side), "win", first.Win, "frame", first.Frame)})
		}
		if minW != maxW && first.WinScale != conversation.ScaleUnknown {
			e.add("window", Para{Sub: true, Text: e.msg("win.range", "side", e.Side(side), "min", minW, "max", maxW)})
		}
		if zeros > 0 {
			e.add("window", Para{Sub: true, Text: e.msgN("win.zero", zeros, "side", e.Side(side), "n", zeros, "frame", zeroFrame)})
		}
	}
}

// checksums counts the checksum statuses.
func (e *explainer) checksums() {
	counts := map[string]int{}
	var bad []int
	for i := range e.c.Packets {
		s := &e.c.Packets[i]
		st := s.ChecksumStatus
		switch st {
		case "good", "partial", "unverified":
		case "bad":
			bad = append(bad, s.Frame)
		default:
			st = ""
		}
		counts[st]++
	}
	if len(e.c.Packets) == 0 {
		return
	}
	e.add("checksum", Para{Text: e.msg("ck.intro")})
	if n := counts["good"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.good", n, "n", n)})
	}
	if n := counts["partial"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.partial", n, "n", n)})
	}
	if n := counts["bad"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.bad", n, "n", n, "frames", frameList(bad, e.msg("frames.sep")))})
	}
	if n := counts["unverified"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.unverified", n, "n", n)})
	}
	if n := counts[""]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.unknown", n, "n", n)})
	}
}

// rttSection presents the RTT table: how it is computed, how its samples
// compare with the RTTs Wireshark shows, and the table itself.
func (e *explainer) rttSection() {
	rows := e.w.RTT
	if len(rows) == 0 {
		e.add("rtt", Para{Text: e.msg("rtt.none")})
		return
	}
	e.add("rtt", Para{Text: e.msg("rtt.intro")})
	e.add("rtt", Para{Text: e.msg("rtt.linux")})
	if slices.ContainsFunc(rows, func(r rtt.Row) bool { return r.Karn }) {
		e.add("rtt", Para{Text: e.msg("rtt.karn")})
	}
	e.rttWireshark(rows)
	switch {
	case e.c.SinglePoint && e.c.Client.Addr() == e.c.Server.Addr():
		e.add("rtt", Para{Text: e.msg("rtt.point")})
	case e.c.SinglePoint:
		e.add("rtt", Para{Text: e.msg("rtt.path")})
	}
	sec := e.section("rtt")
	sec.Table = e.rttTable(rows)
	e.add("rtt", Para{Sub: true, TableBefore: true, Text: e.msg("rtt.unit")})
}

// rttWireshark says how the table's samples compare with the RTT
// Wireshark shows, when the conversation has tshark's values (a capture
// read by Read).
func (e *explainer) rttWireshark(rows []rtt.Row) {
	byFrame := segmentsByFrame(e.c.Packets)
	paired := slices.ContainsFunc(e.c.Packets, func(s conversation.Segment) bool { return s.AckedFrame != 0 })
	var agree, karnRTT int
	var differ []int
	for i := range rows {
		r := &rows[i]
		s := byFrame[r.AckFrame]
		switch {
		case !paired || s == nil:
		case r.Karn:
			if s.AckedFrame != 0 {
				karnRTT++
			}
		case agrees(s, r):
			agree++
		case r.SampleFrame != 0:
			differ = append(differ, r.AckFrame)
		}
	}
	if agree > 0 && len(differ) == 0 {
		e.add("rtt", Para{Text: e.msg("rtt.ws.agree")})
	}
	if karnRTT > 0 {
		e.add("rtt", Para{Text: e.msg("rtt.ws.karn")})
	}
	if len(differ) > 0 {
		e.add("rtt", Para{Text: e.msg("rtt.ws.differ", "frames", frameList(differ, e.msg("frames.sep")))})
	}
}

// rttTable formats the RTT table's rows, in milliseconds.
func (e *explainer) rttTable(rows []rtt.Row) *Table {
	t := &Table{Header: []string{
		e.msg("rtt.col.ack"), e.msg("rtt.col.sender"), e.msg("rtt.col.segs"), e.msg("rtt.col.sample"),
		e.msg("rtt.col.est"), e.msg("rtt.col.dev"), e.msg("rtt.col.rto"), e.msg("rtt.col.linux"),
	}}
	for _, r := range rows {
		sample := e.msg("rtt.cell.karn")
		if !r.Karn {
			if r.SampleFrame != 0 {
				sample = FormatMS(r.Sample)
			} else {
				sample = "—"
			}
		}
		est, dev, rto, lin := "—", "—", "—", "—"
		if r.Valid {
			est, dev, rto, lin = FormatMS(r.Estimated), FormatMS(r.Dev), FormatMS(r.RTO), FormatMS(r.LinuxRTO)
		}
		who := e.msg("short.client")
		if r.Sender == int(conversation.Server) {
			who = e.msg("short.server")
		}
		t.Rows = append(t.Rows, []string{fmt.Sprint(r.AckFrame), who, frameList(r.Frames, ","), sample, est, dev, rto, lin})
		t.Karn = append(t.Karn, r.Karn)
	}
	return t
}
