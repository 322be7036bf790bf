package dfilter

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Kind is a field's type, which decides how a value compared with it is
// read.
type Kind uint8

const (
	KindNone  Kind = iota // a protocol or flag present or not: no value
	KindUint              // an unsigned integer
	KindBool              // a one-bit flag: 1 or 0, True or False
	KindFloat             // seconds and other real numbers
	KindAddr              // an IPv4 or IPv6 address
	KindBytes             // a byte string (tcp.payload)
)

// Value is one value of a field, or a literal read for a field's kind.
// Addresses compared with a literal carry its prefix length (CIDR).
type Value struct {
	U    uint64
	F    float64
	A    netip.Prefix
	B    []byte
	kind Kind
	neg  bool // a negative literal compared with an unsigned field
}

// parse reads s (quoted when the filter quoted it) as a value of kind k.
func (k Kind) parse(s string, quoted bool) (Value, error) {
	switch k {
	case KindNone:
		return Value{}, errors.New("has no value to compare: test it alone")
	case KindUint, KindBool:
		if quoted {
			return Value{}, fmt.Errorf("%q: a number is due, not a string", s)
		}
		if k == KindBool {
			switch strings.ToLower(s) {
			case "true":
				return Value{U: 1, kind: k}, nil
			case "false":
				return Value{U: 0, kind: k}, nil
			}
		}
		if strings.HasPrefix(s, "-") {
			if _, err := strconv.ParseInt(s, 0, 64); err != nil {
				return Value{}, fmt.Errorf("%q is not a valid number", s)
			}
			return Value{neg: true, kind: k}, nil // below every value
		}
		u, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a valid number", s)
		}
		if k == KindBool && u != 0 {
			u = 1 // any number but 0 is true
		}
		return Value{U: u, kind: k}, nil
	case KindFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || quoted {
			return Value{}, fmt.Errorf("%q is not a number", s)
		}
		return Value{F: f, kind: k}, nil
	case KindAddr:
		if p, err := netip.ParsePrefix(s); err == nil && !quoted {
			return Value{A: p.Masked(), kind: k}, nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not an address (tcplab resolves no names)", s)
		}
		return Value{A: netip.PrefixFrom(a, a.BitLen()), kind: k}, nil
	case KindBytes:
		if quoted {
			return Value{B: []byte(s), kind: k}, nil
		}
		b, err := parseHexBytes(s)
		if err != nil {
			return Value{}, err
		}
		return Value{B: b, kind: k}, nil
	}
	return Value{}, fmt.Errorf("kind %d", k)
}

// parseHexBytes reads bytes written as hex pairs separated by ':', '-'
// or '.', or run together.
func parseHexBytes(s string) ([]byte, error) {
	clean := strings.NewReplacer(":", "", "-", "", ".", "").Replace(s)
	b, err := hex.DecodeString(clean)
	if err != nil || len(clean) == 0 {
		return nil, fmt.Errorf("%q is not bytes (hex like 47:45:54, or a quoted string)", s)
	}
	return b, nil
}

// compare returns -1, 0 or 1 as a field value v is below, equal to or
// above the literal w; ok is false when the two do not compare (an
// address of another family).
func compare(v, w Value) (int, bool) {
	switch w.kind {
	case KindUint, KindBool:
		switch {
		case w.neg:
			return 1, true
		case v.U < w.U:
			return -1, true
		case v.U > w.U:
			return 1, true
		}
		return 0, true
	case KindFloat:
		switch {
		case v.F < w.F:
			return -1, true
		case v.F > w.F:
			return 1, true
		}
		return 0, true
	case KindAddr:
		a := v.A.Addr()
		if a.Is4() != w.A.Addr().Is4() {
			return 0, false
		}
		if w.A.Contains(a) {
			return 0, true
		}
		return a.Compare(w.A.Addr()), true
	case KindBytes:
		return bytes.Compare(v.B, w.B), true
	}
	return 0, false
}
