package listing

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHealthTable: --health follows tcplab's conversation table with a
// row per direction of data, lined up under the heads' bars; without
// it, and with -z conv,tcp, there is none.
func TestHealthTable(t *testing.T) {
	file := filepath.Join("..", "demo", "testdata", "lab_in_range.pcap")
	out := ourOutput(t, file, Options{Format: Text, Follow: -1, Health: true})
	_, table, ok := strings.Cut(out, "TCP Conversation Health")
	if !ok {
		t.Fatalf("no health table:\n%s", out)
	}
	want := `TCP Conversation Health (each direction's data)
                                                        |     Payload bytes     |           ACK RTT (s)           | Zero window  | Max bytes  |
                                                        |   Distinct     Resent |       Min        Avg        Max |          (s) |  in flight | History
127.0.0.1:39334            -> 127.0.0.1:24817                     19          0    0.000010   0.000015   0.000021       0.000000           19   ShADadfF
127.0.0.1:24817            -> 127.0.0.1:39334                     16          0    0.000020   0.000047   0.000093       0.000000           16
` + convRule
	if diff := cmp.Diff(want, "TCP Conversation Health"+table); diff != "" {
		t.Errorf("health table (-want +got):\n%s", diff)
	}
	lines := strings.Split(table, "\n")
	for i, c := range lines[2] {
		if c != '|' {
			continue
		}
		for _, row := range lines[3:5] {
			if i < len(row) && row[i] != ' ' {
				t.Errorf("bar at column %d of the heads, %q in row %q", i, row[i], row)
			}
		}
	}
	for _, opts := range []Options{
		{Format: Text, Follow: -1},
		{Format: Text, Follow: -1, Health: true, Stats: []Stat{{Kind: StatConv}}},
	} {
		if out := ourOutput(t, file, opts); strings.Contains(out, "Health") {
			t.Errorf("health table with %+v:\n%s", opts, out)
		}
	}
}
