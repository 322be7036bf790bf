package dfilter

import (
	"bytes"
	"fmt"
	"regexp"
)

// node is a compiled part of a filter.
type node interface {
	eval(r *Record) bool
}

type orNode struct{ a, b node }
type andNode struct{ a, b node }
type notNode struct{ a node }

func (n orNode) eval(r *Record) bool  { return n.a.eval(r) || n.b.eval(r) }
func (n andNode) eval(r *Record) bool { return n.a.eval(r) && n.b.eval(r) }
func (n notNode) eval(r *Record) bool { return !n.a.eval(r) }

// presentNode tests that a field has a value.
type presentNode struct{ f *field }

func (n presentNode) eval(r *Record) bool {
	return len(r.values(n.f)) > 0
}

// compareNode tests a field's values against a literal: == and the
// relations hold when any value does; != holds when no value equals
// (Wireshark 4.0's "all not equal"); ~= when any value differs; ===
// when every value equals.
type compareNode struct {
	f  *field
	op string
	v  Value
}

func newCompare(f *field, op string, v Value) node { return compareNode{f, op, v} }

func (n compareNode) eval(r *Record) bool {
	vals := r.values(n.f)
	if len(vals) == 0 {
		return false
	}
	all := n.op == "!=" || n.op == "==="
	for _, v := range vals {
		c, ok := compare(v, n.v)
		var hold bool
		switch n.op {
		case "==", "===":
			hold = ok && c == 0
		case "!=", "~=":
			hold = !ok || c != 0
		case "<":
			hold = ok && c < 0
		case ">":
			hold = ok && c > 0
		case "<=":
			hold = ok && c <= 0
		case ">=":
			hold = ok && c >= 0
		}
		if hold != all {
			return hold
		}
	}
	return all
}

// setNode tests that any value of a field lies in one of the set's items
// (a value or a range lo..hi).
type setNode struct {
	f     *field
	items [][2]Value
}

func (n setNode) eval(r *Record) bool {
	for _, v := range r.values(n.f) {
		for _, it := range n.items {
			lo, ok1 := compare(v, it[0])
			hi, ok2 := compare(v, it[1])
			if ok1 && ok2 && lo >= 0 && hi <= 0 {
				return true
			}
		}
	}
	return false
}

// containsNode tests that a byte field holds a byte string.
type containsNode struct {
	f   *field
	sub []byte
}

func (p *parser) contains(f *field, at token) (node, error) {
	if f.kind != KindBytes {
		return nil, p.errAt(at, fmt.Sprintf("%s is not text or bytes: contains does not apply", f.name))
	}
	v, err := p.value(f)
	if err != nil {
		return nil, err
	}
	return containsNode{f, v.B}, nil
}

func (n containsNode) eval(r *Record) bool {
	for _, v := range r.values(n.f) {
		if bytes.Contains(v.B, n.sub) {
			return true
		}
	}
	return false
}

// matchesNode tests a byte field against a regular expression, case
// insensitive as Wireshark's matches is by default.
type matchesNode struct {
	f  *field
	re *regexp.Regexp
}

func (p *parser) matches(f *field, at token) (node, error) {
	if f.kind != KindBytes {
		return nil, p.errAt(at, fmt.Sprintf("%s is not text or bytes: matches does not apply", f.name))
	}
	t := p.next()
	if t.kind != tString {
		return nil, p.errAt(t, "a quoted pattern is due after matches")
	}
	re, err := regexp.Compile("(?i)" + t.text) // "(?-i)" in the pattern turns it off
	if err != nil {
		return nil, p.errAt(t, fmt.Sprintf("pattern: %v", err))
	}
	return matchesNode{f, re}, nil
}

func (n matchesNode) eval(r *Record) bool {
	for _, v := range r.values(n.f) {
		if n.re.Match(v.B) {
			return true
		}
	}
	return false
}
