package graphtest

import (
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

func count(t *testing.T, cfg Config) (map[tcpanalysis.Flags]int, int) {
	t.Helper()
	segs := Segments(Run(cfg))
	m := map[tcpanalysis.Flags]int{}
	var bytes int
	for _, s := range segs {
		s.Analysis.Each(func(f tcpanalysis.Flags) { m[f]++ })
		if !s.FromServer && !s.Analysis.Retransmitted() && s.Analysis&tcpanalysis.ZeroWindowProbe == 0 {
			bytes += int(s.Len)
		}
	}
	return m, bytes
}

// TestRun checks that the simulated captures read as Wireshark would
// read such transfers: a lone loss is a fast retransmission, a lost
// retransmission needs a timeout, a reader that stops makes zero windows
// and probes, and every byte gets across once (probes aside).
func TestRun(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want []tcpanalysis.Flags
		none []tcpanalysis.Flags
	}{
		{"clean", Config{}, nil, []tcpanalysis.Flags{tcpanalysis.Retransmission, tcpanalysis.FastRetransmission, tcpanalysis.DuplicateAck}},
		{"one loss", Config{Lose: map[uint32]int{50_001: 1}}, []tcpanalysis.Flags{tcpanalysis.FastRetransmission, tcpanalysis.DuplicateAck}, nil},
		{"a lost retransmission", Config{Lose: map[uint32]int{50_001: 2}}, []tcpanalysis.Flags{tcpanalysis.FastRetransmission, tcpanalysis.Retransmission}, nil},
		{"a zero window", Config{RWin: 16_000, ZeroWindow: struct{ At, For time.Duration }{200 * time.Millisecond, 500 * time.Millisecond}},
			[]tcpanalysis.Flags{tcpanalysis.ZeroWindow, tcpanalysis.ZeroWindowProbe, tcpanalysis.WindowUpdate}, nil},
		{"at the receiver", Config{AtReceiver: true, Lose: map[uint32]int{50_001: 1}}, []tcpanalysis.Flags{tcpanalysis.DuplicateAck}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, bytes := count(t, tt.cfg)
			t.Logf("flags %v", got)
			for _, f := range tt.want {
				if got[f] == 0 {
					t.Errorf("no %s", f.Name())
				}
			}
			for _, f := range tt.none {
				if got[f] != 0 {
					t.Errorf("%d %s", got[f], f.Name())
				}
			}
			if bytes != 200_000 {
				t.Errorf("%d bytes sent once, want 200000", bytes)
			}
		})
	}
}
