package dfilter

import (
	"fmt"
	"slices"
	"strings"
)

// Filter is a compiled display filter.
type Filter struct {
	src    string
	root   node
	fields []string
}

// Fields returns the names of the fields the filter names, in order,
// each once (tshark 4.0 builds only those of a packet's fields that some
// filter names: an io,stat calculation sees no other).
func (f *Filter) Fields() []string { return f.fields }

// String returns the filter as given.
func (f *Filter) String() string { return f.src }

// Match reports whether the packet r passes the filter.
func (f *Filter) Match(r *Record) bool { return f.root.eval(r) }

// Compile parses a display filter in Wireshark's syntax.
func Compile(filter string) (*Filter, error) {
	toks, err := lex(filter)
	if err != nil {
		return nil, err
	}
	p := &parser{src: filter, toks: toks}
	if p.peek().kind == tEOF {
		return nil, &SyntaxError{filter, 0, "empty filter"}
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, fmt.Sprintf("unexpected %q", t.text))
	}
	return &Filter{src: filter, root: root, fields: p.fields}, nil
}

type parser struct {
	src    string
	toks   []token
	pos    int
	fields []string // the fields named so far
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) errAt(t token, msg string) error {
	return &SyntaxError{p.src, t.off, msg}
}

// is reports whether t is the operator op or its word form.
func is(t token, op, word string) bool {
	return (t.kind == tOp && t.text == op) || (t.kind == tWord && word != "" && strings.EqualFold(t.text, word))
}

func (p *parser) or() (node, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for is(p.peek(), "||", "or") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = orNode{left, right}
	}
	if t := p.peek(); is(t, "^^", "xor") {
		return nil, p.errAt(t, "xor is not supported")
	}
	return left, nil
}

func (p *parser) and() (node, error) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	for is(p.peek(), "&&", "and") {
		p.next()
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		left = andNode{left, right}
	}
	return left, nil
}

func (p *parser) not() (node, error) {
	if is(p.peek(), "!", "not") {
		p.next()
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		p.next()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errAt(c, "missing \")\"")
		}
		return n, nil
	case tWord:
		return p.comparison()
	case tEOF:
		return nil, p.errAt(t, "the filter ends where a test is due")
	}
	return nil, p.errAt(t, fmt.Sprintf("unexpected %q", t.text))
}

// comparison reads a field alone (a presence test) or a field compared
// with a value, a set, a string or a pattern.
func (p *parser) comparison() (node, error) {
	ft := p.next()
	f, ok := fieldByName[ft.text]
	if !ok {
		if _, lit := fieldByName[p.toks[min(p.pos+1, len(p.toks)-1)].text]; lit && p.peek().kind == tOp {
			return nil, p.errAt(ft, "put the field first: "+p.toks[p.pos+1].text+" "+p.peek().text+" "+ft.text)
		}
		return nil, p.errAt(ft, fmt.Sprintf("%q is not a field tcplab knows (see docs/filters.md)", ft.text))
	}
	if !slices.Contains(p.fields, f.name) {
		p.fields = append(p.fields, f.name)
	}
	t := p.peek()
	switch {
	case t.kind == tLBrack:
		return nil, p.errAt(t, "slices ([...]) are not supported")
	case t.kind == tOp && compareOps[t.text]:
		p.next()
		v, err := p.value(f)
		if err != nil {
			return nil, err
		}
		return newCompare(f, t.text, v), nil
	case is(t, "", "eq"), is(t, "", "ne"), is(t, "", "lt"), is(t, "", "gt"), is(t, "", "le"), is(t, "", "ge"), is(t, "", "any_eq"), is(t, "", "all_ne"), is(t, "", "any_ne"), is(t, "", "all_eq"):
		p.next()
		v, err := p.value(f)
		if err != nil {
			return nil, err
		}
		return newCompare(f, wordOps[strings.ToLower(t.text)], v), nil
	case is(t, "", "contains"):
		p.next()
		return p.contains(f, t)
	case is(t, "", "matches"), t.kind == tOp && t.text == "~":
		p.next()
		return p.matches(f, t)
	case is(t, "", "in"):
		p.next()
		return p.set(f)
	}
	return presentNode{f}, nil
}

// compareOps are the comparison operators written as symbols.
var compareOps = map[string]bool{"==": true, "!=": true, "~=": true, "===": true, "<": true, ">": true, "<=": true, ">=": true}

var wordOps = map[string]string{
	"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
	"any_eq": "==", "all_ne": "!=", "any_ne": "~=", "all_eq": "===",
}

// value reads the literal after a comparison with f, typed as f is.
func (p *parser) value(f *field) (Value, error) {
	t := p.next()
	if t.kind != tWord && t.kind != tString {
		return Value{}, p.errAt(t, fmt.Sprintf("a value for %s is due here", f.name))
	}
	if _, isField := fieldByName[t.text]; isField && t.kind == tWord {
		return Value{}, p.errAt(t, "comparing two fields is not supported")
	}
	v, err := f.kind.parse(t.text, t.kind == tString)
	if err != nil {
		return Value{}, p.errAt(t, fmt.Sprintf("%s: %v", f.name, err))
	}
	if f.kind == KindUint && v.U > f.max {
		return Value{}, p.errAt(t, fmt.Sprintf("%q too big for %s, maximum %d", t.text, f.name, f.max))
	}
	return v, nil
}

// set reads "{v1, v2, lo..hi, ...}".
func (p *parser) set(f *field) (node, error) {
	if t := p.next(); t.kind != tLBrace {
		return nil, p.errAt(t, "\"{\" is due after in")
	}
	var n setNode
	n.f = f
	for {
		if t := p.peek(); t.kind == tRBrace && len(n.items) > 0 {
			p.next()
			return n, nil
		} else if len(n.items) > 0 {
			// Wireshark 4.0 separates a set's items with commas.
			if t.kind != tComma {
				return nil, p.errAt(t, fmt.Sprintf("%q was unexpected: a comma separates a set's items", t.text))
			}
			p.next()
		} else if t.kind == tRBrace {
			return nil, p.errAt(t, "empty set")
		}
		lo, err := p.value(f)
		if err != nil {
			return nil, err
		}
		hi := lo
		if p.peek().kind == tRange {
			p.next()
			if hi, err = p.value(f); err != nil {
				return nil, err
			}
		}
		n.items = append(n.items, [2]Value{lo, hi})
	}
}
