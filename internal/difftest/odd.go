package difftest

import (
	"encoding/binary"
	"slices"

	"github.com/tcplab/tcplab/internal/decode"
)

// Odd frames, now and then before a segment: a copy of it with a
// malformed TCP header (a data offset below 5 words, or a header longer
// than the IP payload), which tshark still shows as TCP ("bogus TCP
// header length", "[Malformed Packet]") and tcplab must too; and frames
// tcplab must count as not analysed (summary.skipped), which the
// capture's Skipped counts: on 802.11 captures a protected (encrypted)
// data frame, on NULL and LOOP captures an IPv6 copy under Windows'
// address family 23, which tshark 4.0 does not decode.

// oddFrames returns the frames to put before cp's, usually none; ip is
// cp's IP packet, hl its header length.
func (en *encoder) oddFrames(ts int64, cp captured, ip []byte, hl int) []Frame {
	r := en.r
	if en.odd == 0 || r.Float64() >= en.odd {
		return nil
	}
	from := cp.seg.From
	var data []byte
	tcpOff := 0
	switch link := en.lp.link; {
	case (link == decode.LinkIEEE80211 || link == decode.LinkRadiotap) && r.IntN(2) == 0:
		body := make([]byte, 16+len(ip))
		for i := range body {
			body[i] = byte(r.Uint32())
		}
		w, _ := en.lp.wlan(from, 0, body, true)
		if link == decode.LinkRadiotap {
			w = append([]byte{0, 0, 8, 0, 0, 0, 0, 0}, w...)
		}
		data = w
		en.c.Skipped++
	case (link == decode.LinkNull || link == decode.LinkLoop) && ip[0]>>4 == 6 && r.IntN(2) == 0:
		data = append(en.lp.family(23), ip...)
		en.c.Skipped++
	default:
		bad := malformedTCP(slices.Clone(ip), hl, r.IntN(2) == 0)
		data, tcpOff = en.wrap(cp.slot, from, bad, hl)
	}
	return []Frame{en.frame(ts-1, data, tcpOff, cp.slot)}
}

// malformedTCP gives the TCP header in ip (after hl bytes of IP header) a
// data offset below 5, or, when long is set and the segment is shorter
// than 60 bytes, one that runs past the segment; the checksum is
// recomputed.
func malformedTCP(ip []byte, hl int, long bool) []byte {
	tcp := ip[hl:]
	off := byte(len(tcp)) % 5
	if long && len(tcp) < 60 {
		off = 15
	}
	tcp[12] = off<<4 | tcp[12]&0x0f
	tcp[16], tcp[17] = 0, 0
	var src, dst []byte
	if ip[0]>>4 == 4 {
		src, dst = ip[12:16], ip[16:20]
	} else {
		src, dst = ip[8:24], ip[24:40]
	}
	sum := sum16(dst, sum16(src, 0)) + 6 + uint32(len(tcp))
	binary.BigEndian.PutUint16(tcp[16:], fold(sum16(tcp, sum)))
	return ip
}
