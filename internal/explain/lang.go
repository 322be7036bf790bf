package explain

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Lang is a language of the walk-through, as a BCP 47 tag.
type Lang string

// The languages of the walk-through.
const (
	English            Lang = "en"
	TraditionalChinese Lang = "zh-TW"
)

// Langs lists the supported languages, the default first.
var Langs = []Lang{English, TraditionalChinese}

// ErrUnknownLang is returned by ParseLang for a language without a catalog.
var ErrUnknownLang = errors.New("unknown language")

// ParseLang returns the language a tag names: "en" (also "en-US", ...) or
// "zh-TW" (also "zh_TW", "zh-Hant", "zh-Hant-TW"). The empty tag is English.
func ParseLang(tag string) (Lang, error) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	switch {
	case t == "" || t == "en" || strings.HasPrefix(t, "en-"):
		return English, nil
	case t == "zh-tw" || t == "zh-hant" || strings.HasPrefix(t, "zh-hant-"):
		return TraditionalChinese, nil
	}
	return "", fmt.Errorf("explain: language %q: %w (have en, zh-TW)", tag, ErrUnknownLang)
}

// catalogs maps each language to its message table.
var catalogs = map[Lang]map[string]string{
	English:            msgEN,
	TraditionalChinese: msgZH,
}

// Msg returns message id in lang with its {placeholders} replaced by args,
// given as name, value pairs. A missing id falls back to English, then to
// the id itself, so a gap shows instead of vanishing; TestCatalogs keeps the
// tables complete.
func Msg(lang Lang, id string, args ...any) string {
	tmpl, ok := catalogs[lang][id]
	if !ok {
		if tmpl, ok = msgEN[id]; !ok {
			return id
		}
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+1 : i+j]
		found := false
		for k := 0; k+1 < len(args); k += 2 {
			if args[k] == name {
				fmt.Fprint(&b, args[k+1])
				found = true
				break
			}
		}
		if !found {
			b.WriteString(tmpl[i : i+j+1])
		}
		tmpl = tmpl[i+j+1:]
	}
	return b.String()
}

// MessageIDs returns the ids of the message catalogs (every language has
// the same ones), sorted.
func MessageIDs() []string {
	return slices.Sorted(maps.Keys(msgEN))
}

// placeholders returns the {names} in a template, sorted and deduplicated.
func placeholders(tmpl string) []string {
	seen := map[string]bool{}
	var out []string
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			break
		}
		name := tmpl[i+1 : i+j]
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
		tmpl = tmpl[i+j+1:]
	}
	return out
}
