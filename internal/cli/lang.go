package cli

import "strings"

// defaultLang returns the --lang default from the locale: the first of
// LC_ALL, LC_MESSAGES and LANG that is set (POSIX's order), "zh-TW" when
// it names Traditional Chinese as used in Taiwan ("zh_TW.UTF-8", "zh_TW",
// "zh-TW") and "en" otherwise.
func defaultLang(getenv func(string) string) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		v, _, _ = strings.Cut(v, ".") // the codeset
		v, _, _ = strings.Cut(v, "@") // the modifier
		if strings.EqualFold(strings.ReplaceAll(v, "-", "_"), "zh_TW") {
			return "zh-TW"
		}
		return "en"
	}
	return "en"
}
