package check

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/check/proc"
	"github.com/tcplab/tcplab/internal/labproto"
)

// serverCheck is one step of the server checks; it may report several
// results (the in-range exchanges give reply, close and lines).
type serverCheck struct {
	id  string
	run func(ctx context.Context, s *target) []Result
}

// serverChecks are the server checks in the order they run.
var serverChecks = []serverCheck{
	{"start", checkStart},
	{"in-range", checkInRange},
	{"out-of-range", checkOutOfRange},
	{"empty", badInput("empty", nil, talkOptions{halfClose: true})},
	{"no-comma", badInput("no-comma", []byte("Client of Louis 42"), talkOptions{})},
	{"not-number", badInput("not-number", []byte("Client of Louis,forty-two"), talkOptions{})},
	{"name-commas", wantAnswer("name-commas", []byte("李,旼學, Client,7"), talkOptions{}, 7)},
	{"junk", badInput("junk", bytes.Repeat([]byte("junk "), 410), talkOptions{})},
	{"invalid-utf8", badInput("invalid-utf8", []byte("Client of \xff\xfe Louis,42"), talkOptions{})},
	{"pieces", wantAnswer("pieces", []byte("Client of "), talkOptions{pieces: [][]byte{[]byte("Louis,"), []byte("42")}, pause: pieceGap}, 42)},
	{"half-close", wantAnswer("half-close", []byte("Client of Louis,42"), talkOptions{halfClose: true}, 42)},
	{"reset", checkReset},
	{"no-read", checkNoRead},
	{"idle-client", checkIdleClient},
	{"burst", checkBurst},
	{"latency", checkLatency},
}

// ServerCheckIDs lists the server checks' ids in the order they run.
func ServerCheckIDs() []string {
	var ids []string
	for _, c := range serverChecks {
		if c.id == "in-range" {
			ids = append(ids, "reply", "close", "lines")
			continue
		}
		ids = append(ids, c.id)
	}
	return ids
}

func checkStart(_ context.Context, s *target) []Result {
	if !s.owned() {
		return []Result{{ID: "start", Status: Skip, Reason: s.msg("start.notowned", "addr", s.addr)}}
	}
	return []Result{{ID: "start", Status: Pass, Reason: s.msg("start.ok", "addr", s.addr)}}
}

// request returns the lab's request for n.
func request(n int) []byte {
	return labproto.AppendRequest(nil, labproto.DefaultClientName, strconv.Itoa(n))
}

// quote shows bytes for a report line, cut at 60.
func quote(b []byte) string {
	if len(b) > 60 {
		return strconv.Quote(string(b[:60])) + "…"
	}
	return strconv.Quote(string(b))
}

// replyProblem says what is wrong with a reply to an in-range request,
// or "" when it is "<name>,<1..100>" exactly.
func (s *target) replyProblem(b []byte) string {
	if bytes.HasSuffix(b, []byte("\n")) {
		return s.msg("reply.newline", "reply", quote(b))
	}
	m, err := labproto.ParseReply(b)
	if err != nil || len(m.Name) == 0 || strings.TrimSpace(string(m.Number)) != string(m.Number) {
		return s.msg("reply.malformed", "reply", quote(b))
	}
	if !m.InRange() {
		return s.msg("reply.range", "reply", quote(b))
	}
	return ""
}

// story is a detail line: what was sent and what came back.
func (s *target) story(t *talk) string {
	switch {
	case t.DialErr != nil:
		return s.msg("story.nodial", "sent", quote(t.Sent), "err", t.DialErr)
	case t.answered() && t.Closed:
		return s.msg("story.reply.closed", "sent", quote(t.Sent), "reply", quote(t.Reply))
	case t.answered():
		return s.msg("story.reply.open", "sent", quote(t.Sent), "reply", quote(t.Reply))
	case t.Closed:
		return s.msg("story.closed", "sent", quote(t.Sent))
	case t.Reset:
		return s.msg("story.reset", "sent", quote(t.Sent))
	}
	return s.msg("story.open", "sent", quote(t.Sent), "wait", t.Wait)
}

