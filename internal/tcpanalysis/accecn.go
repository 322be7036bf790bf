package tcpanalysis

import (
	"encoding/binary"

	"github.com/tcplab/tcplab/internal/decode"
)

// Accurate ECN (RFC 9768): option kinds, and the ExIDs of the
// experimental options (RFC 6994) that carried them before.
const (
	OptAccECN0  = 172    // AccECN order 0: EE0B, ECEB, EE1B
	OptAccECN1  = 174    // AccECN order 1: EE1B, ECEB, EE0B
	ExIDAccECN0 = 0xacc0 // kind 253 or 254, order 0
	ExIDAccECN1 = 0xacc1 // kind 253 or 254, order 1
)

// The AccECN state of a conversation, in conn.accECN (see showACE). Wireshark 4.0
// shows a segment's AE, CWR and ECE bits as the 3-bit ACE counter
// ("[ACK, ACE=2]") once the conversation has negotiated AccECN: its last
// SYN without ACK set all three bits and its last SYN/ACK one of the
// four AccECN answers, in either order and from either side; or any
// earlier segment of the conversation carried a well-formed AccECN
// option, which counts for good.
const (
	accECNSYN    = 1 << iota // the last SYN set AE, CWR and ECE
	accECNSYNACK             // the last SYN/ACK answered AccECN
	accECNOption             // a segment carried an AccECN option
)

// aceFlags are the three bits that make the ACE counter.
const aceFlags = decode.FlagAE | decode.FlagCWR | decode.FlagECE

// showACE returns whether the segment with flags shows the ACE counter,
// then updates the conversation's AccECN state with the segment's flags
// (opts are its option bytes that Wireshark dissected, or nil).
func (c *conn) showACE(flags uint16, opts []byte) bool {
	show := flags&decode.FlagSYN == 0 && (c.accECN&accECNOption != 0 || c.accECN&(accECNSYN|accECNSYNACK) == accECNSYN|accECNSYNACK)
	switch flags & (decode.FlagSYN | decode.FlagACK) {
	case decode.FlagSYN:
		c.accECN &^= accECNSYN
		if flags&aceFlags == aceFlags {
			c.accECN |= accECNSYN
		}
	case decode.FlagSYN | decode.FlagACK:
		c.accECN &^= accECNSYNACK
		switch flags & aceFlags {
		case decode.FlagCWR, decode.FlagCWR | decode.FlagECE, decode.FlagAE, decode.FlagAE | decode.FlagCWR:
			c.accECN |= accECNSYNACK
		}
	}
	if c.accECN&accECNOption == 0 && hasAccECNOption(opts) {
		c.accECN |= accECNOption
	}
	return show
}

// hasAccECNOption reports whether opts hold a whole AccECN option of a
// length Wireshark reads (no counter, or one, two or three 24-bit
// counters), before any EOL.
func hasAccECNOption(opts []byte) bool {
	it := decode.OptionIter{Buf: opts}
	for it.Next() {
		o := it.Opt
		d := o.Data
		switch o.Kind {
		case OptAccECN0, OptAccECN1:
		case 253, 254:
			if len(d) < 2 {
				continue
			}
			if x := binary.BigEndian.Uint16(d); x != ExIDAccECN0 && x != ExIDAccECN1 {
				continue
			}
			d = d[2:]
		default:
			continue
		}
		if len(d)%3 == 0 && len(d) <= 9 {
			return true
		}
	}
	return false
}
