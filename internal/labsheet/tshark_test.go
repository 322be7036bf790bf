package labsheet_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labsheet"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// tsFields are the fields read from tshark for each packet of a stream.
var tsFields = []string{
	"frame.number", "frame.time_relative", "ip.src", "ipv6.src", "tcp.srcport", "tcp.seq", "tcp.seq_raw",
	"tcp.ack", "tcp.ack_raw", "tcp.len", "tcp.window_size", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.reset",
	"tcp.analysis.acks_frame", "tcp.analysis.ack_rtt", "tcp.analysis.retransmission",
	"tcp.analysis.window_full", "tcp.analysis.zero_window",
}

// tsPacket is one packet as tshark shows it.
type tsPacket map[string]string

func (p tsPacket) int(t *testing.T, field string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(p[field], 10, 64)
	if err != nil {
		t.Fatalf("frame %s: tshark's %s = %q: %v", p["frame.number"], field, p[field], err)
	}
	return v
}

func (p tsPacket) src() string { return p["ip.src"] + p["ipv6.src"] + ":" + p["tcp.srcport"] }

// ns reads a decimal number of seconds ("0.022235000") as nanoseconds,
// exactly.
func ns(t *testing.T, s string) time.Duration {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000000")[:9]
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("tshark time %q", s)
	}
	return time.Duration(w)*time.Second + time.Duration(f)
}

// tsharkStream returns the packets of stream as tshark 4.0 shows them, in
// file order, and by frame number.
func tsharkStream(t *testing.T, file string, stream int) ([]tsPacket, map[int]tsPacket) {
	t.Helper()
	args := []string{"--disable-protocol", "skinny", "-Y", fmt.Sprintf("tcp.stream == %d", stream), "-T", "fields", "-E", "occurrence=f"}
	for _, f := range tsFields {
		args = append(args, "-e", f)
	}
	var list []tsPacket
	byFrame := map[int]tsPacket{}
	for _, row := range pcaptest.Tshark(t, file, args...) {
		p := tsPacket{}
		for i, f := range tsFields {
			if i < len(row) {
				p[f] = row[i]
			}
		}
		list = append(list, p)
		n, _ := strconv.Atoi(p["frame.number"])
		byFrame[n] = p
	}
	return list, byFrame
}

// TestAgainstTshark checks every number of the sheets of real and
// simulated captures against tshark 4.0's fields: frame times, addresses
// and ports, sequence and acknowledgement numbers (relative and raw),
// lengths, the ACK that covers each segment, tcp.analysis.ack_rtt, the
// windows, the retransmission, window-full and zero-window flags; and
// recomputes SampleRTT and EstimatedRTT from tshark's times.
func TestAgainstTshark(t *testing.T) {
	pcaptest.NeedTools(t, "tshark")
	files := append(append([]string{}, captures...), simulatedCaptures(t, t.TempDir())...)
	regress, _ := filepath.Glob("../difftest/testdata/regress/*.pcap")
	files = append(files, regress...)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s := readSheet(t, file, -1)
			list, byFrame := tsharkStream(t, file, s.Stream)
			if len(list) != s.Packets {
				t.Fatalf("tshark shows %d packets in stream %d, the sheet %d", len(list), s.Stream, s.Packets)
			}
			checkHandshake(t, s, list)
			checkSamples(t, s, list, byFrame)
			checkWindowAndRetrans(t, s, list)
		})
	}
}

// sender returns the "addr:port" of the data's sender and receiver.
func ends(s *labsheet.Sheet) (sender, receiver string) {
	c := s.Client.Addr + ":" + strconv.Itoa(int(s.Client.Port))
	v := s.Server.Addr + ":" + strconv.Itoa(int(s.Server.Port))
	if s.DataFrom == "server" {
		return v, c
	}
	return c, v
}

