package listing

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

const followRule = "===================================================================\n"

// maxFollowPending bounds the bytes held per direction in segments that
// arrived beyond a gap, waiting for it to fill or for an ACK to pass it
// (a variable for the tests). A segment that would take a direction past
// it is not held: when the gap fills, its bytes are missing like those of
// a segment the capture lost, and they show as the missing bytes of a
// later gap mark if an ACK passes them, or not at all. tshark holds every
// such segment, so only then the two differ.
var maxFollowPending = 64 << 20

// follower rebuilds both directions of one stream's payload as
// `tshark -z follow,tcp,ascii,N` (Wireshark 4.0's follow tap) does:
//
//   - Each direction has a next expected sequence number, relative as
//     tcp.seq, taken from the first segment the tap sees that way (its
//     number plus one for a SYN) while it is still 0.
//   - A segment at the expected number is printed (its captured bytes)
//     and the number moves past it (by tcp.len, whatever the capture
//     kept); one that starts before it and ends after it is printed from
//     the expected number on; one that ends at or before it is dropped.
//   - A segment with bytes beyond the expected number is held. Once the
//     expected number moves, the held segments are taken in the order
//     they arrived: the first that starts at or before the expected
//     number is printed (its new bytes) or dropped (none new), again
//     until none fits.
//   - When the peer's acknowledgement number passes the lowest held
//     segment's start, the capture lost bytes that the peer received:
//     a chunk "[N bytes missing in capture file]" plus a NUL (shown as
//     '.') is printed in the held segments' direction, the expected
//     number jumps to that start, and the held segments are taken again.
//     The check comes before the acknowledging segment's own bytes.
//   - Held segments no acknowledgement passes are never printed.
type follower struct {
	stream uint32
	nodes  [2]netip.AddrPort
	seen   bool
	dirs   [2]followDir
	chunks []followChunk
}

type followDir struct {
	next    uint32        // next expected relative sequence number; 0 until set
	pending []followChunk // held segments, in the order they arrived
	held    int           // bytes in pending
	// settled is true when no held segment starts at or before next;
	// lowest is then the lowest start among them.
	settled bool
	lowest  uint32
}

type followChunk struct {
	node int
	seq  uint32
	data []byte
}

func newFollower(stream uint32) *follower { return &follower{stream: stream} }

// add takes one segment of the capture.
func (f *follower) add(p *decode.Packet, r *tcpanalysis.Result) {
	if r.Stream != f.stream || r.Stopped() {
		// tshark's follow tap does not see a segment whose options the
		// snap length cut: its dissection stopped before.
		return
	}
	src := netip.AddrPortFrom(p.Src, p.TCP.SrcPort())
	if !f.seen {
		f.seen = true
		f.nodes[0] = src
		f.nodes[1] = netip.AddrPortFrom(p.Dst, p.TCP.DstPort())
	}
	node := 0
	if src != f.nodes[0] {
		node = 1
	}
	// The acknowledgement first: it may pass a gap of the other way.
	if len(f.dirs[1-node].pending) > 0 {
		for f.takeHeld(1-node, r.Ack) {
		}
	}
	d := &f.dirs[node]
	seq := r.Seq
	if r.TCPFlags&decode.FlagSYN != 0 {
		seq++
	}
	if d.next == 0 {
		d.next = seq
	}
	length := r.Len
	data := p.Payload
	if len(data) > int(length) {
		data = data[:length]
	}
	if seqnum.Value(d.next).Less(seqnum.Value(seq)) {
		// Beyond a gap: hold it.
		if len(data) > 0 && d.held+len(data) <= maxFollowPending {
			d.pending = append(d.pending, followChunk{node: node, seq: seq, data: append([]byte(nil), data...)})
			d.held += len(data)
			if d.settled && seqnum.Value(seq).Less(seqnum.Value(d.lowest)) {
				d.lowest = seq
			}
		}
		return
	}
	if seqnum.Value(seq).Less(seqnum.Value(d.next)) {
		end := seq + length
		if !seqnum.Value(d.next).Less(seqnum.Value(end)) {
			return // nothing new
		}
		skip := d.next - seq
		data = data[min(int(skip), len(data)):]
		seq, length = d.next, end-d.next
	}
	if len(data) > 0 {
		f.chunks = append(f.chunks, followChunk{node: node, seq: seq, data: append([]byte(nil), data...)})
	}
	d.next, d.settled = seq+length, false
	for f.takeHeld(node, 0) {
	}
}

// takeHeld takes one held segment of node's direction that the expected
// number has reached, or else, when acked passes the lowest held
// segment's start, marks the bytes missing before it; it reports whether
// it did either.
func (f *follower) takeHeld(node int, acked uint32) bool {
	d := &f.dirs[node]
	if len(d.pending) == 0 {
		return false
	}
	if !d.settled {
		lowest := d.pending[0].seq
		for i, c := range d.pending {
			if seqnum.Value(c.seq).Less(seqnum.Value(lowest)) {
				lowest = c.seq
			}
			if seqnum.Value(d.next).Less(seqnum.Value(c.seq)) {
				continue
			}
			if end := c.seq + uint32(len(c.data)); seqnum.Value(d.next).Less(seqnum.Value(end)) {
				f.chunks = append(f.chunks, followChunk{node: node, seq: d.next, data: c.data[d.next-c.seq:]})
				d.next = end
			}
			d.held -= len(c.data)
			if i == 0 {
				d.pending[0] = followChunk{} // let its bytes go
				d.pending = d.pending[1:]
			} else {
				d.pending = slices.Delete(d.pending, i, i+1)
			}
			return true
		}
		d.settled, d.lowest = true, lowest
	}
	if seqnum.Value(d.lowest).Less(seqnum.Value(acked)) {
		text := "[" + strconv.FormatInt(int64(int32(d.lowest-d.next)), 10) + " bytes missing in capture file]\x00"
		f.chunks = append(f.chunks, followChunk{node: node, seq: d.lowest, data: []byte(text)})
		d.next, d.settled = d.lowest, false
		return true
	}
	return false
}

// appendText appends the follow output in tshark's ascii format: a header
// naming the two nodes, then each chunk's length and bytes (the second
// node's indented by a tab), non-printable bytes but CR and LF shown as
// '.'.
func (f *follower) appendText(dst []byte) []byte {
	node := func(ap netip.AddrPort) string {
		if !ap.IsValid() {
			return ":0"
		}
		return ap.String()
	}
	dst = append(dst, '\n')
	dst = append(dst, followRule...)
	dst = append(dst, "Follow: tcp,ascii\nFilter: tcp.stream eq "...)
	dst = strconv.AppendUint(dst, uint64(f.stream), 10)
	dst = append(dst, "\nNode 0: "...)
	dst = append(dst, node(f.nodes[0])...)
	dst = append(dst, "\nNode 1: "...)
	dst = append(dst, node(f.nodes[1])...)
	dst = append(dst, '\n')
	for _, c := range f.chunks {
		if c.node == 1 {
			dst = append(dst, '\t')
		}
		dst = strconv.AppendInt(dst, int64(len(c.data)), 10)
		dst = append(dst, '\n')
		for _, b := range c.data {
			if (b < 0x20 || b > 0x7e) && b != '\n' && b != '\r' {
				b = '.'
			}
			dst = append(dst, b)
		}
		dst = append(dst, '\n')
	}
	return append(dst, followRule...)
}