// fail sets r to failed with reason and hint, unless it already failed.
func fail(r *Result, reason, hint string) {
	if r.Status == Fail {
		return
	}
	r.Status, r.Reason, r.Hint = Fail, reason, hint
}

func checkInRange(ctx context.Context, s *target) []Result {
	reply := Result{ID: "reply", Status: Pass, Reason: s.msg("reply.ok")}
	closed := Result{ID: "close", Status: Pass, Reason: s.msg("close.ok")}
	lines := Result{ID: "lines", Status: Pass, Reason: s.msg("lines.ok")}
	if !s.owned() {
		lines.Status, lines.Reason = Skip, s.msg("lines.notowned")
	}
	answered := false
	for _, n := range []int{1, 42, 100} {
		before := 0
		if s.p != nil {
			before = len(s.p.Stdout())
		}
		t := exchange(ctx, s.addr, request(n), talkOptions{})
		reply.Details = append(reply.Details, s.story(t))
		switch {
		case t.DialErr != nil:
			fail(&reply, s.msg("reply.nodial", "n", n, "err", t.DialErr), s.msg("reply.nodial.hint"))
			continue
		case !t.answered():
			fail(&reply, s.msg("reply.none", "n", n), s.msg("reply.none.hint"))
			continue
		}
		answered = true
		if p := s.replyProblem(t.Reply); p != "" {
			fail(&reply, s.msg("reply.bad", "n", n, "problem", p), s.msg("reply.bad.hint"))
		}
		if !t.Closed {
			fail(&closed, s.msg("close.open", "n", n, "wait", replyTimeout), s.msg("close.hint"))
		}
		if s.owned() {
			s.checkLines(ctx, &lines, n, t.Reply, before)
		}
	}
	if !answered {
		for _, r := range []*Result{&closed, &lines} {
			if r.Status == Pass {
				r.Status, r.Reason = Skip, s.msg("skip.noreply")
			}
		}
	}
	return []Result{reply, closed, lines}
}

// lineKeys are the original server's lines, normalised: lowercase, no
// '_' or space.
var lineKeys = []string{"clientname", "servername", "clientnumber", "servernumber", "sum"}

// checkLines checks what the server printed for the exchange of n that
// got reply, in its output from byte before on.
func (s *target) checkLines(ctx context.Context, r *Result, n int, reply []byte, before int) {
	got := map[string]string{}
	for end := 0; end < 100 && ctx.Err() == nil; end++ {
		got = parseLines(s.p.Stdout()[before:])
		if _, ok := got["sum"]; ok {
			break
		}
		sleep(ctx, 10e6)
	}
	m, err := labproto.ParseReply(bytes.TrimRight(reply, "\r\n"))
	if err != nil {
		return
	}
	if len(got) == 0 {
		if r.Status == Pass {
			r.Status, r.Reason, r.Hint = Warn, s.msg("lines.none", "n", n), s.msg("lines.none.hint")
		}
		return
	}
	want := []string{labproto.DefaultClientName, string(m.Name), strconv.Itoa(n), strings.TrimSpace(string(m.Number)), strconv.FormatInt(int64(n)+m.Value, 10)}
	for i, k := range lineKeys {
		v, ok := got[k]
		switch {
		case !ok:
			fail(r, s.msg("lines.missing", "n", n, "line", lineNames[i]), s.msg("lines.hint"))
		case v != want[i] && k == "sum":
			fail(r, s.msg("lines.sum", "n", n, "got", v, "a", n, "b", want[3], "want", want[4]), s.msg("lines.sum.hint"))
		case v != want[i]:
			fail(r, s.msg("lines.wrong", "n", n, "line", lineNames[i], "got", v, "want", want[i]), s.msg("lines.hint"))
		}
	}
}

// lineNames are the original server's line labels.
var lineNames = []string{"Client_name", "Server_name", "Client_number", "Server_number", "Sum"}

// parseLines reads "Key: value" lines into a map by normalised key; a
// key seen twice keeps its first value.
func parseLines(out string) map[string]string {
	got := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = strings.NewReplacer("_", "", " ", "").Replace(strings.ToLower(k))
		if _, seen := got[k]; !seen {
			got[k] = strings.TrimSpace(v)
		}
	}
	return got
}