func checkHandshake(t *testing.T, s *labsheet.Sheet, list []tsPacket) {
	t.Helper()
	client := s.Client.Addr + ":" + strconv.Itoa(int(s.Client.Port))
	server := s.Server.Addr + ":" + strconv.Itoa(int(s.Server.Port))
	var syn, synack, first tsPacket
	sender, _ := ends(s)
	for _, p := range list {
		switch {
		case syn == nil && p["tcp.flags.syn"] == "1" && p["tcp.flags.ack"] == "0" && p.src() == client:
			syn = p
		case synack == nil && p["tcp.flags.syn"] == "1" && p["tcp.flags.ack"] == "1" && p.src() == server:
			synack = p
		}
		if first == nil && p["tcp.len"] != "0" && p["tcp.len"] != "" && p.src() == sender {
			first = p
		}
	}
	if (syn == nil) != (s.SYN == nil) || (synack == nil) != (s.SYNACK == nil) || (first == nil) != (s.FirstData == nil) {
		t.Fatalf("SYN, SYN/ACK, first data: tshark %v %v %v, the sheet %+v %+v %+v", syn != nil, synack != nil, first != nil, s.SYN, s.SYNACK, s.FirstData)
	}
	if syn != nil {
		got := []int64{int64(s.SYN.Frame), int64(s.SYN.Seq), int64(s.SYN.SeqRaw), int64(s.SYN.Time)}
		want := []int64{syn.int(t, "frame.number"), syn.int(t, "tcp.seq"), syn.int(t, "tcp.seq_raw"), int64(ns(t, syn["frame.time_relative"]))}
		if !slices.Equal(got, want) {
			t.Errorf("SYN frame, seq, raw, time %v; tshark %v", got, want)
		}
	}
	if synack != nil {
		got := []int64{int64(s.SYNACK.Frame), int64(s.SYNACK.Seq), int64(s.SYNACK.SeqRaw), int64(*s.SYNACK.Ack), int64(*s.SYNACK.AckRaw), int64(s.SYNACK.Time)}
		want := []int64{synack.int(t, "frame.number"), synack.int(t, "tcp.seq"), synack.int(t, "tcp.seq_raw"), synack.int(t, "tcp.ack"), synack.int(t, "tcp.ack_raw"), int64(ns(t, synack["frame.time_relative"]))}
		if !slices.Equal(got, want) {
			t.Errorf("SYN/ACK frame, seq, raw, ack, ack raw, time %v; tshark %v", got, want)
		}
	}
	if first != nil {
		got := []int64{int64(s.FirstData.Frame), int64(s.FirstData.Seq), int64(s.FirstData.SeqRaw), int64(s.FirstData.Len), int64(s.FirstData.Time)}
		want := []int64{first.int(t, "frame.number"), first.int(t, "tcp.seq"), first.int(t, "tcp.seq_raw"), first.int(t, "tcp.len"), int64(ns(t, first["frame.time_relative"]))}
		if !slices.Equal(got, want) {
			t.Errorf("first data frame, seq, raw, len, time %v; tshark %v", got, want)
		}
	}
}

