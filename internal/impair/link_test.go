package impair

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// frame returns an Ethernet frame carrying an IPv4 UDP packet whose
// payload starts with the 8-byte number id, padded to size bytes, with the
// given ECN codepoint and a correct header checksum.
func frame(id uint64, size int, ecn byte) []byte {
	b := make([]byte, max(size, 14+20+8+8))
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:34]
	ip[0] = 0x45
	ip[1] = ecn
	binary.BigEndian.PutUint16(ip[2:], uint16(len(b)-14))
	ip[8] = 64
	ip[9] = 17
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(ip[10:], ipv4Checksum(ip))
	binary.BigEndian.PutUint64(b[42:], id)
	return b
}

func frameID(b []byte) uint64 { return binary.BigEndian.Uint64(b[42:]) }

// run pushes n frames spaced by gap and pops everything, advancing the
// clock to each release time. It returns the popped frames' ids in order
// with their release times.
func run(t *testing.T, p Params, seed uint64, n int, gap time.Duration, size int) (*Link, []uint64, []time.Time) {
	t.Helper()
	l, err := NewLink(p, seed)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	var times []time.Time
	drain := func(now time.Time) {
		for {
			f, ok := l.Pop(now)
			if !ok {
				return
			}
			ids = append(ids, frameID(f))
			times = append(times, now)
		}
	}
	now := t0
	for i := range n {
		// Pop what is due before this arrival, each at its release time.
		for {
			next, ok := l.Next()
			if !ok || next.After(now) {
				break
			}
			drain(next)
		}
		l.Push(now, frame(uint64(i), size, 0))
		now = now.Add(gap)
	}
	for range 10 * (n + 1) { // bounded: every iteration pops at least one frame
		next, ok := l.Next()
		if !ok {
			break
		}
		drain(next)
	}
	if l.Len() != 0 {
		t.Fatalf("link still holds %d frames", l.Len())
	}
	return l, ids, times
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
	}
}

func TestNoImpairment(t *testing.T) {
	l, ids, times := run(t, Params{}, 1, 100, time.Millisecond, 100)
	for i, id := range ids {
		if id != uint64(i) || !times[i].Equal(t0.Add(time.Duration(i)*time.Millisecond)) {
			t.Fatalf("frame %d: id %d at %v, want id %d at once", i, id, times[i].Sub(t0), i)
		}
	}
	if diff := cmp.Diff(Stats{Received: 100, Forwarded: 100}, l.Stats()); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

func TestRandomLoss(t *testing.T) {
	const n = 100_000
	l, ids, _ := run(t, Params{Loss: 10}, 1, n, time.Microsecond, 64)
	st := l.Stats()
	within(t, "loss fraction", float64(st.DroppedLoss)/n, 0.10, 0.005) // σ ≈ 0.001
	if st.Forwarded != uint64(len(ids)) || st.Forwarded+st.DroppedLoss != n {
		t.Errorf("Stats = %+v, want forwarded %d + lost = %d", st, len(ids), n)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("loss reordered frames: %d after %d", ids[i], ids[i-1])
		}
	}
}

func TestLossIsDeterministic(t *testing.T) {
	_, a, _ := run(t, Params{Loss: 30, Reorder: 10, Dup: 10, Jitter: time.Millisecond}, 42, 1000, 100*time.Microsecond, 64)
	_, b, _ := run(t, Params{Loss: 30, Reorder: 10, Dup: 10, Jitter: time.Millisecond}, 42, 1000, 100*time.Microsecond, 64)
	_, c, _ := run(t, Params{Loss: 30, Reorder: 10, Dup: 10, Jitter: time.Millisecond}, 43, 1000, 100*time.Microsecond, 64)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different frames (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Errorf("seeds 42 and 43 gave the same frames")
	}
}

func TestGilbertElliott(t *testing.T) {
	const n = 200_000
	g := GE{P: 1, R: 25, LossBad: 100}
	l, ids, _ := run(t, Params{GE: &g}, 7, n, time.Microsecond, 64)
	st := l.Stats()
	within(t, "mean loss", float64(st.DroppedLoss)/n, g.MeanLoss(), 0.006) // ≈ 3.8%
	// Losses come in bursts: measure runs of consecutive lost ids.
	var bursts, lost int
	prev := uint64(0)
	for i, id := range ids {
		if i > 0 && id > prev+1 {
			bursts++
			lost += int(id - prev - 1)
		}
		prev = id
	}
	within(t, "mean burst length", float64(lost)/float64(bursts), 1/g.R.Prob(), 0.4) // 4 frames
	// Random loss at the same rate has bursts of about 1/(1-loss) ≈ 1.04.
}

