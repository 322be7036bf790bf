package difftest

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/tcplab/tcplab/internal/decode"
)

// The option grid: captures of single segments whose options are drawn
// from every kind Wireshark 4.0 dissects (and unknown ones), at their
// own lengths and at wrong ones, in headers the IP payload or the snap
// length cuts anywhere: where Wireshark's dissection of the options
// throws, and which exception it is, depends on each dissector's reads,
// which the conversations of Generate rarely reach. Now and then a slot
// holds a handshake and a segment after it, for the state options carry
// across segments (SCPS capabilities, window scaling, SACK).

// gridKinds are the option kinds drawn, with their proper lengths (0 for
// variable).
var gridKinds = []struct{ kind, len byte }{
	{decode.OptEOL, 1}, {decode.OptNOP, 1}, {decode.OptMSS, 4}, {decode.OptWS, 3},
	{decode.OptSACKPerm, 2}, {decode.OptSACK, 10}, {6, 6}, {7, 6}, {decode.OptTimestamp, 10},
	{11, 6}, {12, 6}, {13, 6}, {19, 18}, {20, 4}, {21, 6}, {22, 2}, {23, 2}, {24, 0},
	{25, 0}, {26, 0}, {27, 8}, {28, 4}, {29, 4}, {30, 12}, {34, 2}, {69, 3}, {76, 10},
	{78, 16}, {99, 0}, {154, 0}, {172, 11}, {174, 8}, {253, 4}, {254, 4},
}

// GenerateOptions returns an option-grid capture from seed of about n
// frames.
func GenerateOptions(seed uint64, n int) *Capture {
	r := rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc908))
	c := &Capture{Kind: FileKind(r.IntN(3)), Nano: r.IntN(2) == 0, Link: decode.LinkEthernet}
	ts := int64(1_600_000_000) * 1e9
	for slot := 0; len(c.Frames) < n; slot++ {
		a := [4]byte{10, byte(slot >> 16), byte(slot >> 8), byte(slot)}
		sport := uint16(1024 + slot%60000)
		flows := []uint16{pick(r, []uint16{0x018, 0x010, 0x002, 0x012, 0x011, 0x004, 0x038})}
		if r.IntN(10) == 0 {
			flows = []uint16{0x002, 0x012, 0x018}
		}
		seq, ack := r.Uint32(), r.Uint32()
		for k, flags := range flows {
			fromB := k == 1
			ts += 1e6
			c.Frames = append(c.Frames, gridFrame(r, ts, slot, a, sport, fromB, flags, seq, ack))
			if flags&0x002 != 0 {
				seq++
			}
			seq, ack = ack, seq
		}
	}
	return c
}

// gridFrame returns one segment of the grid: random options, a random IP
// payload length around the header's, and now and then a snap length.
func gridFrame(r *rand.Rand, ts int64, slot int, a [4]byte, sport uint16, fromB bool, flags uint16, seq, ack uint32) Frame {
	hlen := 24 + 4*r.IntN(10)
	opts := gridOptions(r, hlen-20, flags&0x002 != 0 && r.IntN(2) == 0)
	tcp := make([]byte, hlen, hlen+20)
	src, dst := a, [4]byte{10, 255, 0, 2}
	sp, dp := sport, uint16(5001)
	if fromB {
		src, dst, sp, dp = dst, src, dp, sp
	}
	binary.BigEndian.PutUint16(tcp, sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	if flags&0x010 != 0 {
		binary.BigEndian.PutUint32(tcp[8:], ack)
	}
	tcp[12] = byte(hlen/4) << 4
	tcp[13] = byte(flags)
	binary.BigEndian.PutUint16(tcp[14:], uint16(r.IntN(65536)))
	if flags&0x020 != 0 {
		binary.BigEndian.PutUint16(tcp[18:], uint16(r.IntN(50)))
	}
	copy(tcp[20:], opts)
	tcp = append(tcp, make([]byte, pick(r, []int{0, 0, 5, 20}))...)
	for i := hlen; i < len(tcp); i++ {
		tcp[i] = 'a'
	}
	payload := len(tcp)
	if r.IntN(3) == 0 {
		payload = max(20, hlen-24) + r.IntN(len(tcp)+4-max(20, hlen-24))
	}
	ip := make([]byte, 20, 20+len(tcp))
	ip[0], ip[8], ip[9] = 0x45, 64, decode.ProtoTCP
	binary.BigEndian.PutUint16(ip[2:], uint16(20+payload))
	binary.BigEndian.PutUint16(ip[6:], 0x4000)
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	binary.BigEndian.PutUint16(ip[10:], fold(sum16(ip, 0)))
	body := append(ip, tcp[:min(payload, len(tcp))]...)
	body = append(body, make([]byte, 20+payload-len(body))...)
	frame := append([]byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00}, body...)
	data := frame
	if r.IntN(4) == 0 {
		data = frame[:min(len(frame), 48+r.IntN(len(frame)-47))]
	}
	return Frame{TS: ts, Data: data, Orig: len(frame), Slot: slot}
}

// gridOptions returns n bytes of options: SCPS capabilities first when
// scps, else now and then a common first option, then options drawn from
// gridKinds at their length, one more or less, 2, or a random one, cut
// where n ends.
func gridOptions(r *rand.Rand, n int, scps bool) []byte {
	var o []byte
	if scps {
		o = append(o, 20, 4, byte(r.Uint32()), byte(r.Uint32()))
	} else if r.IntN(10) < 3 {
		o = append(o, pick(r, [][]byte{
			{1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0}, {1}, {1, 1}, {2, 4, 5, 0xb4},
		})...)
	}
	for len(o) < n {
		k := pick(r, gridKinds)
		if k.kind <= decode.OptNOP {
			o = append(o, k.kind)
			continue
		}
		proper := int(k.len)
		if proper == 0 {
			proper = 2 + r.IntN(11)
		}
		l := pick(r, []int{proper, proper, proper, proper + 1, max(0, proper-1), 2, r.IntN(41), r.IntN(256)})
		opt := []byte{k.kind, byte(l)}
		for i := 2; i < l; i++ {
			opt = append(opt, byte(r.Uint32()))
		}
		switch {
		case (k.kind == 253 || k.kind == 254) && l >= 4 && r.IntN(2) == 0:
			opt[2], opt[3] = 0xac, 0xc0|byte(r.IntN(2)) // AccECN's ExID
		case k.kind == decode.OptSACK && l >= 10 && r.IntN(2) == 0:
			binary.BigEndian.PutUint32(opt[2:], r.Uint32()>>r.IntN(32)) // a block at or below the ACK now and then
		}
		o = append(o, opt...)
	}
	return o[:n]
}
