package render

import (
	"bytes"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
	"github.com/tcplab/tcplab/internal/textwrap"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name.golden (see fixture.Golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	fixture.Golden(t, name, got, *update)
}

var cases = []struct {
	name string
	conv func() conversation.Conversation
}{
	{"lab_in_range", fixture.LabInRange},
	{"lab_out_of_range", fixture.LabOutOfRange},
	{"impaired", fixture.Impaired},
	{"joined", fixture.Joined},
}

func TestLadderGolden(t *testing.T) {
	styles := []struct {
		name string
		opt  LadderOptions
	}{
		{"box", LadderOptions{}},
		{"ascii", LadderOptions{ASCII: true}},
		{"raw", LadderOptions{Raw: true}},
		{"color", LadderOptions{Color: true}},
		{"zh-TW", LadderOptions{Lang: i18n.TraditionalChinese}},
	}
	for _, tc := range cases {
		for _, st := range styles {
			if (tc.name == "impaired" && (st.name == "raw" || st.name == "color" || st.name == "zh-TW")) || (tc.name == "joined" && (st.name == "raw" || st.name == "color")) {
				continue
			}
			t.Run(tc.name+"/"+st.name, func(t *testing.T) {
				c := tc.conv()
				var buf bytes.Buffer
				if err := Ladder(&buf, &c, st.opt); err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
				arrows := 0
				for i, line := range lines {
					plain := stripANSI(line)
					if n := textwrap.Width(plain); n > 80 {
						t.Errorf("line %d is %d columns wide: %q", i+1, n, plain)
					}
					if strings.Contains(plain, "▶") || strings.Contains(plain, "◀") || strings.Contains(plain, ">|") || strings.Contains(plain, "|<") {
						arrows++
					}
				}
				// With both ends' times, a lost packet's arrow has no head
				// and a network copy has an arrow of its own.
				want := len(c.Packets)
				for _, p := range c.Packets {
					if f := p.Fate; f != nil && f.Lost {
						want--
					} else if f != nil && f.DupArrival != 0 {
						want++
					}
				}
				if arrows != want {
					t.Errorf("%d arrows with heads, want %d", arrows, want)
				}
				if st.opt.ASCII && strings.ContainsFunc(buf.String(), func(r rune) bool { return r > 0x7e }) {
					t.Errorf("ASCII ladder has non-ASCII characters")
				}
				if !st.opt.Color && strings.Contains(buf.String(), "\x1b[") {
					t.Errorf("ladder without colour has escape sequences")
				}
				golden(t, "ladder_"+tc.name+"."+st.name, buf.Bytes())
			})
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestLadderCap(t *testing.T) {
	c := fixture.Impaired()
	var buf bytes.Buffer
	if err := Ladder(&buf, &c, LadderOptions{MaxPackets: 5}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "22 more packets not drawn") {
		t.Errorf("capped ladder does not count the rest:\n%s", buf.String())
	}
}

func TestTerminalStyle(t *testing.T) {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		tty = nil
	}
	if tty != nil {
		defer tty.Close()
	}
	file, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name             string
		f                *os.File
		env              func(string) string
		wantColor, ascii bool
	}{
		{"file: no colour", file, env("LANG", "en_US.UTF-8"), false, false},
		{"C locale: ascii", file, env("LANG", "C"), false, true},
		{"LC_ALL wins", file, env("LC_ALL", "zh_TW.UTF-8", "LANG", "C"), false, false},
		{"no locale: unicode", file, env(), false, false},
	}
	if tty != nil {
		tests = append(tests,
			struct {
				name             string
				f                *os.File
				env              func(string) string
				wantColor, ascii bool
			}{"terminal: colour", tty, env(), true, false},
			struct {
				name             string
				f                *os.File
				env              func(string) string
				wantColor, ascii bool
			}{"terminal with NO_COLOR", tty, env("NO_COLOR", "1"), false, false})
	}
	for _, tt := range tests {
		color, ascii := TerminalStyle(tt.f, tt.env)
		if color != tt.wantColor || ascii != tt.ascii {
			t.Errorf("%s: TerminalStyle() = %v, %v, want %v, %v", tt.name, color, ascii, tt.wantColor, tt.ascii)
		}
	}
}

func BenchmarkLadder(b *testing.B) {
	c := fixture.Impaired()
	b.ReportAllocs()
	for b.Loop() {
		Ladder(io.Discard, &c, LadderOptions{Color: true})
	}
}

func BenchmarkReport(b *testing.B) {
	convs := fixture.All()
	b.ReportAllocs()
	for b.Loop() {
		Report(io.Discard, convs, ReportOptions{})
	}
}

// TestLadderCaptureGolden draws the real captures of explain's testdata:
// the lab's two cases on loopback and the impaired bulk transfer.
func TestLadderCaptureGolden(t *testing.T) {
	for _, name := range []string{"lab_in_range", "lab_out_of_range", "impaired_bulk"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "explain", "testdata", name+".pcap"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			convs, err := explain.ReadCapture(f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			for i := range convs {
				if err := Ladder(&buf, &convs[i], LadderOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			for i, line := range strings.Split(buf.String(), "\n") {
				if n := textwrap.Width(line); n > 80 {
					t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
				}
			}
			golden(t, "ladder_capture_"+name, buf.Bytes())
		})
	}
}

// TestLadderFits checks the 80-column limit in harder cases: long times,
// raw numbers, IPv6 endpoints, long expert labels.
func TestLadderFits(t *testing.T) {
	for _, mk := range []func() conversation.Conversation{fixture.LabInRange, fixture.Impaired} {
		c := mk()
		c.Client = netip.MustParseAddrPort("[2001:db8:1234:5678:9abc:def0:1234:5678]:65535")
		c.Server = netip.MustParseAddrPort("[2001:db8:1234:5678:9abc:def0:1234:9999]:443")
		for i := range c.Packets {
			c.Packets[i].Time += 99999 * time.Second
			c.Packets[i].Analysis |= tcpanalysis.ReusedPorts | tcpanalysis.SpuriousRetransmission | tcpanalysis.AckLostSegment
			c.Packets[i].SeqRaw, c.Packets[i].AckRaw = 4294967295, 4294967295
		}
		for _, opt := range []LadderOptions{{Raw: true}, {Raw: true, ASCII: true}, {Width: 60, Raw: true}} {
			var buf bytes.Buffer
			if err := Ladder(&buf, &c, opt); err != nil {
				t.Fatal(err)
			}
			width := max(opt.Width, 60)
			if opt.Width == 0 {
				width = 80
			}
			for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
				if n := textwrap.Width(line); n > width {
					t.Errorf("%+v: line %d is %d columns wide (max %d): %q", opt, i+1, n, width, line)
				}
			}
		}
	}
}

// TestLadderLanguage: in zh-TW the ladder's title, column heads and the
// line counting undrawn packets are in Chinese, with the header's columns
// aligned on the lanes.
func TestLadderLanguage(t *testing.T) {
	c := fixture.Impaired()
	var buf bytes.Buffer
	if err := Ladder(&buf, &c, LadderOptions{Lang: i18n.TraditionalChinese, MaxPackets: 3}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	for _, english := range []string{"Conversation", "No.", "Time", "more packets"} {
		if strings.Contains(buf.String(), english) {
			t.Errorf("zh-TW ladder contains %q:\n%s", english, buf.String())
		}
	}
	// The column header's lane is in the same column as the arrows' lanes.
	head, arrow := lines[2], lines[3]
	if hw, aw := textwrap.Width(head), textwrap.Width(arrow); hw != aw {
		t.Errorf("header line is %d columns wide, the next line %d:\n%s\n%s", hw, aw, head, arrow)
	}
}
