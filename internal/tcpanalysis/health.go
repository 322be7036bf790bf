package tcpanalysis

import (
	"slices"

	"github.com/tcplab/tcplab/internal/decode"
)

// Health is what a conversation's segments say about how well it went,
// each way: kept only by an Analyzer whose health is on (SetHealth), so
// that a listing that does not print it pays nothing for it (not even
// the memory: Stream.Health is nil then). Index 0 of
// each pair is the client→server direction of data, 1 server→client
// (the client as Stream.Client says).
type Health struct {
	// RetransBytes counts the payload bytes sent again: bytes of
	// sequence space a segment carried that an earlier segment of the
	// capture had carried already (Stream.BytesC2S and BytesS2C count
	// each byte once; the two add up to all the payload sent).
	RetransBytes [2]uint64
	// RTT summarises tshark's tcp.analysis.ack_rtt over the ACKs that
	// acknowledge the direction's data (the ACKs travel the other way).
	RTT [2]RTTStats
	// MaxInFlight is the largest tcp.analysis.bytes_in_flight of the
	// direction's segments.
	MaxInFlight [2]uint32

	// zeroStart is when the direction's receiver advertised a zero
	// window, while zeroOpen says it has not opened it since; zeroTime
	// sums the closed stalls (see ZeroWindow).
	zeroStart [2]int64
	zeroTime  [2]int64
	zeroOpen  [2]bool

	hist history
}

// RTTStats summarises round-trip times in nanoseconds.
type RTTStats struct {
	N             uint64
	Min, Max, Sum int64
}

// Avg returns the mean, rounded to the nanosecond; 0 without samples.
func (s RTTStats) Avg() int64 {
	if s.N == 0 {
		return 0
	}
	return (s.Sum + int64(s.N/2)) / int64(s.N)
}

func (s *RTTStats) add(ns int64) {
	if s.N == 0 || ns < s.Min {
		s.Min = ns
	}
	if s.N == 0 || ns > s.Max {
		s.Max = ns
	}
	s.N++
	s.Sum += ns
}

// ZeroWindow returns, in nanoseconds, how long the receiver of direction
// d (0 client→server, 1 server→client) advertised a zero window: from
// each segment tshark flags tcp.analysis.zero_window to that receiver's
// next segment with a window above zero, or to the conversation's last
// segment when none came.
func (s *Stream) ZeroWindow(d int) int64 {
	h := s.Health
	if h == nil {
		return 0
	}
	t := h.zeroTime[d&1]
	if h.zeroOpen[d&1] {
		t += s.LastTime - h.zeroStart[d&1]
	}
	return t
}

// History returns the conversation's history in the letters of Zeek's
// conn.log (see history), or "" when the Analyzer kept no health.
func (s *Stream) History() string {
	return string(s.AppendHistory(nil))
}

// AppendHistory appends the history's letters to dst.
func (s *Stream) AppendHistory(dst []byte) []byte {
	if s.Health == nil {
		return dst
	}
	h := &s.Health.hist
	return append(append(dst, h.buf[:h.n]...), h.more...)
}

// startHealth readies the stream's Health at its first segment: it is
// allocated once and kept for the conversations that reuse the stream's
// memory. The history starts with ^ when that segment came from the
// server.
func (s *Stream) startHealth() {
	if s.Health == nil {
		s.Health = new(Health)
	}
	if s.Client != s.First {
		s.Health.hist.add(0, histFlipped)
	}
}

// addHealth accounts for segment r of the stream, from the server when
// fromServer, at ts: RTT, bytes in flight, zero window and history.
func (s *Stream) addHealth(r *Result, p *decode.Packet, fromServer bool, ts int64) {
	h := s.Health
	d, o := 0, 1 // the direction of r's data, and the other
	if fromServer {
		d, o = 1, 0
	}
	if !r.Stopped() {
		if r.AckedFrame != 0 && r.AckRTT != 0 {
			h.RTT[o].add(r.AckRTT)
		}
		h.MaxInFlight[d] = max(h.MaxInFlight[d], r.BytesInFlight)
	}
	if r.BogusHeaderLen {
		return
	}
	// r's sender is the receiver of direction o: its window says
	// whether o may send.
	flags := r.TCPFlags
	switch {
	case r.WinRaw == 0 && flags&(decode.FlagSYN|decode.FlagFIN|decode.FlagRST) == 0:
		if !h.zeroOpen[o] {
			h.zeroOpen[o], h.zeroStart[o] = true, ts
		}
	case r.WinRaw != 0 && h.zeroOpen[o]:
		h.zeroOpen[o] = false
		h.zeroTime[o] += ts - h.zeroStart[o]
	}
	// Zeek drops a segment whose header (options included) the capture
	// cut before it takes any note of it.
	if len(p.TCP) >= p.TCP.HeaderLen() {
		s.historyOf(r, d)
	}
}