func TestDuplication(t *testing.T) {
	const n = 50_000
	l, ids, _ := run(t, Params{Dup: 5}, 3, n, time.Microsecond, 64)
	st := l.Stats()
	within(t, "dup fraction", float64(st.Duplicated)/n, 0.05, 0.005)
	if len(ids) != n+int(st.Duplicated) {
		t.Errorf("popped %d frames, want %d + %d duplicates", len(ids), n, st.Duplicated)
	}
	dups := 0
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			dups++
		}
	}
	if dups != int(st.Duplicated) {
		t.Errorf("%d adjacent duplicates, want %d", dups, st.Duplicated)
	}
}

func TestDelayAndJitter(t *testing.T) {
	const n = 20_000
	delay, jitter := 20*time.Millisecond, 5*time.Millisecond
	l, err := NewLink(Params{Delay: delay, Jitter: jitter}, 9)
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	lo, hi := time.Hour, time.Duration(0)
	prev := uint64(0)
	gap := 10 * time.Millisecond // larger than the jitter range: order never constrains
	for i := range n {
		now := t0.Add(time.Duration(i) * gap)
		l.Push(now, frame(uint64(i), 64, 0))
		next, ok := l.Next()
		if !ok {
			t.Fatal("no frame held after Push")
		}
		if _, ok := l.Pop(next.Add(-1)); ok {
			t.Fatalf("frame %d popped before its release time", i)
		}
		f, ok := l.Pop(next)
		if !ok || frameID(f) != uint64(i) || (i > 0 && frameID(f) <= prev) {
			t.Fatalf("frame %d: Pop at release = %v, %v", i, ok, f != nil)
		}
		prev = frameID(f)
		d := next.Sub(now)
		sum += d
		lo, hi = min(lo, d), max(hi, d)
	}
	mean := sum / n
	within(t, "mean delay (ms)", float64(mean)/1e6, 20, 0.1)
	if lo < delay-jitter || hi > delay+jitter {
		t.Errorf("delays span %v..%v, want within %v..%v", lo, hi, delay-jitter, delay+jitter)
	}
	if hi-lo < 9*time.Millisecond {
		t.Errorf("delays span %v..%v: jitter is not spreading them", lo, hi)
	}
}

func TestJitterKeepsOrder(t *testing.T) {
	_, ids, times := run(t, Params{Delay: 10 * time.Millisecond, Jitter: 10 * time.Millisecond}, 5, 5000, 100*time.Microsecond, 64)
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 || times[i].Before(times[i-1]) {
			t.Fatalf("jitter reordered: %d at %v after %d at %v", ids[i], times[i], ids[i-1], times[i-1])
		}
	}
}

func TestReorder(t *testing.T) {
	const n = 50_000
	gap := 3 * time.Millisecond
	l, ids, _ := run(t, Params{Reorder: 5, ReorderGap: gap}, 11, n, 100*time.Microsecond, 64)
	st := l.Stats()
	within(t, "reorder fraction", float64(st.Reordered)/n, 0.05, 0.005)
	// A held-back frame is overtaken by the gap/spacing = 30 frames behind
	// it (less any also held back): count frames that arrive after a
	// frame with a higher id.
	late := 0
	maxID := uint64(0)
	for i, id := range ids {
		if i > 0 && id < maxID {
			late++
		}
		maxID = max(maxID, id)
	}
	if late != int(st.Reordered) {
		t.Errorf("%d frames arrived after a later one, want the %d reordered", late, st.Reordered)
	}
	if len(ids) != n {
		t.Errorf("popped %d frames, want %d", len(ids), n)
	}
}

