package check

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"
)

// pieceGap is the pause between the pieces of a request sent in pieces:
// long enough for a server to read the first piece alone.
const pieceGap = 200 * time.Millisecond

// Bounds of the load checks.
const (
	burstClients    = 16
	burstWait       = 5 * time.Second
	stallThreshold  = 900 * time.Millisecond // a SYN retransmission waits 1 s
	latencyCount    = 200
	latencyWorkers  = 4
	latencyDeadline = 10 * time.Second
	latencySlow     = 500 * time.Millisecond
)

func checkReset(ctx context.Context, s *target) []Result {
	r := Result{ID: "reset", Status: Pass}
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		fail(&r, s.msg("bad.nodial", "err", err), s.msg("reply.nodial.hint"))
		return []Result{r}
	}
	c.Write([]byte("Client of Lo"))
	sleep(ctx, 50*time.Millisecond)
	resetConn(c)
	r.Details = append(r.Details, s.msg("story.rst", "sent", quote([]byte("Client of Lo"))))
	if why := s.survives(ctx, &r); why != "" {
		fail(&r, s.msg("bad.died", "what", s.msg("what.reset"), "why", why), s.msg("hint.reset"))
		return []Result{r}
	}
	r.Reason = s.msg("bad.ok", "what", s.msg("what.reset"))
	return []Result{r}
}

func checkNoRead(ctx context.Context, s *target) []Result {
	r := Result{ID: "no-read", Status: Pass}
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		fail(&r, s.msg("bad.nodial", "err", err), s.msg("reply.nodial.hint"))
		return []Result{r}
	}
	defer c.Close()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(1)
	}
	c.Write(request(42))
	r.Details = append(r.Details, s.msg("story.noread", "sent", quote(request(42))))
	if why := s.survives(ctx, &r); why != "" {
		fail(&r, s.msg("bad.died", "what", s.msg("what.no-read"), "why", why), s.msg("hint.no-read"))
		return []Result{r}
	}
	r.Reason = s.msg("bad.ok", "what", s.msg("what.no-read"))
	return []Result{r}
}

func checkIdleClient(ctx context.Context, s *target) []Result {
	r := Result{ID: "idle-client", Status: Pass, Reason: s.msg("idle.ok")}
	d := net.Dialer{Timeout: dialTimeout}
	idle, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		fail(&r, s.msg("bad.nodial", "err", err), s.msg("reply.nodial.hint"))
		return []Result{r}
	}
	defer idle.Close()
	t := exchange(ctx, s.addr, request(42), talkOptions{})
	r.Details = append(r.Details, s.msg("idle.story", "story", s.story(t)))
	if !t.answered() {
		fail(&r, s.msg("idle.fail", "wait", replyTimeout), s.msg("idle.hint"))
	}
	return []Result{r}
}

func checkBurst(ctx context.Context, s *target) []Result {
	r := Result{ID: "burst", Status: Pass}
	talks := make([]*talk, burstClients)
	var wg sync.WaitGroup
	for i := range talks {
		wg.Go(func() {
			talks[i] = exchange(ctx, s.addr, request(i+1), talkOptions{wait: burstWait, dial: burstWait})
		})
	}
	wg.Wait()
	answered, stalled := 0, 0
	for _, t := range talks {
		if t.answered() {
			answered++
		}
		if t.Took >= stallThreshold {
			stalled++
		}
		r.Details = append(r.Details, s.msg("burst.story", "ms", ms(t.Took), "story", s.story(t)))
	}
	switch {
	case answered < burstClients:
		fail(&r, s.msg("burst.unanswered", "n", burstClients, "ok", answered, "stalled", stalled), s.msg("burst.hint"))
	case stalled > 0:
		fail(&r, s.msg("burst.stalled", "n", burstClients, "stalled", stalled), s.msg("burst.hint"))
	default:
		r.Reason = s.msg("burst.ok", "n", burstClients, "max", ms(slices.MaxFunc(talks, func(a, b *talk) int { return int(a.Took - b.Took) }).Took))
	}
	return []Result{r}
}

func checkLatency(ctx context.Context, s *target) []Result {
	r := Result{ID: "latency", Status: Pass}
	ctx, cancel := context.WithTimeout(ctx, latencyDeadline)
	defer cancel()
	var mu sync.Mutex
	var took []time.Duration
	failed, next := 0, 0
	var wg sync.WaitGroup
	for range latencyWorkers {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == latencyCount || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				next++
				n := next%100 + 1
				mu.Unlock()
				t := exchange(ctx, s.addr, request(n), talkOptions{})
				mu.Lock()
				if t.answered() {
					took = append(took, t.Took)
				} else {
					failed++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(took)
	done := len(took) + failed
	if len(took) == 0 {
		fail(&r, s.msg("latency.none", "n", done), s.msg("latency.hint"))
		return []Result{r}
	}
	p50, p99 := quantile(took, 0.5), quantile(took, 0.99)
	args := []any{"n", done, "workers", latencyWorkers, "p50", ms(p50), "p99", ms(p99), "failed", failed}
	switch {
	case failed > 0:
		fail(&r, s.msg("latency.failed", args...), s.msg("latency.hint"))
	case p99 >= latencySlow:
		r.Status, r.Reason, r.Hint = Warn, s.msg("latency.slow", args...), s.msg("burst.hint")
	default:
		r.Reason = s.msg("latency.ok", args...)
	}
	return []Result{r}
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms formats a duration in milliseconds for a reason.
func ms(d time.Duration) string {
	v := float64(d) / 1e6
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
