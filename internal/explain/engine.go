package explain

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Collector turns the analysis engine's per-packet results into
// Conversations. Feed it every analysed segment with Add, in capture order,
// then call Conversations with the engine's streams.
//
// Memory is bounded: packets are kept only for the streams Keep selects,
// and at most MaxPackets in all; every stream still gets its summary. A
// caller that wants the most interesting conversations of a large capture
// in full can read the file twice: once to find them, once with Keep
// selecting them.
type Collector struct {
	// Start is the capture time of the file's first frame (ns since the
	// Unix epoch): times are relative to it, as Wireshark's are.
	Start int64
	// Keep selects the streams whose packets are kept; nil keeps every
	// stream's (within MaxPackets).
	Keep func(stream uint32) bool
	// MaxPackets caps the packets kept in all; 0 means 200000.
	MaxPackets int
	// PayloadBytes caps the payload bytes kept per packet (enough to
	// recognise the lab's messages); 0 means 64.
	PayloadBytes int

	kept    int
	byID    map[uint32]*conversation.Conversation
	flagged map[uint32]int
}

// Add records one analysed segment: its frame number, capture time (ns
// since the Unix epoch), the decoded packet and the engine's result.
func (c *Collector) Add(frame uint32, ts int64, p *decode.Packet, r *tcpanalysis.Result) {
	if c.byID == nil {
		c.byID = map[uint32]*conversation.Conversation{}
		c.flagged = map[uint32]int{}
	}
	// tshark shows no analysis for a segment whose options the capture
	// cut short or one of whose options its dissector throws on.
	flags := r.Analysis
	if r.Stopped() {
		flags = 0
	}
	if flags != 0 {
		c.flagged[r.Stream]++
	}
	limit := c.MaxPackets
	if limit == 0 {
		limit = 200000
	}
	if c.kept >= limit || (c.Keep != nil && !c.Keep(r.Stream)) {
		return
	}
	conv := c.byID[r.Stream]
	if conv == nil {
		conv = &conversation.Conversation{Stream: int(r.Stream), SinglePoint: true}
		c.byID[r.Stream] = conv
	}
	c.kept++
	s := conversation.Segment{
		Frame: int(frame), Time: time.Duration(ts - c.Start),
		Flags: r.TCPFlags, Seq: r.Seq, Ack: r.Ack, SeqRaw: r.SeqRaw, AckRaw: r.AckRaw,
		Len: int(r.Len), WinRaw: int(r.WinRaw), Win: int(r.Win),
		DupAckOf: int(r.DupAckOf), DupAckNum: int(r.DupAckNum),
	}
	if !r.Stopped() {
		// tshark's [SEQ/ACK analysis] tree, shown only where it shows
		// the expert flags too.
		s.AckedFrame = int(r.AckedFrame)
		if r.AckedFrame != 0 {
			s.AckRTT = time.Duration(r.AckRTT)
		}
		s.BytesInFlight, s.PushBytesSent = int(r.BytesInFlight), int(r.PushBytesSent)
	}
	if r.FromServer {
		s.From = conversation.Server
	}
	if r.HasWinScale {
		s.WinScale = int(r.WinScale) // else 0: a SYN, never scaled
	}
	status, _ := p.TCPChecksum()
	s.ChecksumStatus = status.String()
	s.Analysis = flags
	if p.TCP.Valid() {
		s.Checksum = p.TCP.Checksum()
		it := decode.OptionIter{Buf: p.TCP.Options()}
		for it.Next() {
			o := conversation.Option{Kind: it.Opt.Kind}
			d := it.Opt.Data
			switch {
			case o.Kind == decode.OptMSS && len(d) == 2:
				o.MSS = int(binary.BigEndian.Uint16(d))
			case o.Kind == decode.OptWS && len(d) == 1:
				o.Shift = int(d[0])
			case o.Kind == decode.OptTimestamp && len(d) == 8:
				o.TSval = binary.BigEndian.Uint32(d)
				o.TSecr = binary.BigEndian.Uint32(d[4:])
			case o.Kind == decode.OptSACK:
				for i := 0; i+8 <= len(d); i += 8 {
					o.SACK = append(o.SACK, [2]uint32{binary.BigEndian.Uint32(d[i:]) - r.SACKBase, binary.BigEndian.Uint32(d[i+4:]) - r.SACKBase})
				}
			}
			s.Options = append(s.Options, o)
		}
	}
	s.Info = string(listing.AppendInfo(nil, p, r))
	n := c.PayloadBytes
	if n == 0 {
		n = 64
	}
	s.Payload = append([]byte(nil), p.Payload[:min(n, len(p.Payload))]...)
	conv.Packets = append(conv.Packets, s)
}

