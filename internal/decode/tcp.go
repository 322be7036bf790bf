package decode

import (
	"encoding/binary"

	"github.com/tcplab/tcplab/internal/seqnum"
)

// TCP is a TCP header (and whatever follows it) as on the wire. Call Valid
// before any accessor other than HeaderLen.
type TCP []byte

// TCP flag bits as in the 12-bit flags field (Wireshark's tcp.flags).
const (
	FlagFIN uint16 = 1 << 0
	FlagSYN uint16 = 1 << 1
	FlagRST uint16 = 1 << 2
	FlagPSH uint16 = 1 << 3
	FlagACK uint16 = 1 << 4
	FlagURG uint16 = 1 << 5
	FlagECE uint16 = 1 << 6
	FlagCWR uint16 = 1 << 7
	FlagAE  uint16 = 1 << 8 // accurate ECN (RFC 9768), formerly NS (RFC 3540)
)

// TCP option kinds (IANA "TCP Option Kind Numbers").
const (
	OptEOL       uint8 = 0
	OptNOP       uint8 = 1
	OptMSS       uint8 = 2
	OptWS        uint8 = 3
	OptSACKPerm  uint8 = 4
	OptSACK      uint8 = 5
	OptTimestamp uint8 = 8
)

// Valid reports whether t holds at least the fixed 20-byte header and a
// data offset of at least 5 words. The options may still be cut short: see
// OptionsComplete.
func (t TCP) Valid() bool { return len(t) >= 20 && t.HeaderLen() >= 20 }

// OptionsComplete reports whether the whole header, options included, was
// captured.
func (t TCP) OptionsComplete() bool { return t.Valid() && len(t) >= t.HeaderLen() }

func (t TCP) SrcPort() uint16       { return binary.BigEndian.Uint16(t[0:]) }
func (t TCP) DstPort() uint16       { return binary.BigEndian.Uint16(t[2:]) }
func (t TCP) Seq() seqnum.Value     { return seqnum.Value(binary.BigEndian.Uint32(t[4:])) }
func (t TCP) Ack() seqnum.Value     { return seqnum.Value(binary.BigEndian.Uint32(t[8:])) }
func (t TCP) Flags() uint16         { return binary.BigEndian.Uint16(t[12:]) & 0x0fff }
func (t TCP) Window() uint16        { return binary.BigEndian.Uint16(t[14:]) }
func (t TCP) Checksum() uint16      { return binary.BigEndian.Uint16(t[16:]) }
func (t TCP) UrgentPointer() uint16 { return binary.BigEndian.Uint16(t[18:]) }

// HeaderLen is the header length in bytes from the data offset field, or 0
// when t is too short to hold it.
func (t TCP) HeaderLen() int {
	if len(t) < 13 {
		return 0
	}
	return int(t[12]>>4) * 4
}

// Has reports whether all bits of flag are set.
func (t TCP) Has(flag uint16) bool { return t.Flags()&flag == flag }

// Options returns the option bytes that were captured (possibly fewer than
// the header announces).
func (t TCP) Options() []byte {
	end := min(t.HeaderLen(), len(t))
	if end <= 20 {
		return nil
	}
	return t[20:end]
}

// TimestampOnly reports whether opts, a TCP header's options (see
// TCP.Options), are two NOPs and a timestamp option: the layout Linux
// sends on every segment after the handshake, which needs no walk of the
// options to read.
func TimestampOnly(opts []byte) bool {
	return len(opts) == 12 && binary.BigEndian.Uint32(opts) == uint32(OptNOP)<<24|uint32(OptNOP)<<16|uint32(OptTimestamp)<<8|10
}

// LinuxSYNOptions reports whether opts, a TCP header's options (see
// TCP.Options), are the layout Linux sends on SYN and SYN/ACK segments:
// MSS, SACK permitted, a timestamp, a NOP and a window scale, which need
// no walk to read.
func LinuxSYNOptions(opts []byte) bool {
	return len(opts) == 20 && opts[0] == OptMSS && opts[1] == 4 &&
		binary.BigEndian.Uint32(opts[4:]) == uint32(OptSACKPerm)<<24|2<<16|uint32(OptTimestamp)<<8|10 &&
		opts[16] == OptNOP && opts[17] == OptWS && opts[18] == 3
}

// Option is one TCP option as it appears in the header. Data excludes the
// kind and length bytes and aliases the header.
type Option struct {
	Kind uint8
	Len  int // the option's length byte (1 for EOL and NOP)
	Data []byte
}

// OptionIter walks the options of a header without allocating:
//
//	it := decode.OptionIter{Buf: t.Options()}
//	for it.Next() { use(it.Opt) }
//	if it.Err != "" { ... }
type OptionIter struct {
	Buf []byte
	Opt Option
	// Err names what stopped the walk early: "" when the options ended
	// cleanly, otherwise a short description (for example "option length
	// 12 runs past the header") with Off the option's offset in Buf.
	Err string
	Off int
	pos int
}

// Next advances to the next option, reporting false at the end or on a
// malformed option (then Err says why). Options after EOL are not visited.
func (it *OptionIter) Next() bool {
	if it.pos >= len(it.Buf) || it.Err != "" {
		return false
	}
	it.Off = it.pos
	kind := it.Buf[it.pos]
	switch kind {
	case OptEOL:
		it.Opt = Option{Kind: kind, Len: 1}
		it.pos = len(it.Buf) // nothing after EOL is an option
		return true
	case OptNOP:
		it.Opt = Option{Kind: kind, Len: 1}
		it.pos++
		return true
	}
	if it.pos+1 >= len(it.Buf) {
		it.Err = "option length missing"
		return false
	}
	n := int(it.Buf[it.pos+1])
	if n < 2 {
		it.Err = "option length below 2"
		return false
	}
	if it.pos+n > len(it.Buf) {
		it.Err = "option length runs past the header"
		return false
	}
	it.Opt = Option{Kind: kind, Len: n, Data: it.Buf[it.pos+2 : it.pos+n]}
	it.pos += n
	return true
}
