package explain_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// transfer returns a raw-IPv4 capture of a 1,000,000-byte transfer from
// 10.0.0.1:40000 to 10.0.0.2:5001 in 1000-byte segments, with the
// segments at indexes in lost missing the first time (lost before the
// capture point when atReceiver) and each sent again 50 ms later. At the
// sender (atReceiver false) both copies are in the capture.
func transfer(t *testing.T, atReceiver bool, lost ...int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: 101, Nanosecond: true})
	if err != nil {
		t.Fatal(err)
	}
	const (
		size = 1_000_000
		mss  = 1000
		isnC = 1_000_000
		isnS = 7_000_000
	)
	now := int64(1_700_000_000_000_000_000)
	pkt := func(fromClient bool, flags byte, seq, ack uint32, n int) {
		src, dst := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
		sp, dp := uint16(40000), uint16(5001)
		if !fromClient {
			src, dst, sp, dp = dst, src, dp, sp
		}
		b := make([]byte, 40+n)
		b[0], b[8], b[9] = 0x45, 64, 6
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		copy(b[12:], src[:])
		copy(b[16:], dst[:])
		binary.BigEndian.PutUint16(b[10:], ^sum(0, b[:20]))
		tcp := b[20:]
		binary.BigEndian.PutUint16(tcp[0:], sp)
		binary.BigEndian.PutUint16(tcp[2:], dp)
		binary.BigEndian.PutUint32(tcp[4:], seq)
		binary.BigEndian.PutUint32(tcp[8:], ack)
		tcp[12], tcp[13] = 5<<4, flags
		binary.BigEndian.PutUint16(tcp[14:], 65535)
		pseudo := append(append(append([]byte{}, src[:]...), dst[:]...), 0, 6, byte(len(tcp)>>8), byte(len(tcp)))
		binary.BigEndian.PutUint16(tcp[16:], ^sum(uint32(sum(0, pseudo)), tcp))
		now += 1_000_000 // 1 ms
		if err := w.WritePacket(now, b, len(b)); err != nil {
			t.Fatal(err)
		}
	}
	const syn, fin, psh, ack = 0x02, 0x01, 0x08, 0x10
	pkt(true, syn, isnC, 0, 0)
	pkt(false, syn|ack, isnS, isnC+1, 0)
	pkt(true, ack, isnC+1, isnS+1, 0)
	isLost := map[int]bool{}
	for _, i := range lost {
		isLost[i] = true
	}
	var resend []int
	for i := 0; i < size/mss; i++ {
		seq := uint32(isnC + 1 + i*mss)
		if !isLost[i] || !atReceiver {
			pkt(true, psh|ack, seq, isnS+1, mss)
		}
		if isLost[i] {
			resend = append(resend, i)
		}
		if i%10 == 9 {
			now += 50_000_000
			for _, j := range resend {
				pkt(true, psh|ack, uint32(isnC+1+j*mss), isnS+1, mss)
			}
			resend = nil
			pkt(false, ack, isnS+1, uint32(isnC+1+(i+1)*mss), 0)
		}
	}
	pkt(true, fin|ack, isnC+1+size, isnS+1, 0)
	pkt(false, fin|ack, isnS+1, isnC+2+size, 0)
	pkt(true, ack, isnC+2+size, isnS+2, 0)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sum adds b to the ones' complement sum s (RFC 1071).
func sum(s uint32, b []byte) uint16 {
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// TestDistinctBytes: the walk-through's byte count is the analysis'
// distinct bytes of sequence space, so a 1,000,000-byte transfer says
// 1,000,000 wherever it was captured, whatever was lost and resent
// (issue 12, contradiction 3: it said 992,760 at the receiver).
func TestDistinctBytes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		atReceiver bool
	}{{"receiver", true}, {"sender", false}} {
		for _, lang := range i18n.Langs {
			t.Run(tc.name+"/"+string(lang), func(t *testing.T) {
				data := transfer(t, tc.atReceiver, 5, 17, 18, 555, 999)
				c, err := explain.Read(bytes.NewReader(data), explain.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Conversations) != 1 {
					t.Fatalf("Read found %d conversations, want 1", len(c.Conversations))
				}
				conv := &c.Conversations[0]
				if conv.Summary.BytesC2S != 1_000_000 {
					t.Errorf("Summary.BytesC2S = %d, want 1000000", conv.Summary.BytesC2S)
				}
				wt := explain.Explain(conv, explain.Options{Lang: lang})
				var b strings.Builder
				if err := wt.WriteText(&b, 1000); err != nil {
					t.Fatal(err)
				}
				want := i18n.Msg(lang, "overview.counts", "packets", len(conv.Packets),
					"first", conv.Packets[0].Frame, "last", conv.Packets[len(conv.Packets)-1].Frame,
					"c2s", 1000000, "s2c", 0)
				if !strings.Contains(b.String(), want) {
					t.Errorf("walk-through lacks %q:\n%s", want, b.String()[:min(b.Len(), 1500)])
				}
				// Without the analysis (a conversation built by hand),
				// Summarize counts the same distinct bytes.
				hand := *conv
				hand.Summary = conversation.Summary{}
				hand.Summarize()
				if hand.Summary.BytesC2S != 1_000_000 || hand.Summary.BytesS2C != 0 {
					t.Errorf("Summarize: BytesC2S, BytesS2C = %d, %d, want 1000000, 0", hand.Summary.BytesC2S, hand.Summary.BytesS2C)
				}
			})
		}
	}
}