// historyOf adds the letters of segment r, from side d (0 the client, 1
// the server), to the history.
func (s *Stream) historyOf(r *Result, d int) {
	h := &s.Health.hist
	flags := r.TCPFlags
	h.flags(d, flags, r.SeqRaw, r.Len)
	h.window(d, r.WinRaw, flags, s.finOf(1-d), s.rstOf(d))
	h.rxmit(d, r.SeqRaw, r.Len, flags)
	if flags&decode.FlagFIN != 0 && r.HaveLen {
		end := r.Seq + r.Len
		if flags&decode.FlagSYN != 0 {
			end++
		}
		h.fin(d, end)
	}
	if flags&decode.FlagACK == 0 || flags&decode.FlagRST != 0 || !r.HaveLen {
		return
	}
	// Zeek reports a content gap only while both ends are established
	// or closing cleanly: after SYN and SYN/ACK, before any RST.
	if s.synSeen && s.synAckSeen && !s.rstC && !s.rstS {
		cov := &s.covC2S
		if d == 0 {
			cov = &s.covS2C
		}
		h.acked(1-d, r.Ack, cov)
	}
}

func (s *Stream) finOf(d int) bool {
	if d == 0 {
		return s.finC
	}
	return s.finS
}

func (s *Stream) rstOf(d int) bool {
	if d == 0 {
		return s.rstC
	}
	return s.rstS
}

// The letters of Zeek's history, as the originator's (upper case); the
// responder's are the same in lower case (history.letter).
const (
	histSYN     = 'S'
	histSYNACK  = 'H'
	histACK     = 'A'
	histData    = 'D'
	histFIN     = 'F'
	histRST     = 'R'
	histGap     = 'G'
	histRxmit   = 'T'
	histZeroWin = 'W'
	histFINRST  = 'I'
	histMulti   = 'Q'
	histFlipped = '^'
)

// The bits of history.seen, one set per side (shifted by 8 for the
// responder): a letter of this kind was recorded.
const (
	seenSYN = 1 << iota
	seenFIN
	seenRST
	seenData
	seenACK
	seenFINRST
	seenMulti
)

// The scaled letters' counters (history.count).
const (
	scaledRxmit = iota
	scaledZeroWin
	scaledGap
	numScaled
)

// inlineHistory is how many letters a history holds in place; a longer
// one (several RSTs with different sequence numbers, say) continues in
// more, which is allocated then.
const inlineHistory = 24

// history is Zeek's conn.log history of a conversation (documented in
// Zeek's base/protocols/conn/main.zeek): a letter for each kind of
// event, upper case for the originator (tcplab's client) and lower case
// for the responder. SYN (S), SYN/ACK (H), FIN (F) and RST (R) are
// recorded again when their sequence number differs from the last one
// of their kind; a pure ACK (A), data (D), FIN with RST (I) and SYN
// with FIN or RST (Q) once each way; retransmissions (T), zero windows
// (W) and content gaps (G) at their 1st, 10th, 100th... occurrence. ^
// marks where the roles were flipped. Checksums are not checked, as
// with zeek -C (Linux leaves loopback and offloaded checksums
// unfilled), so C never appears.
type history struct {
	n    uint8
	buf  [inlineHistory]byte
	more []byte
	seen uint16
	// The last sequence numbers of SYN, FIN (after the FIN's data) and
	// RST, each side, and the side's highest sequence number sent.
	lastSYN, lastFIN, lastRST [2]uint32
	top                       [2]uint32
	topSet                    [2]bool
	count, next               [2][numScaled]uint32
	// delivered is, for each side's data, the unwrapped relative
	// sequence number up to which the peer's ACKs have been checked for
	// gaps; finEnd the relative number after its FIN's data.
	delivered [2]uint64
	finEnd    [2]uint32
	finSet    [2]bool
}

// add appends letter c (upper case) for side d.
func (h *history) add(d int, c byte) {
	if d == 1 && c != histFlipped {
		c += 'a' - 'A'
	}
	if int(h.n) < inlineHistory {
		h.buf[h.n] = c
		h.n++
		return
	}
	h.more = append(h.more, c)
}

// once appends c for side d unless a letter of kind bit was recorded
// for it, and reports whether one was.
func (h *history) once(d int, bit uint16, c byte) bool {
	bit <<= 8 * d
	if h.seen&bit != 0 {
		return true
	}
	h.seen |= bit
	h.add(d, c)
	return false
}

// scaled counts one event of kind k for side d and appends c at the
// 1st, 10th, 100th... of them.
func (h *history) scaled(d, k int, c byte) {
	h.count[d][k]++
	if h.next[d][k] == 0 {
		h.next[d][k] = 1
	}
	if h.count[d][k] == h.next[d][k] {
		h.add(d, c)
		if h.next[d][k] <= ^uint32(0)/10 {
			h.next[d][k] *= 10
		} else {
			h.next[d][k] = ^uint32(0)
		}
	}
}

