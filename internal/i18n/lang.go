package i18n

import (
	"errors"
	"fmt"
	"strings"
)

// Lang is a language of the program's messages, as a BCP 47 tag.
type Lang string

// The languages that code names; languages lists them all.
const (
	English            Lang = "en"
	TraditionalChinese Lang = "zh-TW"
)

// language is one language with a message table and what else differs
// between languages besides the words.
type language struct {
	tag Lang
	// tags are the tags ParseLang accepts for it, lowercase with '-'
	// between subtags; one ending in '-' accepts every tag it begins
	// ("en-" accepts "en-US").
	tags []string
	// locales are the POSIX locale names, without codeset and modifier,
	// that make it the default (LangFromLocale); compared ignoring case,
	// with '-' read as '_'.
	locales []string
	// sentenceSep goes between the sentences of a paragraph: a space after
	// an English full stop, nothing after a Chinese one, which is a wide
	// character with its own space in it.
	sentenceSep string
	// messages is the message table: every id of the default language's,
	// with the same {placeholders} (TestCatalogs).
	messages map[string]string
}

// languages is the one list of the languages: the default first. Adding a
// language is a message table (msg_xx.go) and an entry here; the --lang
// flags, their help, the locale default and the catalog all follow this
// list.
var languages = []language{
	{
		tag:         English,
		tags:        []string{"", "en", "en-"},
		sentenceSep: " ",
		messages:    msgEN,
	},
	{
		tag:         TraditionalChinese,
		tags:        []string{"zh-tw", "zh-hant", "zh-hant-"},
		locales:     []string{"zh_TW"},
		sentenceSep: "",
		messages:    msgZH,
	},
}

// Langs lists the supported languages, the default first.
var Langs = func() []Lang {
	out := make([]Lang, len(languages))
	for i, l := range languages {
		out[i] = l.tag
	}
	return out
}()

// lookup returns the entry of lang in languages, nil when it has none.
func lookup(lang Lang) *language {
	for i := range languages {
		if languages[i].tag == lang {
			return &languages[i]
		}
	}
	return nil
}

// Known reports whether l is one of the supported languages.
func (l Lang) Known() bool { return lookup(l) != nil }

// SentenceSep returns what goes between two sentences of a paragraph in
// l: a space in English, nothing in Chinese. An unknown language has the
// default language's.
func (l Lang) SentenceSep() string {
	if lg := lookup(l); lg != nil {
		return lg.sentenceSep
	}
	return languages[0].sentenceSep
}

// ErrUnknownLang is returned by ParseLang for a language without a catalog.
var ErrUnknownLang = errors.New("unknown language")

// ParseLang returns the language a tag names: "en" (also "en-US", ...) or
// "zh-TW" (also "zh_TW", "zh-Hant", "zh-Hant-TW"). The empty tag is English.
func ParseLang(tag string) (Lang, error) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	for _, l := range languages {
		for _, want := range l.tags {
			if t == want || (strings.HasSuffix(want, "-") && strings.HasPrefix(t, want)) {
				return l.tag, nil
			}
		}
	}
	return "", fmt.Errorf("i18n: language %q: %w (have %s)", tag, ErrUnknownLang, strings.Join(tagNames(), ", "))
}

// LangFromLocale returns the default language from the locale: the first
// of LC_ALL, LC_MESSAGES and LANG that is set (POSIX's order) names a
// language by its locale name ("zh_TW.UTF-8", "zh_TW", "zh-TW": Traditional
// Chinese as used in Taiwan), else the default language. getenv is
// os.Getenv, or a stand-in in tests.
func LangFromLocale(getenv func(string) string) Lang {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		v, _, _ = strings.Cut(v, ".") // the codeset
		v, _, _ = strings.Cut(v, "@") // the modifier
		v = strings.ReplaceAll(v, "-", "_")
		for _, l := range languages {
			for _, loc := range l.locales {
				if strings.EqualFold(v, loc) {
					return l.tag
				}
			}
		}
		break
	}
	return languages[0].tag
}

// Choices lists the languages' tags for a flag's help and its usage
// error: "en or zh-TW".
func Choices() string {
	names := tagNames()
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// tagNames returns the languages' tags as strings.
func tagNames() []string {
	out := make([]string, len(languages))
	for i, l := range languages {
		out[i] = string(l.tag)
	}
	return out
}
