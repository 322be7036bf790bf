package dfilter

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Generate returns n random filters over the fields, with values drawn
// from recs so that many match something: comparisons, sets, contains
// and matches over the payload, presence tests, combined with and, or,
// not and parentheses. It is for differential tests against tshark.
func Generate(rng *rand.Rand, recs []*Record, n int) []string {
	pick := func() *Record { return recs[rng.IntN(len(recs))] }
	num := func(name string) string {
		var buf [4]Value
		vs := fieldByName[name].get(pick(), buf[:0])
		if len(vs) == 0 || rng.IntN(5) == 0 {
			switch fieldByName[name].kind {
			case KindAddr:
				if strings.HasPrefix(name, "ipv6") {
					return "fd00::1"
				}
				return "10.1.2.3"
			case KindFloat:
				return strconv.FormatFloat(rng.Float64(), 'f', 3, 64)
			}
			return strconv.Itoa(rng.IntN(min(3000, int(fieldByName[name].max)+1)))
		}
		switch v := vs[rng.IntN(len(vs))]; v.kind {
		case KindFloat:
			return strconv.FormatFloat(v.F, 'f', -1, 64)
		case KindAddr:
			if rng.IntN(3) == 0 && v.A.Addr().Is4() {
				return v.A.Addr().String() + "/" + strconv.Itoa(8+rng.IntN(25))
			}
			return v.A.Addr().String()
		default:
			return strconv.FormatUint(v.U, 10)
		}
	}
	ops := []string{"==", "!=", "<", ">", "<=", ">=", "~=", "eq", "ne", "gt", "le"}
	var valued, bare []string
	for _, name := range Fields() {
		switch fieldByName[name].kind {
		case KindNone:
			bare = append(bare, name)
		case KindBytes:
		default:
			valued = append(valued, name)
		}
	}
	atom := func() string {
		switch rng.IntN(10) {
		case 0, 1:
			return bare[rng.IntN(len(bare))]
		case 2:
			f := valued[rng.IntN(len(valued))]
			if fieldByName[f].kind == KindAddr || fieldByName[f].kind == KindFloat {
				return f + " == " + num(f)
			}
			// io,stat splits its argument at commas: one range only.
			return fmt.Sprintf("%s in {%s..%s}", f, num(f), num(f))
		case 3:
			words := []string{"GET", "a", "x", "\\x00", "ab", "Client", "server"}
			if rng.IntN(2) == 0 {
				pats := []string{"client", "(?-i)client", "^[a-z]+ of", "[0-9][0-9]+$", "of.*[0-9]"}
				return fmt.Sprintf(`tcp.payload matches "%s"`, pats[rng.IntN(len(pats))])
			}
			return fmt.Sprintf(`tcp.payload contains "%s"`, words[rng.IntN(len(words))])
		default:
			f := valued[rng.IntN(len(valued))]
			op := ops[rng.IntN(len(ops))]
			if fieldByName[f].kind == KindAddr && op != "==" && op != "!=" && op != "~=" {
				op = "=="
			}
			return f + " " + op + " " + num(f)
		}
	}
	out := make([]string, n)
	for i := range out {
		s := atom()
		for range rng.IntN(3) {
			switch rng.IntN(4) {
			case 0:
				s = "!(" + s + ")"
			case 1:
				s = s + " && " + atom()
			case 2:
				s = "(" + s + ") || " + atom()
			default:
				s = "not " + atom() + " and " + s
			}
		}
		out[i] = s
	}
	return out
}
