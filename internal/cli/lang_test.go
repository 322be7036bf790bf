package cli

import (
	"strings"
	"testing"
)

func TestDefaultLang(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unset", nil, "en"},
		{"LANG zh_TW.UTF-8", map[string]string{"LANG": "zh_TW.UTF-8"}, "zh-TW"},
		{"LANG zh_TW", map[string]string{"LANG": "zh_TW"}, "zh-TW"},
		{"LANG zh-TW", map[string]string{"LANG": "zh-TW"}, "zh-TW"},
		{"LANG zh_TW.Big5@modifier", map[string]string{"LANG": "zh_TW.Big5@modifier"}, "zh-TW"},
		{"LANG en_US.UTF-8", map[string]string{"LANG": "en_US.UTF-8"}, "en"},
		{"LANG zh_CN.UTF-8", map[string]string{"LANG": "zh_CN.UTF-8"}, "en"},
		{"LANG C", map[string]string{"LANG": "C"}, "en"},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "C.UTF-8", "LANG": "zh_TW.UTF-8"}, "en"},
		{"LC_ALL zh_TW", map[string]string{"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh-TW"},
		{"LC_MESSAGES over LANG", map[string]string{"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh-TW"},
		{"empty LC_ALL ignored", map[string]string{"LC_ALL": "", "LANG": "zh_TW.UTF-8"}, "zh-TW"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := defaultLang(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("defaultLang(%v) = %q, want %q", tc.env, got, tc.want)
			}
		})
	}
}

// TestLangFromLocale: without --lang, the walk-through follows the locale.
func TestLangFromLocale(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "zh_TW.UTF-8")
	out, _, err := runCLI(t, "analyze", "--no-list", "--explain", labCapture)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "三向交握") {
		t.Errorf("LANG=zh_TW.UTF-8: the walk-through is not in Traditional Chinese:\n%.400s", out)
	}
	t.Setenv("LC_ALL", "C.UTF-8")
	out, _, err = runCLI(t, "analyze", "--no-list", "--explain", labCapture)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "三向交握") || !strings.Contains(out, "Handshake") {
		t.Errorf("LC_ALL=C.UTF-8: the walk-through is not in English:\n%.400s", out)
	}
}
