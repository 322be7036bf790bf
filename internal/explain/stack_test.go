package explain_test

import (
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
)

// TestNetstackWording: a conversation that ran on gVisor's netstack
// (demo --stack user) is explained with netstack's timeout, TIME_WAIT
// and Reno, not Linux's; any other keeps Linux's wording.
func TestNetstackWording(t *testing.T) {
	text := func(c conversation.Conversation, lang i18n.Lang) string {
		var b strings.Builder
		for _, s := range explain.Explain(&c, explain.Options{Lang: lang}).Sections {
			for _, p := range s.Paras {
				b.WriteString(p.Text + "\n")
			}
		}
		return b.String()
	}
	for _, lang := range i18n.Langs {
		linux := text(fixture.Joined(), lang)
		c := fixture.Joined()
		c.Stack = conversation.StackNetstack
		ns := text(c, lang)
		for _, id := range []string{"rtt.linux", "overview.both"} {
			if !strings.Contains(linux, i18n.Msg(lang, id)) {
				t.Errorf("%s: the Linux wording of %s is missing", lang, id)
			}
			if strings.Contains(ns, i18n.Msg(lang, id)) || !strings.Contains(ns, i18n.Msg(lang, id+".netstack")) {
				t.Errorf("%s: netstack's conversation is not told %s's netstack wording", lang, id)
			}
		}
		if !strings.Contains(ns, "netstack") || strings.Count(ns, "Linux") > strings.Count(linux, "Linux") {
			t.Errorf("%s: the netstack text speaks of Linux more than the Linux one", lang)
		}
	}
}