func TestRateLimit(t *testing.T) {
	// 1000-byte frames at 8 mbit/s take 1 ms each on the wire.
	p := Params{Rate: 8_000_000, Queue: 10}
	l, err := NewLink(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A burst of 25 frames at one instant: 10 fit the queue, 15 are dropped.
	for i := range 25 {
		l.Push(t0, frame(uint64(i), 1000, 0))
	}
	st := l.Stats()
	if st.DroppedQueue != 15 || l.Len() != 10 {
		t.Fatalf("after a burst of 25: %d dropped, %d held; want 15, 10", st.DroppedQueue, l.Len())
	}
	for i := range 10 {
		next, _ := l.Next()
		if want := t0.Add(time.Duration(i+1) * time.Millisecond); !next.Equal(want) {
			t.Errorf("frame %d leaves at %v, want %v", i, next.Sub(t0), want.Sub(t0))
		}
		if f, ok := l.Pop(next); !ok || frameID(f) != uint64(i) {
			t.Fatalf("frame %d not popped in order", i)
		}
	}
	// Once the queue has drained half-way, half the queue is free again.
	l2, _ := NewLink(p, 1)
	for i := range 10 {
		l2.Push(t0, frame(uint64(i), 1000, 0))
	}
	now := t0.Add(5 * time.Millisecond) // five frames have left the queue
	for i := range 8 {
		l2.Push(now, frame(uint64(10+i), 1000, 0))
	}
	if got := l2.Stats().DroppedQueue; got != 3 {
		t.Errorf("pushing 8 into a queue with 5 free: %d dropped, want 3", got)
	}
}

func TestRateThroughput(t *testing.T) {
	// Offer 2× the rate for 2000 frames: the output runs at the rate.
	p := Params{Rate: 10_000_000, Queue: 1000} // 1250-byte frames: 1 ms each
	_, ids, times := run(t, p, 1, 2000, 500*time.Microsecond, 1250)
	if len(ids) < 1000 {
		t.Fatalf("only %d frames passed", len(ids))
	}
	elapsed := times[len(times)-1].Sub(times[0])
	rate := float64(len(ids)-1) * 1250 * 8 / elapsed.Seconds()
	within(t, "output rate (mbit/s)", rate/1e6, 10, 0.01)
}

func TestLimit(t *testing.T) {
	l, err := NewLink(Params{Delay: time.Second, Limit: 50}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 80 {
		l.Push(t0, frame(uint64(i), 64, 0))
	}
	if st := l.Stats(); st.DroppedLimit != 30 || l.Len() != 50 {
		t.Errorf("Stats = %+v, held %d; want 30 dropped, 50 held", st, l.Len())
	}
}

func TestECNMarking(t *testing.T) {
	const n = 20_000
	l, err := NewLink(Params{ECN: 10}, 13)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[byte]int{}
	for i := range n {
		ecn := []byte{ecnNotECT, ecnECT0, ecnECT1, ecnCE}[i%4]
		l.Push(t0, frame(uint64(i), 100, ecn))
		f, ok := l.Pop(t0)
		if !ok {
			t.Fatal("frame not forwarded")
		}
		ip := f[14:34]
		if ipv4Checksum(ip) != 0 {
			t.Fatalf("frame %d: bad IPv4 header checksum after marking", i)
		}
		got := ip[1] & 3
		switch {
		case ecn == ecnNotECT && got != ecnNotECT, ecn == ecnCE && got != ecnCE:
			t.Fatalf("frame %d: ECN %02b became %02b", i, ecn, got)
		case got == ecnCE && ecn != ecnCE:
			counts[ecn]++
		}
	}
	st := l.Stats()
	if st.Marked != uint64(counts[ecnECT0]+counts[ecnECT1]) {
		t.Errorf("Marked = %d, want %d", st.Marked, counts[ecnECT0]+counts[ecnECT1])
	}
	within(t, "ECT(0) marked fraction", float64(counts[ecnECT0])/(n/4), 0.10, 0.02)
	within(t, "ECT(1) marked fraction", float64(counts[ecnECT1])/(n/4), 0.10, 0.02)
}

func TestMarkCE(t *testing.T) {
	v6 := func(tc byte) []byte {
		b := make([]byte, 14+40)
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		b[14] = 0x60 | tc>>4
		b[15] = tc << 4
		return b
	}
	vlan := func(f []byte) []byte {
		b := append([]byte{}, f[:12]...)
		b = append(b, 0x81, 0x00, 0x00, 0x05)
		return append(b, f[12:]...)
	}
	tests := []struct {
		name   string
		in     []byte
		marked bool
		tos    func([]byte) byte
	}{
		{"ipv4 ect0", frame(1, 64, ecnECT0), true, func(b []byte) byte { return b[15] }},
		{"ipv4 ect1", frame(1, 64, ecnECT1), true, func(b []byte) byte { return b[15] }},
		{"ipv4 not-ect", frame(1, 64, ecnNotECT), false, func(b []byte) byte { return b[15] }},
		{"ipv4 ce", frame(1, 64, ecnCE), false, func(b []byte) byte { return b[15] }},
		{"ipv4 in vlan", vlan(frame(1, 64, ecnECT0)), true, func(b []byte) byte { return b[19] }},
		{"ipv6 ect0 dscp 46", v6(46<<2 | ecnECT0), true, func(b []byte) byte { return b[14]<<4 | b[15]>>4 }},
		{"ipv6 not-ect", v6(46 << 2), false, func(b []byte) byte { return b[14]<<4 | b[15]>>4 }},
		{"arp", append(make([]byte, 12), 0x08, 0x06, 0, 1), false, nil},
		{"short ipv4", frame(1, 64, ecnECT0)[:30], false, nil},
		{"short", []byte{1, 2, 3}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte{}, tt.in...)
			if got := markCE(b); got != tt.marked {
				t.Fatalf("markCE = %v, want %v", got, tt.marked)
			}
			if !tt.marked {
				if diff := cmp.Diff(tt.in, b); diff != "" {
					t.Errorf("unmarked frame changed (-want +got):\n%s", diff)
				}
				return
			}
			if tos := tt.tos(b); tos&3 != ecnCE || tos>>2 != tt.tos(tt.in)>>2 {
				t.Errorf("traffic class %08b after marking %08b, want DSCP kept and CE", tos, tt.tos(tt.in))
			}
			if ip, v := ipHeader(b); v == 4 && ipv4Checksum(ip) != 0 {
				t.Errorf("IPv4 header checksum wrong after marking")
			}
		})
	}
}

