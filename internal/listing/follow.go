package listing

import (
	"net/netip"
	"sort"
	"strconv"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

const followRule = "===================================================================\n"

// maxFollowPending bounds the out-of-order bytes held per direction while
// waiting for a gap to fill.
const maxFollowPending = 64 << 20

// follower rebuilds both directions of one stream's payload, each byte
// once, in sequence order, as `tshark -z follow,tcp,ascii,N` does.
type follower struct {
	stream uint32
	nodes  [2]netip.AddrPort
	seen   bool
	dirs   [2]followDir
	chunks []followChunk
}

type followDir struct {
	init    bool
	next    uint32 // next expected raw sequence number
	pending []followChunk
	held    int
}

type followChunk struct {
	node int
	seq  uint32
	data []byte
	gap  uint32 // bytes missing before data
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
	d := &f.dirs[node]
	seq := r.SeqRaw
	if r.TCPFlags&decode.FlagSYN != 0 {
		seq++
		if !d.init {
			d.init, d.next = true, seq
		}
	}
	data := p.Payload
	if len(data) > int(r.Len) {
		data = data[:r.Len]
	}
	if len(data) == 0 || r.TCPFlags&decode.FlagRST != 0 {
		return
	}
	if !d.init {
		d.init, d.next = true, seq
	}
	end := seq + uint32(len(data))
	switch {
	case seq == d.next:
		f.emit(node, seq, data)
	case seqnum.Value(seq).Less(seqnum.Value(d.next)):
		if seqnum.Value(d.next).Less(seqnum.Value(end)) {
			f.emit(node, d.next, data[d.next-seq:])
		}
	default:
		if d.held+len(data) <= maxFollowPending {
			d.pending = append(d.pending, followChunk{node: node, seq: seq, data: append([]byte(nil), data...)})
			d.held += len(data)
		}
		return
	}
	f.drain(node, false)
}

// emit appends data, which starts at the next expected sequence number.
func (f *follower) emit(node int, seq uint32, data []byte) {
	f.chunks = append(f.chunks, followChunk{node: node, seq: seq, data: append([]byte(nil), data...)})
	f.dirs[node].next = seq + uint32(len(data))
}

// drain emits the held segments that the expected sequence number has
// reached; at the end of the capture (final), it also emits those beyond
// a gap, marking the gap.
func (f *follower) drain(node int, final bool) {
	d := &f.dirs[node]
	for len(d.pending) > 0 {
		sort.SliceStable(d.pending, func(i, j int) bool { return seqnum.Value(d.pending[i].seq).Less(seqnum.Value(d.pending[j].seq)) })
		progressed := false
		kept := d.pending[:0]
		for _, c := range d.pending {
			end := c.seq + uint32(len(c.data))
			switch {
			case !seqnum.Value(d.next).Less(seqnum.Value(c.seq)) && seqnum.Value(d.next).Less(seqnum.Value(end)):
				f.emit(node, d.next, c.data[d.next-c.seq:])
				progressed = true
			case !seqnum.Value(d.next).Less(seqnum.Value(end)):
				// Entirely old: drop.
			default:
				kept = append(kept, c)
			}
		}
		d.pending = kept
		if !progressed {
			if !final || len(d.pending) == 0 {
				return
			}
			c := d.pending[0]
			gap := c.seq - d.next
			d.pending = d.pending[1:]
			f.chunks = append(f.chunks, followChunk{node: node, seq: c.seq, data: c.data, gap: gap})
			d.next = c.seq + uint32(len(c.data))
		}
	}
}

// appendText appends the follow output in tshark's ascii format: a header
// naming the two nodes, then each chunk's length and bytes (the second
// node's indented by a tab), non-printable bytes but CR and LF shown as
// '.'. A gap the capture never filled is shown as a line
// "[N bytes missing in capture file]" before the bytes after it.
func (f *follower) appendText(dst []byte) []byte {
	f.drain(0, true)
	f.drain(1, true)
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
		if c.gap != 0 {
			dst = append(dst, "["+strconv.FormatUint(uint64(c.gap), 10)+" bytes missing in capture file]\n"...)
			if c.node == 1 {
				dst = append(dst, '\t')
			}
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