// Conversations returns one Conversation per stream, in stream order, with
// its summary from the engine and the packets kept.
func (c *Collector) Conversations(streams []*tcpanalysis.Stream) []conversation.Conversation {
	out := make([]conversation.Conversation, 0, len(streams))
	for _, st := range streams {
		conv := conversation.Conversation{Stream: int(st.Index), SinglePoint: true}
		if kept := c.byID[st.Index]; kept != nil {
			conv = *kept
		}
		conv.Client, conv.Server = st.Client, st.Server
		conv.State = st.State()
		conv.Summary = conversation.Summary{
			Packets:  int(st.Packets),
			BytesC2S: int64(st.BytesC2S), BytesS2C: int64(st.BytesS2C),
			Start: time.Duration(st.FirstTime - c.Start), End: time.Duration(st.LastTime - c.Start),
			Handshake: st.Handshake(), Close: st.Close(),
			Flagged: c.flagged[st.Index],
		}
		out = append(out, conv)
	}
	return out
}

// ReadOptions tunes Read.
type ReadOptions struct {
	// Match selects the packets to keep (nil keeps all; a
	// listing.Selector's MatchPacket fits); conversations with no
	// matching packet are left out.
	Match func(*decode.Packet, *tcpanalysis.Result) bool
	// Keep, when not nil, also selects the packets to keep, from the
	// whole packet (a display filter: listing.FilterPackets); the
	// analysis still sees every packet.
	Keep func(*packets.Packet) bool
	// MaxFrames, when not 0, stops after that many frames read (as
	// tshark's -c).
	MaxFrames uint64
	// MaxPackets caps the packets kept in all; 0 means 200000. Every
	// conversation returned keeps its whole summary.
	MaxPackets int
	// Each, when not nil, is called with every analysed segment that
	// Match keeps, in capture order, before the next record is read: the
	// packet and everything it points to are only valid during the call
	// (listing.AppendLine prints the packet list's line from it).
	Each func(*listing.Packet)
}

// Capture is a capture file read and analysed by Read.
type Capture struct {
	// Conversations are the conversations in stream order.
	Conversations []conversation.Conversation
	// Streams are the analysis engine's streams, all of them, for the
	// conversation table (listing.AppendConversations).
	Streams []*tcpanalysis.Stream
	// Start is the capture time of the first frame (ns since the Unix
	// epoch), which relative times count from.
	Start int64
	// Summary counts the frames read and, by reason, those that may
	// carry TCP but were not analysed, exactly as the listing counts
	// them (its Packets and Streams are not used).
	Summary packets.Summary
}

// Read reads a capture file and analyses its TCP segments in one pass,
// as opt asks. On a corrupt or truncated file it returns what it read
// before the bad record together with the reader's error; when the file
// is not a capture at all, the Capture is nil.
func Read(r io.Reader, opt ReadOptions) (*Capture, error) {
	rd, err := pcapio.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("explain: reading capture: %w", err)
	}
	col := &Collector{MaxPackets: opt.MaxPackets}
	matched := map[uint32]bool{}
	c := &Capture{}
	// The listing's source of packets: the same frames analysed, the
	// same ones skipped and counted.
	src := packets.NewSource(packets.Options{Summary: &c.Summary, Limit: opt.MaxFrames})
	var lp listing.Packet
	for pk := range src.Read(context.Background(), rd) {
		col.Start, _ = src.Start()
		if opt.Match != nil || opt.Keep != nil {
			if opt.Match != nil && !opt.Match(&pk.Decoded, &pk.Result) || opt.Keep != nil && !opt.Keep(pk) {
				continue
			}
			matched[pk.Result.Stream] = true
		}
		if opt.Each != nil {
			lp = listing.Packet{Number: pk.Number, RelTime: pk.RelTime, Resolution: pk.Resolution, WireLen: pk.WireLen, Decoded: &pk.Decoded, Result: &pk.Result}
			opt.Each(&lp)
		}
		col.Add(pk.Number, pk.Time, &pk.Decoded, &pk.Result)
	}
	var rerr error
	if err := src.Err(); err != nil {
		rerr = fmt.Errorf("explain: %w", err)
	}
	src.Finish()
	col.Start, _ = src.Start() // also when no frame was TCP
	c.Streams, c.Start = src.Streams(), col.Start
	c.Conversations = col.Conversations(c.Streams)
	if opt.Match != nil || opt.Keep != nil {
		c.Conversations = slices.DeleteFunc(c.Conversations, func(c conversation.Conversation) bool { return !matched[uint32(c.Stream)] })
	}
	return c, rerr
}

// ReadCapture reads a capture file and returns its conversations, as Read
// does with Match match and MaxPackets maxPackets.
func ReadCapture(r io.Reader, match func(*decode.Packet, *tcpanalysis.Result) bool, maxPackets int) ([]conversation.Conversation, error) {
	c, err := Read(r, ReadOptions{Match: match, MaxPackets: maxPackets})
	if c == nil {
		return nil, err
	}
	return c.Conversations, err
}
