// Package graphtest makes TCP transfers for tests of the stream graphs and
// the phase detection: a small deterministic simulation of a Reno sender
// (slow start, congestion avoidance, fast retransmit and NewReno recovery,
// retransmission timeouts with exponential back-off) and a receiver that
// ACKs every segment with SACK blocks, over a path with a fixed delay and
// chosen losses. The frames it "captures" are real IPv4/TCP packets, which
// Segments runs through package decode and package tcpanalysis, so the
// graphs see what they would see in a capture file.
package graphtest

import (
	"container/heap"
	"context"
	"encoding/binary"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Config describes a transfer from client to server.
type Config struct {
	Bytes int           // payload to send; 0 means 200 segments
	MSS   int           // 0 means 1000
	RTT   time.Duration // the path's round trip; 0 means 20 ms
	// Gap is the time between back-to-back segments (the bottleneck's
	// serialization); 0 means 100 µs.
	Gap time.Duration
	// InitCwnd is the initial window in segments (0 means 2); Ssthresh
	// the initial slow-start threshold in bytes (0: unlimited).
	InitCwnd int
	Ssthresh int
	// RWin is the window the receiver advertises, in bytes (0 means
	// 1 MB); a multiple of 128 (the window scale is 7).
	RWin int
	// Lose maps a relative sequence number to how many of the segment's
	// transmissions the path drops: 1 loses the first, 2 also the first
	// retransmission (which then needs a timeout).
	Lose map[uint32]int
	// MinRTO is the smallest retransmission timeout; 0 means 200 ms.
	MinRTO time.Duration
	// AtReceiver captures at the server instead of the client: data as
	// it arrives, ACKs as they leave.
	AtReceiver bool
	// ZeroWindow, when For is not zero, makes the receiver's application
	// stop reading at At: the window it advertises shrinks to zero and
	// opens again For later.
	ZeroWindow struct{ At, For time.Duration }
}

// Frame is one captured packet: raw IPv4.
type Frame struct {
	Time int64 // nanoseconds since the first frame
	Data []byte
}

type evKind uint8

const (
	evData evKind = iota // a data segment reaches the receiver
	evAck                // an ACK reaches the sender
	evRTO                // the retransmission timer fires
	evOpen               // the receiver's application reads again
)

type event struct {
	t    int64
	kind evKind
	seq  uint32 // evData: the segment; evRTO: the timer's generation
	n    uint32
	ack  uint32
	win  uint32
	sack []streamgraph.Block
	id   int // tie-break: order of scheduling
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].id < q[j].id
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any     { o := *q; e := o[len(o)-1]; *q = o[:len(o)-1]; return e }

const (
	isnC = 1_000_000
	isnS = 5_000_000
	ws   = 7
)

// sim is the simulation's state.
type sim struct {
	cfg    Config
	q      queue
	frames []Frame
	order  int
	// Sender.
	una, nxt, high uint32 // relative; high: the highest sequence number sent
	total          uint32
	cwnd, ssthresh float64
	dup            int
	recovery       bool
	recover        uint32
	rto            int64
	backoff        int64
	timerGen       uint32
	nextSend       int64
	peerWin        uint32
	sent           map[uint32]int // transmissions per segment
	// Receiver.
	rcvNxt uint32
	ooo    map[uint32]uint32 // start → end of segments above rcvNxt
	last   uint32            // the segment that arrived last (for the first SACK block)
	closed bool              // the application stopped reading
	unread uint32
}

// Run simulates the transfer and returns the frames captured, in time
// order: the handshake, the data and its ACKs, then the FIN exchange.
func Run(cfg Config) []Frame {
	if cfg.MSS == 0 {
		cfg.MSS = 1000
	}
	if cfg.Bytes == 0 {
		cfg.Bytes = 200 * cfg.MSS
	}
	if cfg.RTT == 0 {
		cfg.RTT = 20 * time.Millisecond
	}
	if cfg.Gap == 0 {
		cfg.Gap = 100 * time.Microsecond
	}
	if cfg.InitCwnd == 0 {
		cfg.InitCwnd = 2
	}
	if cfg.RWin == 0 {
		cfg.RWin = 1 << 20
	}
	if cfg.MinRTO == 0 {
		cfg.MinRTO = 200 * time.Millisecond
	}
	s := &sim{cfg: cfg, una: 1, nxt: 1, high: 1, total: 1 + uint32(cfg.Bytes), rcvNxt: 1,
		cwnd: float64(cfg.InitCwnd * cfg.MSS), ssthresh: 1e12, sent: map[uint32]int{}, ooo: map[uint32]uint32{},
		backoff: 1, peerWin: uint32(cfg.RWin)}
	if cfg.Ssthresh > 0 {
		s.ssthresh = float64(cfg.Ssthresh)
	}
	s.rto = max(int64(cfg.MinRTO), 3*int64(cfg.RTT))
	half := int64(cfg.RTT) / 2

	// The handshake, as each end sees it.
	s.capture(0, half, true, decode.FlagSYN, 0, 0, 0, uint32(cfg.RWin), nil)
	s.capture(half, 2*half, false, decode.FlagSYN|decode.FlagACK, 0, 1, 0, uint32(cfg.RWin), nil)
	s.capture(2*half, 3*half, true, decode.FlagACK, 1, 1, 0, uint32(cfg.RWin), nil)
	if cfg.ZeroWindow.For > 0 {
		s.push(event{t: 2*half + int64(cfg.ZeroWindow.At), kind: evOpen, n: 0})
	}
	s.trySend(2 * half)
	for s.q.Len() > 0 {
		e := heap.Pop(&s.q).(event)
		switch e.kind {
		case evData:
			s.receive(e)
		case evAck:
			s.onAck(e)
		case evRTO:
			s.onRTO(e)
		case evOpen:
			s.onOpen(e)
		}
		if s.una == s.total && s.q.Len() == 0 {
			break
		}
	}
	// The close: FIN, FIN/ACK, ACK.
	t := s.lastTime() + int64(cfg.Gap)
	s.capture(t, t+half, true, decode.FlagFIN|decode.FlagACK, s.total, 1, 0, uint32(cfg.RWin), nil)
	s.capture(t+2*half, t+half, false, decode.FlagFIN|decode.FlagACK, 1, s.total+1, 0, uint32(cfg.RWin), nil)
	s.capture(t+2*half, t+3*half, true, decode.FlagACK, s.total+1, 2, 0, uint32(cfg.RWin), nil)
	slices.SortStableFunc(s.frames, func(a, b Frame) int {
		switch {
		case a.Time < b.Time:
			return -1
		case a.Time > b.Time:
			return 1
		}
		return 0
	})
	return s.frames
}

// push schedules e; events at the same time run in the order pushed.
func (s *sim) push(e event) {
	s.order++
	e.id = s.order
	heap.Push(&s.q, e)
}

func (s *sim) lastTime() int64 {
	var t int64
	for _, f := range s.frames {
		t = max(t, f.Time)
	}
	return t
}

// capture records a packet: from the client when fromClient, sent at
// sent and arriving at arrive; the capture point picks one of the two.
func (s *sim) capture(sent, arrive int64, fromClient bool, flags uint16, seq, ack, n, win uint32, sack []streamgraph.Block) {
	t := sent
	if fromClient == s.cfg.AtReceiver {
		t = arrive
	}
	s.frames = append(s.frames, Frame{Time: t, Data: packet(fromClient, flags, seq, ack, n, win, sack)})
}

func (s *sim) mss() uint32 { return uint32(s.cfg.MSS) }

func (s *sim) flight() uint32 { return s.high - s.una }

// trySend sends what the congestion and receive windows allow.
func (s *sim) trySend(now int64) {
	for s.nxt < s.total {
		n := min(s.mss(), s.total-s.nxt)
		wnd := min(uint32(s.cwnd), s.peerWin)
		if s.nxt+n-s.una > wnd {
			break
		}
		s.transmit(now, s.nxt, n, false)
		s.nxt += n
	}
}

// transmit sends the segment at seq of n bytes; a probe of a zero
// window does not count as sent data.
func (s *sim) transmit(now int64, seq, n uint32, probe bool) {
	t := max(now, s.nextSend)
	s.nextSend = t + int64(s.cfg.Gap)
	half := int64(s.cfg.RTT) / 2
	s.capture(t, t+half, true, decode.FlagACK|decode.FlagPSH, seq, 1, n, uint32(s.cfg.RWin), nil)
	if probe {
		s.push(event{t: t + half, kind: evData, seq: seq, n: n})
		return
	}
	s.sent[seq]++
	if s.sent[seq] > s.cfg.Lose[seq] {
		s.push(event{t: t + half, kind: evData, seq: seq, n: n})
	}
	if seq+n > s.high {
		s.high = seq + n
	}
	if s.timerGen == 0 || seq == s.una {
		s.armTimer(t)
	}
}

func (s *sim) armTimer(now int64) {
	s.timerGen++
	s.push(event{t: now + s.rto*s.backoff, kind: evRTO, seq: s.timerGen})
}

// window is the window the receiver advertises now.
func (s *sim) window() uint32 {
	w := uint32(s.cfg.RWin)
	if s.closed {
		w = sub(w, s.unread)
	}
	return w &^ (1<<ws - 1)
}

func sub(a, b uint32) uint32 {
	if b > a {
		return 0
	}
	return a - b
}

// receive handles a data segment at the receiver: it ACKs at once.
func (s *sim) receive(e event) {
	if s.closed && s.window() == 0 && e.seq >= s.rcvNxt {
		s.sendAck(e.t) // no room: the byte is dropped
		return
	}
	if e.seq >= s.rcvNxt {
		s.ooo[e.seq] = e.seq + e.n
		s.last = e.seq
	}
	for {
		end, ok := s.ooo[s.rcvNxt]
		if !ok {
			break
		}
		delete(s.ooo, s.rcvNxt)
		if s.closed {
			s.unread += end - s.rcvNxt
		}
		s.rcvNxt = end
	}
	s.sendAck(e.t)
}

func (s *sim) sendAck(t int64) {
	sack := s.sackBlocks()
	win := s.window()
	half := int64(s.cfg.RTT) / 2
	s.capture(t, t+half, false, decode.FlagACK, 1, s.rcvNxt, 0, win, sack)
	s.push(event{t: t + half, kind: evAck, ack: s.rcvNxt, win: win, sack: sack})
}

// sackBlocks returns up to three SACK blocks: the one holding the
// segment that arrived last first, then the others from the highest.
func (s *sim) sackBlocks() []streamgraph.Block {
	if len(s.ooo) == 0 {
		return nil
	}
	starts := make([]uint32, 0, len(s.ooo))
	for k := range s.ooo {
		starts = append(starts, k)
	}
	slices.Sort(starts)
	var blocks []streamgraph.Block
	for _, k := range starts {
		if n := len(blocks); n > 0 && blocks[n-1].Right == k {
			blocks[n-1].Right = s.ooo[k]
			continue
		}
		blocks = append(blocks, streamgraph.Block{Left: k, Right: s.ooo[k]})
	}
	slices.Reverse(blocks)
	for i, b := range blocks {
		if b.Left <= s.last && s.last < b.Right {
			blocks[0], blocks[i] = blocks[i], blocks[0]
			break
		}
	}
	return blocks[:min(3, len(blocks))]
}

func (s *sim) onAck(e event) {
	mss := float64(s.cfg.MSS)
	s.peerWin = e.win
	switch {
	case e.ack > s.una:
		acked := e.ack - s.una
		s.una = e.ack
		if s.nxt < s.una {
			s.nxt = s.una
		}
		s.dup = 0
		s.backoff = 1
		if s.recovery {
			if e.ack >= s.recover {
				s.recovery = false
				s.cwnd = s.ssthresh
			} else {
				// NewReno: a partial ACK resends the next hole.
				s.transmit(e.t, s.una, min(s.mss(), s.total-s.una), false)
				s.cwnd = s.cwnd - float64(acked) + mss
			}
		} else if s.cwnd < s.ssthresh {
			s.cwnd += mss
		} else {
			s.cwnd += mss * mss / s.cwnd
		}
		if s.una < s.high {
			s.armTimer(e.t)
		} else {
			s.timerGen++ // all acknowledged: stop the timer
		}
	case e.ack == s.una && s.una < s.high && e.win != 0:
		s.dup++
		if s.dup == 3 && !s.recovery {
			s.ssthresh = max(float64(s.flight())/2, 2*mss)
			s.cwnd = s.ssthresh + 3*mss
			s.recover = s.high
			s.recovery = true
			s.transmit(e.t, s.una, min(s.mss(), s.total-s.una), false)
		} else if s.recovery {
			s.cwnd += mss
		}
	}
	if s.peerWin == 0 && s.nxt < s.total && s.una == s.high {
		s.armTimer(e.t) // the persist timer
	}
	s.trySend(e.t)
}

func (s *sim) onRTO(e event) {
	if e.seq != s.timerGen {
		return
	}
	if s.peerWin == 0 && s.nxt < s.total {
		// The persist timer: probe the zero window with the next byte.
		s.transmit(e.t, s.nxt, 1, true)
		s.backoff *= 2
		s.armTimer(e.t)
		return
	}
	if s.una >= s.high {
		return
	}
	mss := float64(s.cfg.MSS)
	s.ssthresh = max(float64(s.flight())/2, 2*mss)
	s.cwnd = mss
	s.recovery = false
	s.dup = 0
	s.backoff *= 2
	s.nxt = s.una // go back N
	s.transmit(e.t, s.una, min(s.mss(), s.total-s.una), false)
	s.nxt = s.una + min(s.mss(), s.total-s.una)
}

func (s *sim) onOpen(e event) {
	if e.n == 0 {
		s.closed = true
		s.push(event{t: e.t + int64(s.cfg.ZeroWindow.For), kind: evOpen, n: 1})
		return
	}
	s.closed = false
	s.unread = 0
	s.sendAck(e.t) // a window update
}

// packet builds a raw IPv4/TCP packet between 10.0.0.1:40000 (the
// client) and 10.0.0.2:5001.
func packet(fromClient bool, flags uint16, seq, ack, n, win uint32, sack []streamgraph.Block) []byte {
	var opts []byte
	if flags&decode.FlagSYN != 0 {
		opts = []byte{decode.OptMSS, 4, 0x05, 0xb4, decode.OptSACKPerm, 2, decode.OptNOP, decode.OptWS, 3, ws}
		opts = append(opts, decode.OptNOP, decode.OptNOP)
	}
	if len(sack) > 0 {
		opts = append(opts, decode.OptNOP, decode.OptNOP, decode.OptSACK, byte(2+8*len(sack)))
		for _, b := range sack {
			opts = binary.BigEndian.AppendUint32(opts, b.Left+isnC)
			opts = binary.BigEndian.AppendUint32(opts, b.Right+isnC)
		}
	}
	for len(opts)%4 != 0 {
		opts = append(opts, decode.OptNOP)
	}
	hl := 20 + len(opts)
	total := 20 + hl + int(n)
	b := make([]byte, total)
	b[0], b[8], b[9] = 0x45, 64, decode.ProtoTCP
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	src, dst := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	sp, dp := uint16(40000), uint16(5001)
	isn, peer := uint32(isnC), uint32(isnS)
	if !fromClient {
		src, dst, sp, dp, isn, peer = dst, src, dp, sp, isnS, isnC
	}
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	t := b[20:]
	binary.BigEndian.PutUint16(t[0:], sp)
	binary.BigEndian.PutUint16(t[2:], dp)
	binary.BigEndian.PutUint32(t[4:], isn+seq)
	if flags&decode.FlagACK != 0 {
		binary.BigEndian.PutUint32(t[8:], peer+ack)
	}
	binary.BigEndian.PutUint16(t[12:], uint16(hl/4)<<12|flags)
	field := win
	if flags&decode.FlagSYN == 0 {
		field = win >> ws
	}
	binary.BigEndian.PutUint16(t[14:], uint16(min(field, 0xffff)))
	copy(t[20:], opts)
	return b
}

// Segments runs frames through decode and tcpanalysis and returns the
// stream's segments, as a capture file of them would give.
func Segments(frames []Frame) []streamgraph.Segment {
	an := tcpanalysis.New()
	var c streamgraph.Collector
	var p decode.Packet
	var r tcpanalysis.Result
	for i, f := range frames {
		if decode.Decode(decode.LinkIPv4, f.Data, &p) != nil {
			continue
		}
		if an.Analyze(uint32(i+1), f.Time, len(f.Data), &p, &r) {
			c.Add(f.Time, &p, &r)
		}
	}
	n, _ := c.Busiest()
	return c.Stream(n)
}

// ReadBusiest reads the capture file through the packet source (decode,
// reassembly, analysis) and returns the segments of its busiest stream.
func ReadBusiest(t testing.TB, file string) []streamgraph.Segment {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var c streamgraph.Collector
	src := packets.NewSource(packets.Options{})
	for p := range src.Read(context.Background(), rd) {
		if p.Analysed {
			c.Add(p.RelTime, &p.Decoded, &p.Result)
		}
	}
	if err := src.Err(); err != nil {
		t.Fatal(err)
	}
	n, ok := c.Busiest()
	if !ok {
		t.Fatalf("%s: no TCP segment", file)
	}
	return c.Stream(n)
}
