package explain_test

import (
	"bytes"
	"flag"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/decode"
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
}

func TestWalkthroughGolden(t *testing.T) {
	for _, tc := range cases {
		for _, lang := range i18n.Langs {
			t.Run(tc.name+"/"+string(lang), func(t *testing.T) {
				c := tc.conv()
				w := explain.Explain(&c, explain.Options{Lang: lang})
				var buf bytes.Buffer
				if err := w.WriteText(&buf, 80); err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(buf.String(), "\n") {
					if n := textwrap.Width(line); n > 80 {
						t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
					}
				}
				golden(t, "walkthrough_"+tc.name+"."+string(lang), buf.Bytes())
			})
		}
	}
}

// TestSameNumbers checks that both languages state the same numbers in
// every paragraph: only the words differ.
func TestSameNumbers(t *testing.T) {
	digits := func(s string) []string {
		var out []string
		cur := ""
		for _, r := range s + " " {
			if r >= '0' && r <= '9' || (r == '.' && cur != "") {
				cur += string(r)
				continue
			}
			if cur != "" {
				out = append(out, strings.TrimSuffix(cur, "."))
				cur = ""
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range cases {
		c := tc.conv()
		en := explain.Explain(&c, explain.Options{Lang: i18n.English})
		zh := explain.Explain(&c, explain.Options{Lang: i18n.TraditionalChinese})
		if len(en.Sections) != len(zh.Sections) {
			t.Fatalf("%s: %d sections in English, %d in zh-TW", tc.name, len(en.Sections), len(zh.Sections))
		}
		for i := range en.Sections {
			a, b := en.Sections[i], zh.Sections[i]
			if len(a.Paras) != len(b.Paras) {
				t.Errorf("%s: section %s: %d paragraphs in English, %d in zh-TW", tc.name, a.ID, len(a.Paras), len(b.Paras))
				continue
			}
			for j := range a.Paras {
				// "2^10" is written the same way in both; ordinal and
				// unit words are not digits, so the multisets must match.
				if diff := cmp.Diff(digits(a.Paras[j].Prefix+a.Paras[j].Text), digits(b.Paras[j].Prefix+b.Paras[j].Text)); diff != "" {
					t.Errorf("%s: section %s paragraph %d: numbers differ (-en +zh-TW):\n%s\nen: %s\nzh: %s", tc.name, a.ID, j, diff, a.Paras[j].Text, b.Paras[j].Text)
				}
			}
			if diff := cmp.Diff(a.Table != nil, b.Table != nil); diff != "" {
				t.Errorf("%s: table presence differs", tc.name)
			}
		}
	}
}

// TestNoPanic feeds odd conversations: empty, a lone RST, bogus sides.
func TestNoPanic(t *testing.T) {
	convs := []conversation.Conversation{
		{},
		{Packets: []conversation.Segment{{Frame: 1, Flags: decode.FlagRST}}},
		{Packets: []conversation.Segment{{Frame: 1, From: 5, Flags: decode.FlagSYN}, {Frame: 2, From: -1}}},
		{Packets: []conversation.Segment{{Frame: 1, Flags: decode.FlagACK, Len: 5, Payload: []byte("\x00\x01abc")}}},
	}
	for i := range convs {
		for _, lang := range i18n.Langs {
			w := explain.Explain(&convs[i], explain.Options{Lang: lang})
			if err := w.WriteText(&bytes.Buffer{}, 80); err != nil {
				t.Errorf("conversation %d: %v", i, err)
			}
		}
	}
}

func BenchmarkExplain(b *testing.B) {
	c := fixture.Impaired()
	b.ReportAllocs()
	for b.Loop() {
		explain.Explain(&c, explain.Options{Lang: i18n.TraditionalChinese}).WriteText(io.Discard, 80)
	}
}

// TestCases checks the sentences of situations the golden files do not
// cover: a refused connection, a reset, a capture without the handshake.
func TestCases(t *testing.T) {
	ap := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	tests := []struct {
		name string
		conv conversation.Conversation
		want []string
		not  []string
	}{
		{
			name: "refused",
			conv: conversation.Conversation{Client: ap("127.0.0.1:40000"), Server: ap("127.0.0.1:2000"), Packets: []conversation.Segment{
				{Frame: 1, Flags: decode.FlagSYN, SeqRaw: 100},
				{Frame: 2, From: conversation.Server, Flags: decode.FlagRST | decode.FlagACK, Ack: 1, AckRaw: 101},
			}},
			want: []string{"nothing listens on port 2000", "connection refused", "neither side goes through TIME_WAIT"},
			not:  []string{"got no answer"},
		},
		{
			name: "reset after data",
			conv: conversation.Conversation{Client: ap("10.0.0.1:40000"), Server: ap("10.0.0.2:80"), Packets: []conversation.Segment{
				{Frame: 1, Flags: decode.FlagSYN},
				{Frame: 2, From: conversation.Server, Flags: decode.FlagSYN | decode.FlagACK, Ack: 1},
				{Frame: 3, Flags: decode.FlagACK, Seq: 1, Ack: 1},
				{Frame: 4, Flags: decode.FlagACK | decode.FlagPSH, Seq: 1, Ack: 1, Len: 5, Payload: []byte("hello")},
				{Frame: 5, From: conversation.Server, Flags: decode.FlagRST | decode.FlagACK, Seq: 1, Ack: 6},
			}},
			want: []string{"server sends RST: a reset aborts the connection", "The payload begins \"hello\"", "so Ack = 1 + 5 = 6"},
		},
		{
			name: "no handshake",
			conv: conversation.Conversation{Client: ap("10.0.0.1:40000"), Server: ap("10.0.0.2:80"), Packets: []conversation.Segment{
				{Frame: 7, Flags: decode.FlagACK, Seq: 1, Ack: 1, Len: 10, WinRaw: 100, Win: 100, WinScale: conversation.ScaleUnknown},
				{Frame: 8, From: conversation.Server, Flags: decode.FlagACK, Seq: 1, Ack: 11, WinRaw: 200, Win: 200, WinScale: conversation.ScaleUnknown},
			}},
			want: []string{"No SYN was captured", "has no SYN for this conversation", "scale factor is unknown", "still open"},
		},
		{
			name: "syn unanswered",
			conv: conversation.Conversation{Client: ap("10.0.0.1:40000"), Server: ap("10.0.0.2:80"), Packets: []conversation.Segment{
				{Frame: 1, Flags: decode.FlagSYN, SeqRaw: 5},
				{Frame: 2, Time: time.Second, Flags: decode.FlagSYN, SeqRaw: 5, Analysis: tcpanalysis.Retransmission},
			}},
			want: []string{"sends its SYN again", "got no answer", "[TCP Retransmission]"},
		},
		{
			// The capture starts at the SYN/ACK: the client's ISN comes
			// from the SYN/ACK's acknowledgement number, not from a SYN
			// never seen.
			name: "syn not captured",
			conv: conversation.Conversation{Client: ap("10.0.0.1:40000"), Server: ap("10.0.0.2:80"), Packets: []conversation.Segment{
				{Frame: 2, From: conversation.Server, Flags: decode.FlagSYN | decode.FlagACK, SeqRaw: 700, Ack: 1, AckRaw: 5001},
				{Frame: 3, Flags: decode.FlagACK, Seq: 1, SeqRaw: 5001, Ack: 1, AckRaw: 701},
			}},
			want: []string{"raw 5001 = 5000 + 1"},
			not:  []string{"= 0 + 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := explain.Explain(&tt.conv, explain.Options{}).WriteText(&buf, 1000); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("walk-through lacks %q:\n%s", w, buf.String())
				}
			}
			for _, w := range tt.not {
				if strings.Contains(buf.String(), w) {
					t.Errorf("walk-through has %q:\n%s", w, buf.String())
				}
			}
		})
	}
}
