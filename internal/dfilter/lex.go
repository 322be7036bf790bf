// Package dfilter reads Wireshark's display filter language over the
// fields tcplab computes: `tcp.port == 80 && ip.addr == 10.0.0.0/8`,
// `tcp.analysis.retransmission`, `tcp.flags.syn == 1 and not
// tcp.flags.ack`, `tcp.payload contains "GET"`, `tcp.stream in {0 2..4}`.
//
// Compile parses a filter once; Filter.Match tests a packet. A filter
// naming a field tcplab does not compute, or using a part of the language
// it does not support, is an error pointing at the offending token —
// never a filter that silently matches everything.
package dfilter

import (
	"fmt"
	"strings"
)

// SyntaxError is a filter that does not compile: Offset is the byte in
// the filter where the problem starts.
type SyntaxError struct {
	Filter string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at column %d of %q", e.Msg, e.Offset+1, e.Filter)
}

// tokKind is a token's kind.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // a field name, a bare number, address or keyword
	tString         // a quoted string, unquoted
	tOp             // == != ~= < > <= >= && || !
	tLParen
	tRParen
	tLBrace
	tRBrace
	tComma
	tRange // ..
	tLBrack
	tRBrack
)

type token struct {
	kind tokKind
	text string
	off  int
}

// lex splits s into tokens.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			str, n, err := lexString(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, str, i})
			i += n
		case strings.HasPrefix(s[i:], ".."):
			toks = append(toks, token{tRange, "..", i})
			i += 2
		case strings.ContainsRune("(){}[],", rune(c)):
			toks = append(toks, token{punct[c], s[i : i+1], i})
			i++
		case strings.ContainsRune("=!~<>&|^", rune(c)):
			n := 1
			switch {
			case strings.HasPrefix(s[i:], "==="):
				n = 3
			case i+1 < len(s) && (s[i+1] == '=' || (c == '&' || c == '|' || c == '^') && s[i+1] == c):
				n = 2
			}
			op := s[i : i+n]
			switch op {
			case "=", "&", "|":
				return nil, &SyntaxError{s, i, fmt.Sprintf("%q is not an operator (did you mean %q?)", op, op+op[:1])}
			case "^":
				return nil, &SyntaxError{s, i, `"^" is not an operator`}
			}
			toks = append(toks, token{tOp, op, i})
			i += n
		default:
			j := i
			for j < len(s) && isWordByte(s, j) {
				j++
			}
			if j == i {
				return nil, &SyntaxError{s, i, fmt.Sprintf("unexpected %q", s[i:i+1])}
			}
			toks = append(toks, token{tWord, s[i:j], i})
			i = j
		}
	}
	return append(toks, token{tEOF, "", len(s)}), nil
}

var punct = map[byte]tokKind{'(': tLParen, ')': tRParen, '{': tLBrace, '}': tRBrace, '[': tLBrack, ']': tRBrack, ',': tComma}

// isWordByte reports whether s[j] continues a word: letters, digits and
// the characters of field names, numbers, addresses and CIDR prefixes,
// but not the ".." of a range.
func isWordByte(s string, j int) bool {
	c := s[j]
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == ':', c == '/':
		return true
	case c == '.':
		return !strings.HasPrefix(s[j:], "..")
	}
	return false
}

// lexString reads the quoted string starting at s[i], with C escapes,
// and returns it and its length in s.
func lexString(s string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; c {
		case '"':
			return b.String(), j + 1 - i, nil
		case '\\':
			j++
			if j == len(s) {
				break
			}
			switch e := s[j]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'x':
				if j+2 < len(s) {
					var v byte
					if _, err := fmt.Sscanf(s[j+1:j+3], "%02x", &v); err == nil {
						b.WriteByte(v)
						j += 2
						continue
					}
				}
				return "", 0, &SyntaxError{s, j - 1, `bad \x escape`}
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, &SyntaxError{s, i, "string not closed"}
}