func checkOutOfRange(ctx context.Context, s *target) []Result {
	r := Result{ID: "out-of-range", Status: Pass, Reason: s.msg("oor.ok")}
	for _, n := range []int{0, 101, -5, 1000} {
		if err := s.ensure(ctx); err != nil {
			fail(&r, s.msg("skip.notrunning", "err", err), "")
			break
		}
		t := exchange(ctx, s.addr, request(n), talkOptions{})
		r.Details = append(r.Details, s.story(t))
		switch {
		case t.DialErr != nil:
			fail(&r, s.msg("reply.nodial", "n", n, "err", t.DialErr), s.msg("reply.nodial.hint"))
		case t.answered():
			fail(&r, s.msg("oor.answered", "n", n, "reply", quote(t.Reply)), s.msg("oor.hint"))
		case !t.Closed && !t.Reset:
			fail(&r, s.msg("oor.open", "n", n, "wait", replyTimeout), s.msg("close.hint"))
		default:
			if why := s.survives(ctx, &r); why != "" {
				fail(&r, s.msg("oor.died", "n", n, "why", why), s.msg("oor.died.hint"))
			}
		}
	}
	return []Result{r}
}

// survives checks that the server still serves a client after a check
// and returns "" or why not. It adds the follow-up's story to r.
func (s *target) survives(ctx context.Context, r *Result) string {
	if s.p != nil && s.p.Wait(50*time.Millisecond) {
		return s.exited()
	}
	t := exchange(ctx, s.addr, request(42), talkOptions{})
	r.Details = append(r.Details, s.msg("next", "story", s.story(t)))
	if t.answered() {
		return ""
	}
	// A refused or unanswered follow-up often means the server is on its
	// way out: say so when it exits within a moment.
	if s.p != nil && s.p.Wait(300*time.Millisecond) {
		return s.exited()
	}
	return s.msg("died.noanswer", "wait", replyTimeout)
}

// exited says how the server ended, with the last line it printed on
// standard error (a traceback's last line names the exception).
func (s *target) exited() string {
	e := s.p.Exit()
	if l := proc.LastLine(s.p.Stderr()); l != "" {
		return s.msg("died.exit.line", "exit", e, "line", l)
	}
	return s.msg("died.exit", "exit", e)
}

// badInput is a check that sends req (nil: nothing at all) and wants the
// server to survive it.
func badInput(id string, req []byte, o talkOptions) func(context.Context, *target) []Result {
	return func(ctx context.Context, s *target) []Result {
		r, _ := s.sendBad(ctx, id, req, o)
		return []Result{r}
	}
}

// sendBad sends req and checks that the server survives it.
func (s *target) sendBad(ctx context.Context, id string, req []byte, o talkOptions) (Result, *talk) {
	r := Result{ID: id, Status: Pass}
	t := exchange(ctx, s.addr, req, o)
	r.Details = append(r.Details, s.story(t))
	if t.DialErr != nil {
		fail(&r, s.msg("bad.nodial", "err", t.DialErr), s.msg("reply.nodial.hint"))
		return r, t
	}
	if why := s.survives(ctx, &r); why != "" {
		fail(&r, s.msg("bad.died", "what", s.msg("what."+id), "why", why), s.msg("hint."+id))
		return r, t
	}
	r.Reason = s.msg("bad.ok", "what", s.msg("what."+id))
	return r, t
}

// wantAnswer is badInput for a request the lab's server should answer
// (its number is n): surviving without answering is a warning.
func wantAnswer(id string, req []byte, o talkOptions, n int) func(context.Context, *target) []Result {
	return func(ctx context.Context, s *target) []Result {
		r, t := s.sendBad(ctx, id, req, o)
		switch {
		case r.Status != Pass:
		case t.answered() && s.replyProblem(t.Reply) == "":
			r.Reason = s.msg("bad.ok.answered", "what", s.msg("what."+id))
		default:
			r.Status, r.Reason, r.Hint = Warn, s.msg("bad.noanswer", "what", s.msg("what."+id), "n", n), s.msg("hint."+id)
		}
		return []Result{r}
	}
}
