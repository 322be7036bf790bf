package cli

import "github.com/tcplab/tcplab/internal/i18n"

// defaultLang returns the --lang default, the language's tag, from the
// locale: LC_ALL, LC_MESSAGES or LANG, the first one set (see
// i18n.LangFromLocale).
func defaultLang(getenv func(string) string) string {
	return string(i18n.LangFromLocale(getenv))
}
