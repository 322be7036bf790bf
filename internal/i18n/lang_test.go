package i18n_test

import (
	"testing"

	"github.com/tcplab/tcplab/internal/i18n"
)

func TestParseLang(t *testing.T) {
	tests := []struct {
		in      string
		want    i18n.Lang
		wantErr bool
	}{
		{"", i18n.English, false},
		{"en", i18n.English, false},
		{"en-US", i18n.English, false},
		{"zh-TW", i18n.TraditionalChinese, false},
		{"zh_tw", i18n.TraditionalChinese, false},
		{"zh-Hant", i18n.TraditionalChinese, false},
		{"zh-Hant-TW", i18n.TraditionalChinese, false},
		{"zh-CN", "", true}, // Simplified Chinese has no catalog
		{"fr", "", true},
	}
	for _, tt := range tests {
		got, err := i18n.ParseLang(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLang(%q) = %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestChoices(t *testing.T) {
	if got, want := i18n.Choices(), "en or zh-TW"; got != want {
		t.Errorf("Choices() = %q, want %q", got, want)
	}
}

func TestSentenceSep(t *testing.T) {
	for _, tc := range []struct {
		lang i18n.Lang
		want string
	}{{i18n.English, " "}, {i18n.TraditionalChinese, ""}, {"xx", " "}} {
		if got := tc.lang.SentenceSep(); got != tc.want {
			t.Errorf("Lang(%q).SentenceSep() = %q, want %q", tc.lang, got, tc.want)
		}
	}
}
