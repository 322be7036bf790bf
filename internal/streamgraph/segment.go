package streamgraph

import (
	"encoding/binary"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// MaxSACK is how many SACK blocks of a segment the graphs read, as
// Wireshark's tap keeps (MAX_TCP_SACK_RANGES).
const MaxSACK = 4

// Block is a SACK block: the bytes from Left up to (not including) Right,
// relative to the initial sequence number of the data it acknowledges.
type Block struct{ Left, Right uint32 }

// Segment is one analysed TCP segment of a stream: the fields the graphs
// and the phase detection read.
type Segment struct {
	Frame uint32 // 1-based frame number
	// Time is in nanoseconds since the capture's first frame: tshark's
	// frame.time_relative.
	Time int64
	// FromServer is true when the segment travels from the stream's
	// server to its client (tcpanalysis.Result.FromServer).
	FromServer bool
	Flags      uint16 // the TCP flag bits (decode.FlagSYN, ...)
	// Seq and Ack are relative (tcp.seq, tcp.ack), Len the payload
	// length (tcp.len), Win the window after scaling (tcp.window_size).
	Seq, Ack, Len, Win uint32
	// SACK holds the segment's first NSACK SACK blocks, relative to the
	// peer's initial sequence number.
	SACK  [MaxSACK]Block
	NSACK uint8

	Analysis tcpanalysis.Flags // tcp.analysis.* flags
	// AckedFrame and AckRTT are tcp.analysis.acks_frame and
	// tcp.analysis.ack_rtt (nanoseconds): the segment this ACK
	// acknowledges exactly and the time since it was sent; 0 when
	// tshark shows none.
	AckedFrame uint32
	AckRTT     int64
	// BytesInFlight is tcp.analysis.bytes_in_flight, 0 when tshark
	// shows none.
	BytesInFlight uint32
}

// hasAck reports whether s has its ACK flag set.
func (s *Segment) hasAck() bool { return s.Flags&decode.FlagACK != 0 }

// FromAnalysis returns the Segment of a decoded packet p and its analysis
// r, captured at t nanoseconds after the capture's first frame. SACK
// blocks are read from p's options (they alias nothing afterwards).
func FromAnalysis(t int64, p *decode.Packet, r *tcpanalysis.Result) Segment {
	s := Segment{
		Frame: r.Frame, Time: t, FromServer: r.FromServer, Flags: r.TCPFlags,
		Seq: r.Seq, Ack: r.Ack, Len: r.Len, Win: r.Win,
		Analysis: r.Analysis, AckedFrame: r.AckedFrame, AckRTT: r.AckRTT,
		BytesInFlight: r.BytesInFlight,
	}
	if !p.TCP.Valid() || r.BogusHeaderLen {
		return s
	}
	it := decode.OptionIter{Buf: p.TCP.Options()}
	for it.Next() {
		if it.Opt.Kind != decode.OptSACK {
			continue
		}
		d := it.Opt.Data
		for i := 0; i+8 <= len(d) && s.NSACK < MaxSACK; i += 8 {
			s.SACK[s.NSACK] = Block{
				Left:  binary.BigEndian.Uint32(d[i:]) - r.SACKBase,
				Right: binary.BigEndian.Uint32(d[i+4:]) - r.SACKBase,
			}
			s.NSACK++
		}
	}
	return s
}

// Collector gathers the segments of every stream, or of one, from an
// analysis loop (see the package example). The zero Collector gathers
// every stream; Only, when set, keeps one stream's segments and drops
// the others'.
type Collector struct {
	Only    func(stream uint32) bool
	streams map[uint32][]Segment
	payload map[uint32]uint64
	order   []uint32
}

// Add records one analysed segment captured at t nanoseconds after the
// capture's first frame.
func (c *Collector) Add(t int64, p *decode.Packet, r *tcpanalysis.Result) {
	if c.streams == nil {
		c.streams = make(map[uint32][]Segment)
		c.payload = make(map[uint32]uint64)
	}
	c.payload[r.Stream] += uint64(r.Len)
	if c.Only != nil && !c.Only(r.Stream) {
		return
	}
	segs, ok := c.streams[r.Stream]
	if !ok {
		c.order = append(c.order, r.Stream)
	}
	c.streams[r.Stream] = append(segs, FromAnalysis(t, p, r))
}

// Stream returns the segments gathered for stream n, in capture order.
func (c *Collector) Stream(n uint32) []Segment { return c.streams[n] }

// Streams returns the numbers of the streams gathered, in the order their
// first segments came.
func (c *Collector) Streams() []uint32 { return c.order }

// Busiest returns the stream that carried the most payload bytes (both
// directions; every stream counts, gathered or not), the lowest number on
// a tie, and false when no segment was added.
func (c *Collector) Busiest() (uint32, bool) {
	var best uint32
	var most uint64
	found := false
	for n, b := range c.payload {
		if !found || b > most || b == most && n < best {
			best, most, found = n, b, true
		}
	}
	return best, found
}
