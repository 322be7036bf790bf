package textwrap_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/textwrap"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		width int
		want  []string
	}{
		{"words", "the client sends 19 bytes", 12, []string{"the client", "sends 19", "bytes"}},
		{"long word alone", "a verylongword b", 5, []string{"a", "verylongword", "b"}},
		{"cjk breaks anywhere", "用戶端送出資料", 6, []string{"用戶端", "送出資", "料"}},
		{"no comma at line start", "用戶端，送出", 8, []string{"用戶端，", "送出"}},
		{"comma pulls its character along", "用戶端，送出", 6, []string{"用戶", "端，送", "出"}},
		{"open bracket stays with next", "一二三（四五", 8, []string{"一二三", "（四五"}},
		{"mixed", "送出 19 位元組", 8, []string{"送出 19", "位元組"}},
		{"empty", "", 10, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := textwrap.Wrap(tt.text, tt.width)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Wrap(%q, %d) mismatch (-want +got):\n%s", tt.text, tt.width, diff)
			}
		})
	}
}
