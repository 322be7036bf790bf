package netlab

import (
	"testing"

	"github.com/tcplab/tcplab/internal/impair"
)

func TestHostString(t *testing.T) {
	for h, want := range map[Host]string{0: "host(0)", Client: "client", Middle: "middle", Server: "server", 4: "host(4)", -1: "host(-1)"} {
		if got := h.String(); got != want {
			t.Errorf("Host(%d).String() = %q, want %q", int(h), got, want)
		}
	}
}

func TestDirectionStatsString(t *testing.T) {
	tests := []struct {
		in   DirectionStats
		want string
	}{
		{DirectionStats{}, "received 0, forwarded 0, lost 0, queue drops 0, limit drops 0, duplicated 0, reordered 0, CE-marked 0"},
		{
			DirectionStats{Stats: impair.Stats{Received: 10, Forwarded: 9, DroppedLoss: 1, DroppedQueue: 2, DroppedLimit: 3, Duplicated: 4, Reordered: 5, Marked: 6}, WriteErrors: 7, Oversize: 8, KernelDrops: 9},
			"received 10, forwarded 9, lost 1, queue drops 2, limit drops 3, duplicated 4, reordered 5, CE-marked 6, write errors 7, oversize 8, kernel drops 9",
		},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
