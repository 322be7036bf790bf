package listing

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// TestAppendOptionsTimestampOnly checks AppendInfo's shortcut for the
// options Linux sends after the handshake (NOP, NOP, timestamp) against
// the general walk over the same option in that layout and another.
func TestAppendOptionsTimestampOnly(t *testing.T) {
	fast := []byte{1, 1, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 7}
	walked := []byte{8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 7, 1, 1}
	want := " TSval=4294967295 TSecr=7"
	if diff := cmp.Diff(want, string(appendOptions(nil, walked, 0))); diff != "" {
		t.Errorf("appendOptions, walked (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, string(appendOptions(nil, fast, 0))); diff != "" {
		t.Errorf("appendOptions, NOP NOP timestamp (-want +got):\n%s", diff)
	}
	e := endpoints{ep("127.0.0.1:40000"), ep("127.0.0.1:2000")}
	var d decode.Packet
	if err := decode.Decode(decode.LinkEthernet, e.frame(seg{seq: 5, ack: 9, flags: fA, win: 512, opts: fast}), &d); err != nil {
		t.Fatal(err)
	}
	var r tcpanalysis.Result
	if !tcpanalysis.New().Analyze(1, 0, 66, &d, &r) {
		t.Fatal("Analyze rejected the segment")
	}
	if got := string(AppendInfo(nil, &d, &r)); !strings.HasSuffix(got, want) {
		t.Errorf("AppendInfo, NOP NOP timestamp = %q, want it to end with %q", got, want)
	}
}

// TestAppendInfoAllocs checks that the Info column of a SYN with every
// common option, and of a segment with SACK blocks, allocates nothing.
func TestAppendInfoAllocs(t *testing.T) {
	e := endpoints{ep("127.0.0.1:40000"), ep("127.0.0.1:2000")}
	for _, s := range []seg{
		{seq: 5, flags: fS, win: 65495, opts: synOpts},
		{seq: 5, ack: 9, flags: fA, win: 512, opts: []byte{1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2}},
	} {
		f := e.frame(s)
		var d decode.Packet
		if err := decode.Decode(decode.LinkEthernet, f, &d); err != nil {
			t.Fatal(err)
		}
		pk, _ := formatFixture(t)
		buf := make([]byte, 0, 1024)
		if n := testing.AllocsPerRun(100, func() { buf = AppendInfo(buf[:0], &d, pk.Result) }); n != 0 {
			t.Errorf("AppendInfo(%q) allocates %.1f times, want 0", buf, n)
		}
	}
}

// TestAppendInfoLinuxSYN checks the shortcut for the options Linux sends
// on a SYN (MSS, SACK_PERM, timestamp, NOP, window scale) against the
// general walk over the same options, and that the analysis reads the
// window scale from them.
func TestAppendInfoLinuxSYN(t *testing.T) {
	for _, ws := range []byte{0, 7, 14, 15, 255} {
		opts := []byte{2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0x89, 0xdc, 0x9b, 0x3a, 0, 0, 0, 9, 1, 3, 3, ws}
		e := endpoints{ep("127.0.0.1:40000"), ep("127.0.0.1:2000")}
		var d decode.Packet
		if err := decode.Decode(decode.LinkEthernet, e.frame(seg{seq: 5, flags: fS, win: 65495, opts: opts}), &d); err != nil {
			t.Fatal(err)
		}
		a := tcpanalysis.New()
		var r tcpanalysis.Result
		if !a.Analyze(1, 0, 74, &d, &r) {
			t.Fatal("Analyze rejected the SYN")
		}
		got := string(AppendInfo(nil, &d, &r))
		want := "40000 " + arrow + " 2000 [SYN] Seq=0 Win=65495 Len=0" + string(appendOptions(nil, opts, r.SACKBase))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("AppendInfo, WS %d (-want +got):\n%s", ws, diff)
		}
		// The SYN/ACK's window scale shows the SYN's shift on the next
		// segment of the same direction.
		if err := decode.Decode(decode.LinkEthernet, e.frame(seg{fromB: true, seq: 9, ack: 6, flags: fS | fA, win: 65483, opts: opts}), &d); err != nil {
			t.Fatal(err)
		}
		a.Analyze(2, 1, 74, &d, &r)
		if err := decode.Decode(decode.LinkEthernet, e.frame(seg{seq: 6, ack: 10, flags: fA, win: 2}), &d); err != nil {
			t.Fatal(err)
		}
		a.Analyze(3, 2, 66, &d, &r)
		if want := int32(1) << min(ws, 14); r.WinScale != want {
			t.Errorf("WS %d: window scale factor %d, want %d", ws, r.WinScale, want)
		}
	}
}

// TestAppendInfoFlags checks the Info column's flags, from the table or,
// for the combinations too long for it, formatted in place, for every
// value of the 12 flag bits.
func TestAppendInfoFlags(t *testing.T) {
	e := endpoints{ep("127.0.0.1:40000"), ep("127.0.0.1:2000")}
	long := 0
	for f := range uint16(1 << 12) {
		var d decode.Packet
		if err := decode.Decode(decode.LinkEthernet, e.frame(seg{seq: 5, ack: 9, flags: f, win: 512}), &d); err != nil {
			t.Fatal(err)
		}
		var r tcpanalysis.Result
		if !tcpanalysis.New().Analyze(1, 0, 54, &d, &r) {
			t.Fatalf("flags %#x: not analysed", f)
		}
		got := string(AppendInfo(nil, &d, &r))
		want := "40000 " + arrow + " 2000" + string(appendFlagText(nil, f))
		if !strings.HasPrefix(got, want) {
			t.Fatalf("AppendInfo, flags %#x = %q, want it to start with %q", f, got, want)
		}
		if len(appendFlagText(nil, f)) > len(flagText{}.b) {
			long++
		}
	}
	if long == 0 {
		t.Error("no flag text too long for the table: the other path is untested")
	}
}