func TestPushPopDoesNotAllocate(t *testing.T) {
	l, err := NewLink(Params{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 1, Dup: 1, Reorder: 1, Rate: 1e9, ECN: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := frame(1, 1500, ecnECT0)
	now := t0
	step := func() {
		now = now.Add(100 * time.Microsecond)
		l.Push(now, f)
		for {
			if _, ok := l.Pop(now); !ok {
				break
			}
		}
	}
	for range 1000 { // warm up the buffer pool and heap
		step()
	}
	if a := testing.AllocsPerRun(1000, step); a != 0 {
		t.Errorf("Push+Pop allocates %v times per frame, want 0", a)
	}
}

func BenchmarkPushPop(b *testing.B) {
	l, err := NewLink(Params{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 1, Rate: 1e9}, 1)
	if err != nil {
		b.Fatal(err)
	}
	f := frame(1, 1500, ecnECT0)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(10 * time.Microsecond)
		l.Push(now, f)
		for {
			if _, ok := l.Pop(now); !ok {
				break
			}
		}
	}
}

// TestFates checks that the fates Observe reports add up to the link's
// counters and agree with what leaves: every copy taken leaves at its
// release time, nothing else leaves, and a reordered copy leaves after
// a later frame.
func TestFates(t *testing.T) {
	p := Params{Loss: 10, Dup: 10, Reorder: 10, Delay: 5 * time.Millisecond, Jitter: time.Millisecond, Rate: 50_000_000, Queue: 8}
	l, err := NewLink(p, 7)
	if err != nil {
		t.Fatal(err)
	}
	var sum Stats
	release := map[uint64][]time.Time{} // frame ID → release of each copy that leaves
	l.Observe(func(fr []byte, f *Fate) {
		sum.Received++
		if f.Lost {
			sum.DroppedLoss++
			if f.Copies != 0 {
				t.Errorf("frame %d lost with %d copies", frameID(fr), f.Copies)
			}
			return
		}
		if f.Copies == 2 {
			sum.Duplicated++
		}
		for _, c := range f.Copy[:f.Copies] {
			switch c.Dropped {
			case DropQueue:
				sum.DroppedQueue++
			case DropLimit:
				sum.DroppedLimit++
			default:
				if c.Reordered {
					sum.Reordered++
				}
				release[frameID(fr)] = append(release[frameID(fr)], c.Release)
			}
		}
	})
	start := time.Unix(1000, 0)
	now := start
	left := map[uint64]int{}
	for i := range 5000 {
		l.Push(now, frame(uint64(i), 1000, 0))
		now = now.Add(100 * time.Microsecond)
		for {
			f, ok := l.Pop(now)
			if !ok {
				break
			}
			left[frameID(f)]++
		}
	}
	for {
		next, ok := l.Next()
		if !ok {
			break
		}
		f, _ := l.Pop(next)
		left[frameID(f)]++
	}
	st := l.Stats()
	st.Forwarded, st.Marked = 0, 0
	if sum != st {
		t.Errorf("fates sum to %+v, the counters say %+v", sum, st)
	}
	for id, rs := range release {
		if left[id] != len(rs) {
			t.Errorf("frame %d: %d copies left, fates say %d", id, left[id], len(rs))
		}
	}
	for id, n := range left {
		if len(release[id]) != n {
			t.Errorf("frame %d left %d times, fates say %d", id, n, len(release[id]))
		}
	}
	if st.DroppedLoss == 0 || st.Duplicated == 0 || st.Reordered == 0 || st.DroppedQueue == 0 {
		t.Errorf("the run exercised too little: %+v", st)
	}
}
