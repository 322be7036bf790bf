package i18n_test

import (
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/i18n"
)

func TestMsg(t *testing.T) {
	got := i18n.Msg(i18n.English, "ack.one", "from", "the server", "to", "the client", "len", 19, "seq", 1, "ack", 20)
	want := "the server acknowledges: the client sent 19 bytes from Seq=1, so Ack = 1 + 19 = 20: every byte before 20 arrived."
	if got != want {
		t.Errorf("Msg(ack.one) = %q, want %q", got, want)
	}
	if got := i18n.Msg(i18n.English, "no.such.id"); got != "no.such.id" {
		t.Errorf("Msg(missing id) = %q, want the id", got)
	}
	if got := i18n.Msg(i18n.English, "ack.fin", "from", "x"); !strings.Contains(got, "{to}") {
		t.Errorf("Msg with a missing argument = %q, want the placeholder kept", got)
	}
}
