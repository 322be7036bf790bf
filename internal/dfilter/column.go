package dfilter

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/tcplab/tcplab/internal/decode"
)

// Occurrence picks which of a field's occurrences a Column prints, as
// tshark's -E occurrence=f|l|a does.
type Occurrence uint8

// The occurrences a column prints.
const (
	All   Occurrence = iota // every occurrence, joined by the aggregator
	First                   // the first only
	Last                    // the last only
)

// Column is a field compiled for printing, as tshark's -T fields -e
// prints it.
type Column struct {
	f *field
	// text formats the field's values in r as tshark prints them, one
	// string per occurrence, appended to dst.
	text func(r *Record, dst [][]byte) [][]byte
}

// NewColumn returns the column that prints the field called name.
func NewColumn(name string) (*Column, error) {
	f, ok := fieldByName[name]
	if !ok {
		return nil, fmt.Errorf("%q is not a field tcplab knows (see docs/filters.md)", name)
	}
	c := &Column{f: f}
	c.text = texts[name]
	if c.text == nil {
		c.text = c.byKind
	}
	return c, nil
}

// Name returns the column's field name.
func (c *Column) Name() string { return c.f.name }

// Append appends the field's values in r to dst as tshark prints them:
// the occurrences occ picks, joined by agg; nothing when the packet has
// no value. scratch is reused between calls.
func (c *Column) Append(dst []byte, r *Record, occ Occurrence, agg []byte, scratch *[][]byte) []byte {
	vals := c.text(r, (*scratch)[:0])
	*scratch = vals
	if len(vals) == 0 {
		return dst
	}
	switch occ {
	case First:
		vals = vals[:1]
	case Last:
		vals = vals[len(vals)-1:]
	}
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, agg...)
		}
		dst = append(dst, v...)
	}
	return dst
}

// byKind formats the field's values by its kind: numbers in decimal,
// flags as 1 or 0, addresses as Wireshark writes them, bytes in hex,
// and a field without a value as "1" (tshark's mark of an FT_NONE field
// present).
func (c *Column) byKind(r *Record, dst [][]byte) [][]byte {
	for _, v := range r.values(c.f) {
		var b []byte
		switch v.kind {
		case KindNone:
			b = []byte("1")
		case KindUint, KindBool:
			b = strconv.AppendUint(nil, v.U, 10)
		case KindFloat:
			b = strconv.AppendFloat(nil, v.F, 'f', 9, 64)
		case KindAddr:
			b = v.A.Addr().AppendTo(nil)
		case KindBytes:
			b = hex.AppendEncode(nil, v.B)
		}
		dst = append(dst, b)
	}
	return dst
}

// texts holds the fields tshark prints otherwise than byKind would.
var texts = map[string]func(r *Record, dst [][]byte) [][]byte{}

// hex16 prints a 16-bit field as tshark prints BASE_HEX: 0x and four
// digits.
func hex16(name string) {
	f := fieldByName[name]
	texts[name] = func(r *Record, dst [][]byte) [][]byte {
		for _, v := range r.values(f) {
			b := []byte("0x0000")
			s := strconv.FormatUint(v.U&0xffff, 16)
			copy(b[6-len(s):], s)
			dst = append(dst, b)
		}
		return dst
	}
}

// nsText formats a time in nanoseconds as tshark prints relative times:
// seconds with nine decimals.
func nsText(ns int64) []byte {
	var b []byte
	if ns < 0 {
		b = append(b, '-')
		ns = -ns
	}
	b = strconv.AppendInt(b, ns/1e9, 10)
	frac := strconv.AppendInt(nil, ns%1e9+1e9, 10)
	frac[0] = '.'
	return append(b, frac...)
}

// columnTexts fills texts; fields.go's init calls it once the fields
// are defined.
func columnTexts() {
	for _, name := range []string{"tcp.flags", "tcp.checksum", "ip.id"} {
		hex16(name)
	}
	texts["frame.time_relative"] = func(r *Record, dst [][]byte) [][]byte {
		return append(dst, nsText(r.RelNS))
	}
	texts["tcp.analysis.ack_rtt"] = func(r *Record, dst [][]byte) [][]byte {
		if !r.R.Stopped() && !r.R.BogusHeaderLen && r.R.AckRTT != 0 {
			dst = append(dst, nsText(r.R.AckRTT))
		}
		return dst
	}
	// The protocols print their summary line.
	texts["frame"] = func(r *Record, dst [][]byte) [][]byte {
		b := fmt.Appendf(nil, "Frame %d: %d bytes on wire (%d bits), %d bytes captured (%d bits)", r.Frame, r.Len, r.Len*8, r.CapLen, r.CapLen*8)
		switch {
		case r.Iface < 0:
		case r.IfaceName != "":
			b = fmt.Appendf(b, " on interface %s, id %d", r.IfaceName, r.Iface)
		default:
			b = fmt.Appendf(b, " on unnamed interface, id %d", r.Iface)
		}
		return append(dst, b)
	}
	for _, v := range []struct {
		proto   string
		version int
	}{{"ip", 4}, {"ipv6", 6}} {
		version := v.version
		texts[v.proto] = func(r *Record, dst [][]byte) [][]byte {
			if r.P.IPVersion != version {
				return dst
			}
			return append(dst, fmt.Appendf(nil, "Internet Protocol Version %d, Src: %s, Dst: %s", version, r.P.Src, r.P.Dst))
		}
	}
	texts["tcp"] = func(r *Record, dst [][]byte) [][]byte {
		b := fmt.Appendf(nil, "Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d", r.P.TCP.SrcPort(), r.P.TCP.DstPort(), r.R.Seq)
		if r.R.BogusHeaderLen {
			return append(dst, b)
		}
		if r.R.TCPFlags&decode.FlagACK != 0 {
			b = fmt.Appendf(b, ", Ack: %d", r.R.Ack)
		}
		if r.R.HaveLen {
			b = fmt.Appendf(b, ", Len: %d", r.R.Len)
		}
		return append(dst, b)
	}
	// The options print their bytes: all of them, or each option's
	// (kind, length and data), as far as captured.
	texts["tcp.options"] = func(r *Record, dst [][]byte) [][]byte {
		t := r.P.TCP
		if len(t) < 20 || r.R.BogusHeaderLen || t.HeaderLen() <= 20 {
			return dst
		}
		if len(t) == 20 {
			return append(dst, []byte("<MISSING>"))
		}
		return append(dst, hex.AppendEncode(nil, t[20:min(t.HeaderLen(), len(t))]))
	}
	for name, kind := range map[string]byte{"mss": decode.OptMSS, "wscale": decode.OptWS, "sack_perm": decode.OptSACKPerm, "sack": decode.OptSACK, "timestamp": decode.OptTimestamp} {
		texts["tcp.options."+name] = func(r *Record, dst [][]byte) [][]byte {
			optionItems(r, func(k byte, _ int, b []byte) {
				if k == kind {
					dst = append(dst, hex.AppendEncode(nil, b))
				}
			})
			return dst
		}
	}
	// Wireshark adds a duplicate ACK's field twice: in the SEQ/ACK
	// analysis and again with its expert info.
	dup := fieldByName["tcp.analysis.duplicate_ack"]
	texts["tcp.analysis.duplicate_ack"] = func(r *Record, dst [][]byte) [][]byte {
		if len(r.values(dup)) > 0 {
			dst = append(dst, []byte("1"), []byte("1"))
		}
		return dst
	}
}
