package listing

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
)

// TestAppendOptionsTimestampOnly checks the shortcut for the options
// Linux sends after the handshake (NOP, NOP, timestamp) against the
// general walk over the same option in another layout.
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
