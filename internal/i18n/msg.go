package i18n

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Msg returns message id in lang with its {placeholders} replaced by args,
// given as name, value pairs. A missing id falls back to the default
// language (English), then to the id itself, so a gap shows instead of
// vanishing; TestCatalogs keeps the tables complete.
func Msg(lang Lang, id string, args ...any) string {
	var tmpl string
	ok := false
	if l := lookup(lang); l != nil {
		tmpl, ok = l.messages[id]
	}
	if !ok {
		if tmpl, ok = languages[0].messages[id]; !ok {
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

// MsgN is Msg with the singular form id+".one" when n is 1 and the
// catalog has one.
func MsgN(lang Lang, id string, n int, args ...any) string {
	if n == 1 && Has(id+".one") {
		id += ".one"
	}
	return Msg(lang, id, args...)
}

// Has reports whether the catalog has message id.
func Has(id string) bool {
	_, ok := languages[0].messages[id]
	return ok
}

// MessageIDs returns the ids of the message catalogs (every language has
// the same ones), sorted.
func MessageIDs() []string {
	return slices.Sorted(maps.Keys(languages[0].messages))
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
