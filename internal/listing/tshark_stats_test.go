package listing_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/listing"
)

// expertSupported matches the summaries of the expert infos tcplab's -z
// expert counts: TCP's flags, close and sequence analysis. The others
// (option formats, malformed segments, other protocols) tshark adds too.
var expertSupported = regexp.MustCompile(`^(Connection (establish request \(SYN\)|establish acknowledge \(SYN\+ACK\)): server port \d+|Connection finish \(FIN\)|Connection reset \(RST\)|This frame (initiates|undergoes) the connection closing|This frame is a \(suspected\) (fast |spurious )?retransmission|This frame is a \(suspected\) out-of-order segment|Previous segment\(s\) not captured \(common at capture start\)|ACKed segment that wasn't captured \(common at capture start\)|TCP window update|TCP window specified by the receiver is now completely full|TCP keep-alive segment|ACK to a TCP keep-alive segment|Duplicate ACK \(#\d+\)|TCP Zero Window Probe|TCP Zero Window segment|ACK to a TCP Zero Window Probe|A new tcp session is started with the same ports as an earlier session in this trace)$`)

var expertRow = regexp.MustCompile(`^ *(\d+) +(\S+) +(\S+)  (.*)$`)

// tsharkExpertTCP keeps the rows of tshark's -z expert output that
// expertSupported matches, with the sections' totals counted again,
// and returns how many rows it left out.
func tsharkExpertTCP(t *testing.T, out string) (string, int) {
	t.Helper()
	var b strings.Builder
	dropped := 0
	if out == "" {
		return "", 0
	}
	for _, sec := range strings.Split(strings.TrimPrefix(out, "\n"), "\n\n") {
		lines := strings.Split(strings.TrimSuffix(sec, "\n"), "\n")
		if len(lines) < 3 {
			t.Fatalf("tshark -z expert section %q", sec)
		}
		title, _, _ := strings.Cut(lines[0], " (")
		var rows []string
		total := 0
		for _, l := range lines[3:] {
			m := expertRow.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("tshark -z expert row %q", l)
			}
			if m[3] != "TCP" || !expertSupported.MatchString(m[4]) {
				dropped++
				continue
			}
			n, _ := strconv.Atoi(m[1])
			total += n
			rows = append(rows, l)
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d)\n%s\n%s\n%s\n", title, total, lines[1], lines[2], strings.Join(rows, "\n"))
	}
	return b.String(), dropped
}

// TestExpertAgainstTshark: -z expert counts TCP's expert infos as
// tshark's -z expert does, in its order, on the demo's, the regression
// and generated captures; -Y leaves it alone (tshark's taps see every
// packet).
func TestExpertAgainstTshark(t *testing.T) {
	needTshark(t)
	st, err := listing.ParseStat("expert")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range fieldCaptures(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, dropped := tsharkExpertTCP(t, tshark(t, "-r", file, "-q", "-z", "expert"))
			got := tcplab(t, file, listing.Options{Follow: -1, Quiet: true, Stats: []listing.Stat{st}})
			if got != want {
				t.Errorf("-z expert:\ntshark (%d rows left out):\n%s\ntcplab:\n%s", dropped, want, got)
			}
			t.Logf("%d rows equal, %d of tshark's left out", strings.Count(want, "\n")-strings.Count(want, "\n\n")*4, dropped)
		})
	}
}

// stats parses -z arguments.
func stats(t *testing.T, args ...string) []listing.Stat {
	t.Helper()
	var out []listing.Stat
	for _, a := range args {
		st, err := listing.ParseStat(a)
		if err != nil {
			t.Fatalf("ParseStat(%q) = %v", a, err)
		}
		out = append(out, st)
	}
	return out
}

