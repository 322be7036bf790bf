package tcpanalysis

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/decode"
)

// runHealth analyses pkts with health on and returns the streams.
func runHealth(t *testing.T, pkts []pkt) []*Stream {
	t.Helper()
	a := New()
	a.SetHealth(true)
	for i, p := range pkts {
		var d decode.Packet
		frame := p.raw()
		if err := decode.Decode(decode.LinkRaw, frame, &d); err != nil {
			t.Fatalf("packet %d: decode: %v", i+1, err)
		}
		var r Result
		if !a.Analyze(uint32(i+1), 1_700_000_000_000_000_000+p.us*1000, len(frame), &d, &r) {
			t.Fatalf("packet %d: not analysed", i+1)
		}
	}
	return a.Streams()
}

// handshake is a client's SYN (ISN 100) and the server's SYN/ACK (ISN
// 500), then the client's ACK.
var handshake = []pkt{
	{us: 0, seq: 100, flags: syn, win: 1000},
	{us: 10, s2c: true, seq: 500, ack: 101, flags: syn | ack, win: 1000},
	{us: 20, seq: 101, ack: 501, flags: ack, win: 1000},
}

func withHandshake(rest ...pkt) []pkt { return append(append([]pkt(nil), handshake...), rest...) }

// TestHistory checks Zeek's history letters on hand-built conversations,
// each letter's rule: case by side, once-only letters, letters repeated
// when their sequence number changes, and the logarithmic ones.
func TestHistory(t *testing.T) {
	var rxmits []pkt
	for i := range 12 { // the same 10 bytes 12 times: T at the 1st and 10th resend
		rxmits = append(rxmits, pkt{us: int64(100 + i), seq: 101, ack: 501, flags: ack | psh, win: 1000, payload: 10})
	}
	tests := []struct {
		name string
		pkts []pkt
		want string
	}{
		{"lab exchange", withHandshake(
			pkt{us: 30, seq: 101, ack: 501, flags: ack | psh, win: 1000, payload: 18},
			pkt{us: 40, s2c: true, seq: 501, ack: 119, flags: ack, win: 1000},
			pkt{us: 50, s2c: true, seq: 501, ack: 119, flags: ack | psh, win: 1000, payload: 16},
			pkt{us: 60, seq: 119, ack: 517, flags: ack, win: 1000},
			pkt{us: 70, seq: 119, ack: 517, flags: ack | fin, win: 1000},
			pkt{us: 80, s2c: true, seq: 517, ack: 120, flags: ack | fin, win: 1000},
			pkt{us: 90, seq: 120, ack: 518, flags: ack, win: 1000},
		), "ShADadFf"},
		{"refused", []pkt{
			{us: 0, seq: 100, flags: syn, win: 1000},
			{us: 10, s2c: true, seq: 0, ack: 101, flags: rst | ack},
		}, "Sr"},
		{"SYN resent, same number: one S", []pkt{
			{us: 0, seq: 100, flags: syn, win: 1000},
			{us: 1000, seq: 100, flags: syn, win: 1000},
		}, "S"},
		{"FIN resent at another number: F twice", withHandshake(
			pkt{us: 30, seq: 101, ack: 501, flags: ack | fin, win: 1000},
			pkt{us: 40, seq: 101, ack: 501, flags: ack | fin, win: 1000},
			pkt{us: 50, seq: 101, ack: 501, flags: ack | fin | psh, win: 1000, payload: 5},
		), "ShAFF"},
		{"RSTs at two numbers", withHandshake(
			pkt{us: 30, s2c: true, seq: 501, flags: rst, win: 0},
			pkt{us: 40, s2c: true, seq: 501, flags: rst, win: 0},
			pkt{us: 50, s2c: true, seq: 900, flags: rst, win: 0},
		), "ShArr"},
		{"retransmissions are logarithmic", withHandshake(rxmits...), "ShADTT"},
		{"zero window from the server", withHandshake(
			pkt{us: 30, seq: 101, ack: 501, flags: ack | psh, win: 1000, payload: 10},
			pkt{us: 40, s2c: true, seq: 501, ack: 111, flags: ack, win: 0},
			pkt{us: 50, s2c: true, seq: 501, ack: 111, flags: ack, win: 0},
			pkt{us: 60, s2c: true, seq: 501, ack: 111, flags: ack, win: 500},
		), "ShADaw"},
		{"zero window after the peer's FIN is not recorded", withHandshake(
			pkt{us: 30, seq: 101, ack: 501, flags: ack | fin, win: 1000},
			pkt{us: 40, s2c: true, seq: 501, ack: 102, flags: ack, win: 0},
		), "ShAFa"},
		{"a gap the ACK passes", withHandshake(
			pkt{us: 30, seq: 101, ack: 501, flags: ack, win: 1000, payload: 10},
			// 111..120 never captured
			pkt{us: 40, seq: 121, ack: 501, flags: ack, win: 1000, payload: 10},
			pkt{us: 50, s2c: true, seq: 501, ack: 131, flags: ack, win: 1000},
		), "ShADaG"},
		{"the ACK of a FIN is no gap", withHandshake(
			pkt{us: 30, seq: 101, ack: 501, flags: ack, win: 1000, payload: 10},
			pkt{us: 40, seq: 111, ack: 501, flags: ack | fin, win: 1000},
			pkt{us: 50, s2c: true, seq: 501, ack: 112, flags: ack, win: 1000},
		), "ShADFa"},
		{"no gaps without the handshake", []pkt{
			{us: 30, seq: 101, ack: 501, flags: ack, win: 1000, payload: 10},
			{us: 50, s2c: true, seq: 501, ack: 131, flags: ack, win: 1000},
		}, "Da"},
		{"SYN/ACK first: flipped", []pkt{
			{us: 10, s2c: true, seq: 500, ack: 101, flags: syn | ack, win: 1000},
			{us: 20, seq: 101, ack: 501, flags: ack, win: 1000},
		}, "^hA"},
		{"SYN with FIN, FIN with RST", []pkt{
			{us: 0, seq: 100, flags: syn | fin, win: 1000},
			{us: 10, s2c: true, seq: 500, ack: 101, flags: fin | rst | ack},
			{us: 20, seq: 100, flags: syn | rst, win: 1000},
		}, "Qi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			streams := runHealth(t, tc.pkts)
			if got := streams[0].History(); got != tc.want {
				t.Errorf("History() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHistoryLong checks a history longer than the letters kept in
// place: RSTs at ever new numbers.
func TestHistoryLong(t *testing.T) {
	pkts := withHandshake()
	want := "ShA"
	for i := range 40 {
		pkts = append(pkts, pkt{us: int64(30 + i), s2c: true, seq: uint32(501 + i), flags: rst})
		want += "r"
	}
	if got := runHealth(t, pkts)[0].History(); got != want {
		t.Errorf("History() = %q, want %q", got, want)
	}
}

// TestHealthNumbers checks the retransmitted bytes, RTT, bytes in flight
// and zero-window time of a hand-built conversation.
func TestHealthNumbers(t *testing.T) {
	pkts := withHandshake(
		pkt{us: 1000, seq: 101, ack: 501, flags: ack | psh, win: 1000, payload: 100},
		pkt{us: 1100, seq: 201, ack: 501, flags: ack | psh, win: 1000, payload: 100},
		pkt{us: 3000, s2c: true, seq: 501, ack: 201, flags: ack, win: 1000},          // RTT 2 ms
		pkt{us: 4100, s2c: true, seq: 501, ack: 301, flags: ack, win: 0},             // RTT 3 ms; zero window
		pkt{us: 4200, seq: 251, ack: 501, flags: ack | psh, win: 1000, payload: 100}, // 50 bytes again
		pkt{us: 6100, s2c: true, seq: 501, ack: 301, flags: ack, win: 1000},          // open after 2 ms
		pkt{us: 7000, s2c: true, seq: 501, ack: 301, flags: ack | psh, win: 0, payload: 20},
		pkt{us: 9000, seq: 351, ack: 521, flags: ack, win: 1000}, // RTT 2 ms
	)
	s := runHealth(t, pkts)[0]
	h := *s.Health
	if diff := cmp.Diff([2]uint64{50, 0}, h.RetransBytes); diff != "" {
		t.Errorf("RetransBytes (-want +got):\n%s", diff)
	}
	if s.BytesC2S != 250 || s.BytesS2C != 20 {
		t.Errorf("BytesC2S, BytesS2C = %d, %d, want 250, 20", s.BytesC2S, s.BytesS2C)
	}
	// The handshake's segments are acknowledged after 10 µs.
	if diff := cmp.Diff([2]RTTStats{{N: 3, Min: 10_000, Max: 3_000_000, Sum: 5_010_000}, {N: 2, Min: 10_000, Max: 2_000_000, Sum: 2_010_000}}, h.RTT); diff != "" {
		t.Errorf("RTT (-want +got):\n%s", diff)
	}
	if got := h.RTT[0].Avg(); got != 1_670_000 {
		t.Errorf("RTT[0].Avg() = %d, want 1670000", got)
	}
	if h.MaxInFlight[0] != 200 || h.MaxInFlight[1] != 20 {
		t.Errorf("MaxInFlight = %v, want [200 20]", h.MaxInFlight)
	}
	// 2000 µs closed, then from 7000 µs to the last segment at 9000 µs.
	if got := s.ZeroWindow(0); got != 4_000_000 {
		t.Errorf("ZeroWindow(0) = %d, want 4000000", got)
	}
	if got := s.ZeroWindow(1); got != 0 {
		t.Errorf("ZeroWindow(1) = %d, want 0", got)
	}
}

// TestHealthOff checks that an Analyzer without health keeps none.
func TestHealthOff(t *testing.T) {
	_, a := run(t, withHandshake(
		pkt{us: 30, seq: 101, ack: 501, flags: ack | psh, win: 0, payload: 18},
		pkt{us: 40, s2c: true, seq: 501, ack: 119, flags: ack, win: 0},
		pkt{us: 50, seq: 101, ack: 501, flags: ack | psh, win: 0, payload: 18},
	))
	s := a.Streams()[0]
	if s.Health != nil {
		t.Errorf("Health without SetHealth = %+v, want nil", s.Health)
	}
	if s.History() != "" || s.ZeroWindow(0) != 0 {
		t.Errorf("History() = %q, ZeroWindow(0) = %d, want none", s.History(), s.ZeroWindow(0))
	}
}
