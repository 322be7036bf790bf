package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAnalyzeTsharkHabits: tshark's options are accepted as tshark's
// users type them, clusters included, and pick what tshark picks.
func TestAnalyzeTsharkHabits(t *testing.T) {
	path, _ := exchangeFile(t)
	for _, tt := range []struct {
		name   string
		args   []string
		frames []string // the frame numbers printed, in order
	}{
		{"-r", []string{"-r", path, "--no-conv"}, []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
		{"-nr", []string{"-nr", path, "--no-conv"}, []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
		{"-Y", []string{"-r", path, "-Y", "tcp.len > 0", "--no-conv"}, []string{"4", "5"}},
		{"--filter", []string{path, "--filter", "tcp.flags.fin == 1", "--no-conv"}, []string{"6", "7"}},
		// -c counts the frames read, not the packets printed.
		{"-c with -Y", []string{"-r", path, "-c", "4", "-Y", "tcp.len > 0", "--no-conv"}, []string{"4"}},
		{"-c3", []string{"-c3", path, "--no-conv"}, []string{"1", "2", "3"}},
		{"-q", []string{"-qnr", path}, nil},
		{"fields", []string{"-r", path, "-T", "fields", "-e", "frame.number", "-Y", "tcp.flags.syn == 1"}, []string{"1", "2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runCLI(t, append([]string{"analyze"}, tt.args...)...)
			if err != nil {
				t.Fatalf("analyze %q: %v (%s)", tt.args, err, stderr)
			}
			var got []string
			for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
				if f := strings.Fields(line); len(f) > 0 {
					got = append(got, f[0])
				}
			}
			if diff := cmp.Diff(tt.frames, got); diff != "" {
				t.Errorf("analyze %q frames (-want +got):\n%s\n%s", tt.args, diff, out)
			}
		})
	}
}

// TestAnalyzeTsharkErrors: a bad filter, field or option is a short
// usage error (exit status 2) that names it, not the usage text.
func TestAnalyzeTsharkErrors(t *testing.T) {
	path, _ := exchangeFile(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-Y", "tcp.prot == 80", path}, `analyze: filter: "tcp.prot" is not a field tcplab knows (see docs/filters.md) at column 1 of "tcp.prot == 80"`},
		{[]string{"-Y", "tcp.port = 80", path}, "at column 10"},
		{[]string{"-x", path}, "analyze: unknown option -x (tcplab analyze -h lists the options)"},
		{[]string{"-T", "fields", path}, "-T fields needs at least one -e FIELD"},
		{[]string{"-T", "fields", "-e", "tcp.bogus", path}, `"tcp.bogus" is not a field`},
		{[]string{"-T", "fields", "-e", "tcp.port", "-E", "occurrence=2", path}, "occurrence=f"},
		{[]string{"-e", "tcp.port", path}, "-e and -E need -T fields"},
		{[]string{"-z", "conv,udp", path}, "tcplab knows conv,tcp"},
		{[]string{"-z", "io,stat,1,LOAD(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt", path}, "not LOAD"},
		{[]string{"-z", "io,stat,1,SUM(tcp.flags.syn)tcp", path}, "only COUNT works on it"},
		{[]string{"-z", "io,stat,1,SUM(tcp.lenn)tcp", path}, `"tcp.lenn" is not a field`},
		{[]string{"-r", path, path}, "want one capture file"},
	} {
		_, stderr, err := runCLI(t, append([]string{"analyze"}, tt.args...)...)
		if err == nil || ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("analyze %q = %v (exit %d), want exit 2 and %q", tt.args, err, ExitCode(err), tt.want)
		}
		if strings.Contains(stderr, "usage:") {
			t.Errorf("analyze %q printed the usage text:\n%s", tt.args, stderr)
		}
	}
}

// TestAnalyzeFilterNDJSON: -Y picks the ndjson packet records; the
// stream records and the summary's counts of frames and streams still
// cover every packet.
func TestAnalyzeFilterNDJSON(t *testing.T) {
	path, _ := exchangeFile(t)
	out, _, err := runCLI(t, "analyze", "--format", "ndjson", "-Y", "tcp.len > 0", path)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 2 packets, 1 stream and the summary:\n%s", len(lines), out)
	}
	for i, frame := range []string{`"frame":4,`, `"frame":5,`} {
		if !strings.Contains(lines[i], frame) {
			t.Errorf("packet record %d = %s, want %s", i, lines[i], frame)
		}
	}
	if !strings.Contains(lines[2], `"packets":8,`) {
		t.Errorf("stream record = %s, want all 8 packets", lines[2])
	}
	if want := `{"type":"summary","frames":8,"packets":2,"streams":1,"skipped":{}}`; lines[3] != want {
		t.Errorf("summary = %s, want %s", lines[3], want)
	}
}
