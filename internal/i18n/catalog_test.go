package i18n

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCatalogs checks that every language has every message id of the
// English table, no extra ones, and the same placeholders in each.
func TestCatalogs(t *testing.T) {
	for _, l := range languages {
		lang, cat := l.tag, l.messages
		for id, en := range msgEN {
			tr, ok := cat[id]
			if !ok {
				t.Errorf("%s: message %q missing", lang, id)
				continue
			}
			if tr == "" {
				t.Errorf("%s: message %q empty", lang, id)
			}
			a, b := placeholders(en), placeholders(tr)
			slices.Sort(a)
			slices.Sort(b)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("%s: message %q placeholders differ (-en +%s):\n%s", lang, id, lang, diff)
			}
		}
		for id := range cat {
			if _, ok := msgEN[id]; !ok {
				t.Errorf("%s: message %q is not in the English table", lang, id)
			}
		}
	}
}
