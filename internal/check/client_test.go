package check

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/i18n"
)

// TestClientThatHangs: a client that never connects nor ends is killed at
// the time limit, and the checks say so.
func TestClientThatHangs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	rep, err := CheckClient(ctx, ClientConfig{Command: []string{"sh", "-c", "sleep 300 # {port}"}, Limit: 300 * time.Millisecond, Lang: i18n.English})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("CheckClient took %v with a 300 ms limit per run", took)
	}
	got := results(rep)
	for id, want := range map[string]Status{"connect": Fail, "request": Skip, "lines": Skip, "sum": Skip, "exit": Fail, "no-reply": Fail} {
		if got[id].Status != want {
			t.Errorf("%s: %s (%s), want %s", id, got[id].Status, got[id].Reason, want)
		}
	}
	if r := got["no-reply"].Reason; !strings.Contains(r, "did not end within the time limit") {
		t.Errorf("no-reply reason %q, want it to say the client hung", r)
	}
	if r := got["exit"].Reason; !strings.Contains(r, "killed at the time limit") {
		t.Errorf("exit reason %q, want it to say the client was killed", r)
	}
}

// TestClientWrongSum: a client that adds wrongly and sends a newline
// fails sum and warns on request, and nothing else.
func TestClientWrongSum(t *testing.T) {
	script := `read n; exec 3<>/dev/tcp/127.0.0.1/$1 || exit 9
printf 'Client of Louis,%s\n' "$n" >&3
reply=$(head -c 100 <&3)
[ -z "$reply" ] && { echo "no reply: the server closed the connection" >&2; exit 1; }
num=${reply##*,}
echo "Client Name: Client of Louis"; echo "Server Name: ${reply%,*}"; echo "Client Number: $n"; echo "Server Number: $num"; echo "Sum: $((n + num + 1))"`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := CheckClient(ctx, ClientConfig{Command: []string{"bash", "-c", script, "client", "{port}"}, Lang: i18n.English})
	if err != nil {
		t.Fatal(err)
	}
	got := results(rep)
	if got["connect"].Status != Pass {
		t.Skipf("bash cannot connect with /dev/tcp here: %s", got["connect"].Reason)
	}
	for id, want := range map[string]Status{"request": Warn, "lines": Pass, "sum": Fail, "exit": Pass, "no-reply": Pass} {
		if got[id].Status != want {
			t.Errorf("%s: %s (%s), want %s", id, got[id].Status, got[id].Reason, want)
		}
	}
	if r := got["sum"].Reason; !strings.Contains(r, "printed Sum: ") || !strings.Contains(r, "42 + ") {
		t.Errorf("sum reason %q", r)
	}
}