// TestIOStatAgainstTshark: -z io,stat's tables — plain columns with and
// without filters, and the COUNT, SUM, MIN, MAX and AVG columns over
// integer fields, relative times (ack_rtt) and fields with several values
// (tcp.port), with and without a filter after the field, mixed with plain
// columns — are drawn exactly as tshark draws them, over the demo's, the
// regression and generated captures, all in one run of each (several -z
// print in the reverse of their order, as in tshark).
func TestIOStatAgainstTshark(t *testing.T) {
	needTshark(t)
	zs := []string{
		"io,stat,0", "io,stat,1", "io,stat,0.01,tcp.len>0,,tcp.analysis.flags", "io,stat,7.5,tcp.flags.syn==1 && tcp.flags.ack==0",
		"io,stat,0,SUM(tcp.len)tcp.len,COUNT(tcp.analysis.retransmission)tcp.analysis.retransmission,AVG(tcp.window_size)tcp.window_size",
		"io,stat,1,MIN(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,MAX(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,AVG(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,SUM(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt",
		"io,stat,0.01,MIN(tcp.len)tcp.flags.ack==1,MAX(tcp.analysis.bytes_in_flight)tcp.analysis.bytes_in_flight,COUNT(tcp.port)tcp,tcp.len>0,AVG(frame.len)",
		"io,stat,7.5,SUM(tcp.len),COUNT(tcp.flags.syn)tcp.flags.syn==1,MIN(tcp.seq)tcp.len>0",
	}
	args := []string{"-q"}
	for _, z := range zs {
		args = append(args, "-z", z)
	}
	for _, file := range fieldCaptures(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := tshark(t, append([]string{"-r", file}, args...)...)
			got := tcplab(t, file, listing.Options{Follow: -1, Quiet: true, Stats: stats(t, zs...)})
			if got != want {
				t.Errorf("-z io,stat:\ntshark:\n%s\ntcplab:\n%s", want, got)
			}
		})
	}
}

// TestFilterWithStatsAgainstTshark: with -Y, the packet list shows the
// packets the filter passes while -z conv,tcp, expert, io,stat and
// follow count every packet, as tshark's taps do; with -q only the
// statistics are printed.
func TestFilterWithStatsAgainstTshark(t *testing.T) {
	needTshark(t)
	zs := []string{"conv,tcp", "expert", "io,stat,0.05", "follow,tcp,ascii,0"}
	files, _ := filepath.Glob(filepath.Join("..", "demo", "testdata", "*.pcap"))
	for _, file := range files {
		for _, quiet := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/q=%v", filepath.Base(file), quiet), func(t *testing.T) {
				const filter = "tcp.analysis.flags || tcp.flags.fin == 1"
				f, err := dfilter.Compile(filter)
				if err != nil {
					t.Fatal(err)
				}
				args := []string{"-r", file, "-Y", "tcp && (" + filter + ")"}
				if quiet {
					args = append(args, "-q")
				}
				for _, z := range zs {
					args = append(args, "-z", z)
				}
				want := tshark(t, args...)
				got := tcplab(t, file, listing.Options{Follow: -1, Quiet: quiet, Filter: f, Stats: stats(t, zs...)})
				if got != want {
					t.Errorf("-Y %q -z ...:\ntshark:\n%s\ntcplab:\n%s", filter, want, got)
				}
			})
		}
	}
}

// FuzzParseStat: no -z argument makes ParseStat panic; one it accepts
// is one of the statistics it knows.
func FuzzParseStat(f *testing.F) {
	for _, s := range []string{
		"conv,tcp",                      // the conversation table
		"follow,tcp,ascii,3",            // a stream followed
		"expert",                        // expert infos
		"io,stat,0",                     // the whole capture
		"io,stat,0.01,tcp.len>0,,",      // a filter and empty columns
		"io,stat,1,SUM(tcp.len)tcp.len", // a calculation
		"io,stat,1,MIN(tcp.analysis.ack_rtt),AVG(tcp.port)tcp.port>1,COUNT(tcp.flags.syn)", // calculations without filters, over times and flags
		"io,stat,1,MAX(tcp.len",                // no closing parenthesis
		"io,stat,1,LOAD(tcp.analysis.ack_rtt)", // LOAD: refused
		"io,stat,1.1234567",                    // too many decimals
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := listing.ParseStat(s)
		if err == nil && (st.Kind < listing.StatConv || st.Kind > listing.StatIO) {
			t.Fatalf("ParseStat(%q) = kind %d", s, st.Kind)
		}
	})
}
