package textwrap

import (
	"strings"
	"testing"
)

// FuzzWrap checks that wrapping never panics, loses no visible character,
// and keeps every line within the width unless it holds a single unbreakable
// word.
func FuzzWrap(f *testing.F) {
	f.Add("the client sends 19 bytes", 12)          // English words
	f.Add("用戶端送出 19 位元組，Seq=1：第 1 到第 19 個位元組。", 10) // mixed CJK and ASCII with CJK punctuation
	f.Add("（「『", 2)                                 // only opening brackets
	f.Add("aaaaaaaaaaaaaaaaaaaaaaaa", 3)            // one word longer than the width
	f.Add("", 0)                                    // empty text, zero width
	f.Add("\xff\xfe broken utf-8", 5)               // invalid UTF-8
	f.Fuzz(func(t *testing.T, text string, width int) {
		width = width%200 + 1
		if width < 0 {
			width = -width + 1
		}
		lines := Wrap(text, width)
		strip := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r == ' ' || r == '\n' {
					return -1
				}
				return r
			}, s)
		}
		if got, want := strip(strings.Join(lines, "")), strip(text); got != want {
			t.Fatalf("Wrap(%q, %d) lost characters: %q", text, width, lines)
		}
		for _, l := range lines {
			if Width(l) > width && strings.Contains(l, " ") {
				t.Fatalf("Wrap(%q, %d): line %q is %d columns wide", text, width, l, Width(l))
			}
		}
	})
}