// flags records a segment's flags as Zeek's update_history does: with
// more than one of SYN, FIN and RST, I (FIN and RST) or Q; with one, S
// or H, F or R, again when its sequence number differs from the last
// one's; with none, D for data or else A for an ACK.
func (h *history) flags(d int, flags uint16, seq, n uint32) {
	syn, fin, rst := flags&decode.FlagSYN != 0, flags&decode.FlagFIN != 0, flags&decode.FlagRST != 0
	switch b2i(syn) + b2i(fin) + b2i(rst) {
	case 0:
		if n != 0 {
			h.once(d, seenData, histData)
		} else if flags&decode.FlagACK != 0 {
			h.once(d, seenACK, histACK)
		}
	case 1:
		switch {
		case syn:
			c := byte(histSYN)
			if flags&decode.FlagACK != 0 {
				c = histSYNACK
			}
			if h.once(d, seenSYN, c) && seq != h.lastSYN[d] {
				h.add(d, c)
			}
			h.lastSYN[d] = seq
		case fin:
			if h.once(d, seenFIN, histFIN) && seq+n != h.lastFIN[d] {
				h.add(d, histFIN)
			}
			h.lastFIN[d] = seq + n
		default:
			if h.once(d, seenRST, histRST) && seq != h.lastRST[d] {
				h.add(d, histRST)
			}
			h.lastRST[d] = seq
		}
	default:
		if fin && rst {
			h.once(d, seenFINRST, histFINRST)
		} else {
			h.once(d, seenMulti, histMulti)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// window records a zero window from side d as Zeek does: not on a RST,
// nor once the peer has sent a FIN (peerFIN) or d a RST (sentRST).
func (h *history) window(d int, win, flags uint16, peerFIN, sentRST bool) {
	if win == 0 && flags&decode.FlagRST == 0 && !peerFIN && !sentRST {
		h.scaled(d, scaledZeroWin, histZeroWin)
	}
}

// tooFar is how far (1 MiB) a SYN or RST may move a side's highest
// sequence number: Zeek does not trust a larger jump.
const tooFar = 1 << 20

// rxmit records a retransmission as Zeek does: a segment with payload
// that does not reach past the highest sequence number its side sent
// (SYN and FIN count one each). After its RST a side's numbers are not
// trusted.
func (h *history) rxmit(d int, seq, n uint32, flags uint16) {
	end := seq + n
	if flags&decode.FlagSYN != 0 {
		end++
	}
	if flags&decode.FlagFIN != 0 {
		end++
	}
	if !h.topSet[d] {
		h.top[d], h.topSet[d] = seq, true
	}
	delta := int32(end - h.top[d])
	switch {
	case flags&(decode.FlagSYN|decode.FlagRST) != 0 && (delta > tooFar || delta < -tooFar):
	case h.seen&(seenRST<<(8*d)) != 0:
	case delta > 0:
		h.top[d] = end
	case n > 0:
		h.scaled(d, scaledRxmit, histRxmit)
	}
}

// acked checks the data of side d (whose distinct bytes cov holds) up to
// ack, a relative acknowledgement number from its peer, for content
// gaps: each run of bytes the ACK passes that no segment carried is one
// (a FIN's own sequence number is not data).
func (h *history) acked(d int, ack uint32, cov *coverage) {
	if h.delivered[d] == 0 {
		h.delivered[d] = 1 // after the SYN
	}
	from := h.delivered[d]
	if h.finSet[d] && int32(ack-h.finEnd[d]) > 0 {
		ack = h.finEnd[d]
	}
	to := from + uint64(int64(int32(ack-uint32(from))))
	if int64(to-from) <= 0 {
		return
	}
	h.delivered[d] = to
	for range cov.holes(from, to) {
		h.scaled(d, scaledGap, histGap)
	}
}

// flip swaps the sides' state, as Zeek's endpoints swap when it flips
// the roles, and marks the flip with ^.
func (h *history) flip() {
	h.seen = h.seen>>8 | h.seen<<8
	swap := func(a *[2]uint32) { a[0], a[1] = a[1], a[0] }
	swap(&h.lastSYN)
	swap(&h.lastFIN)
	swap(&h.lastRST)
	swap(&h.top)
	swap(&h.finEnd)
	h.topSet[0], h.topSet[1] = h.topSet[1], h.topSet[0]
	h.finSet[0], h.finSet[1] = h.finSet[1], h.finSet[0]
	h.count[0], h.count[1] = h.count[1], h.count[0]
	h.next[0], h.next[1] = h.next[1], h.next[0]
	h.delivered[0], h.delivered[1] = h.delivered[1], h.delivered[0]
	h.add(0, histFlipped)
}

// fin notes where side d's FIN put the end of its data.
func (h *history) fin(d int, relEnd uint32) {
	h.finEnd[d], h.finSet[d] = relEnd, true
}

// holes returns the number of separate runs of [from, to) that no span
// covers.
func (c *coverage) holes(from, to uint64) int {
	i, _ := slices.BinarySearchFunc(c.spans, from, func(s span, v uint64) int {
		if s.hi <= v {
			return -1
		}
		return 1
	})
	n := 0
	at := from
	for ; i < len(c.spans) && at < to; i++ {
		sp := c.spans[i]
		if sp.lo > at {
			n++
		}
		at = max(at, sp.hi)
	}
	if at < to {
		n++
	}
	return n
}