func checkSamples(t *testing.T, s *labsheet.Sheet, list []tsPacket, byFrame map[int]tsPacket) {
	t.Helper()
	_, receiver := ends(s)
	var est time.Duration
	have := false
	for _, r := range s.Segments {
		seg := byFrame[r.Frame]
		if seg == nil {
			t.Fatalf("segment frame %d: not in tshark's stream", r.Frame)
		}
		if got, want := []int64{int64(r.Seq), int64(r.Len), int64(r.Time)}, []int64{seg.int(t, "tcp.seq"), seg.int(t, "tcp.len"), int64(ns(t, seg["frame.time_relative"]))}; !slices.Equal(got, want) {
			t.Errorf("frame %d: seq, len, time %v; tshark %v", r.Frame, got, want)
		}
		if r.AckTime == nil {
			continue
		}
		// The ACK is the first packet of the receiver after the segment
		// whose tcp.ack covers its end (relative numbers, no wrap in
		// these captures).
		end := seg.int(t, "tcp.seq") + seg.int(t, "tcp.len")
		wantAck := 0
		after := false
		for _, p := range list {
			if p["frame.number"] == seg["frame.number"] {
				after = true
				continue
			}
			if after && p.src() == receiver && p["tcp.flags.ack"] == "1" && p.int(t, "tcp.ack") >= end {
				wantAck = int(p.int(t, "frame.number"))
				break
			}
		}
		if r.AckFrame != wantAck {
			t.Errorf("frame %d: ACK in frame %d; tshark's first ACK covering byte %d is frame %d", r.Frame, r.AckFrame, end, wantAck)
			continue
		}
		ack := byFrame[wantAck]
		sample := ns(t, ack["frame.time_relative"]) - ns(t, seg["frame.time_relative"])
		if time.Duration(*r.AckTime) != ns(t, ack["frame.time_relative"]) {
			t.Errorf("frame %d: ACK time %v; tshark %s", r.Frame, time.Duration(*r.AckTime), ack["frame.time_relative"])
		}
		if !r.Karn {
			if r.Sample == nil || time.Duration(*r.Sample) != sample {
				t.Errorf("frame %d: SampleRTT %v; tshark's times give %v", r.Frame, r.Sample, sample)
			}
			if have {
				est = time.Duration((1-labsheet.Alpha)*float64(est) + labsheet.Alpha*float64(sample))
			} else {
				est, have = sample, true
			}
		}
		if have && (r.Estimated == nil || time.Duration(*r.Estimated) != est) {
			t.Errorf("frame %d: EstimatedRTT %v, want %v", r.Frame, r.Estimated, est)
		}
		wsPaired := ack["tcp.analysis.acks_frame"] == seg["frame.number"] && ack["tcp.analysis.ack_rtt"] != ""
		switch {
		case wsPaired != (r.WiresharkRTT != nil):
			t.Errorf("frame %d: Wireshark RTT %v; tshark pairs ACK %d with frame %q", r.Frame, r.WiresharkRTT, wantAck, ack["tcp.analysis.acks_frame"])
		case wsPaired && time.Duration(*r.WiresharkRTT) != ns(t, ack["tcp.analysis.ack_rtt"]):
			t.Errorf("frame %d: Wireshark RTT %v; tshark's ack_rtt %s", r.Frame, time.Duration(*r.WiresharkRTT), ack["tcp.analysis.ack_rtt"])
		case wsPaired && !r.Karn && time.Duration(*r.WiresharkRTT) != sample:
			t.Errorf("frame %d: tshark's ack_rtt %s is not SampleRTT %v", r.Frame, ack["tcp.analysis.ack_rtt"], sample)
		}
	}
}

func checkWindowAndRetrans(t *testing.T, s *labsheet.Sheet, list []tsPacket) {
	t.Helper()
	sender, receiver := ends(s)
	minWin, minFrame := int64(-1), 0
	var retrans, full, zero []int
	for _, p := range list {
		frame := int(p.int(t, "frame.number"))
		switch p.src() {
		case sender:
			if p["tcp.analysis.retransmission"] != "" {
				retrans = append(retrans, frame)
			}
			if p["tcp.analysis.window_full"] != "" {
				full = append(full, frame)
			}
		case receiver:
			if p["tcp.flags.syn"] == "1" || p["tcp.flags.reset"] == "1" || p["tcp.flags.ack"] != "1" || p["tcp.window_size"] == "" {
				continue
			}
			if w := p.int(t, "tcp.window_size"); minWin < 0 || w < minWin {
				minWin, minFrame = w, frame
			}
			if p["tcp.analysis.zero_window"] != "" {
				zero = append(zero, frame)
			}
		}
	}
	if s.Window == nil {
		if minWin >= 0 {
			t.Errorf("no window in the sheet; tshark's smallest is %d", minWin)
		}
	} else if int64(s.Window.Min) != minWin || s.Window.MinFrame != minFrame {
		t.Errorf("smallest window %d (frame %d); tshark %d (frame %d)", s.Window.Min, s.Window.MinFrame, minWin, minFrame)
	} else {
		if !slices.Equal(s.Window.FullFrames, first(full)) || !slices.Equal(s.Window.ZeroFrames, first(zero)) {
			t.Errorf("window full %v, zero window %v; tshark %v, %v", s.Window.FullFrames, s.Window.ZeroFrames, full, zero)
		}
		if (len(full)+len(zero) > 0) && !s.Window.Throttled {
			t.Error("tshark flags a full or zero window; the sheet says it never throttled")
		}
	}
	if s.Retrans.Flagged != len(retrans) || !slices.Equal(s.Retrans.Frames, first(retrans)) {
		t.Errorf("retransmissions %d %v; tshark %d %v", s.Retrans.Flagged, s.Retrans.Frames, len(retrans), retrans)
	}
}

// first returns the frames a sheet lists: the first 100, nil for none.
func first(fs []int) []int {
	if len(fs) == 0 {
		return nil
	}
	return fs[:min(len(fs), 100)]
}
