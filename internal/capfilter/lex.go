package capfilter

import (
	"errors"
	"fmt"
)

// ErrSyntax is wrapped by every *SyntaxError, so callers can test for a
// filter the user got wrong with errors.Is.
var ErrSyntax = errors.New("invalid capture filter")

// SyntaxError reports a filter that cannot be compiled: where, which token,
// and why.
type SyntaxError struct {
	Offset int    // byte offset of the token in the filter text
	Token  string // the offending token; empty at the end of the filter
	Msg    string // what was expected there, or why the token is refused
}

func (e *SyntaxError) Error() string {
	if e.Token == "" {
		return fmt.Sprintf("capfilter: at offset %d (end of filter): %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("capfilter: at offset %d, %q: %s", e.Offset, e.Token, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// tokKind is the lexical class of a token.
type tokKind int

const (
	tokEOF    tokKind = iota
	tokWord           // a keyword, number, address, prefix or port range
	tokAnd            // "and" or "&&"
	tokOr             // "or" or "||"
	tokNot            // "not" or "!"
	tokLParen         // "("
	tokRParen         // ")"
	tokBad            // a character outside the subset (e.g. '[', '=', '>')
)

type token struct {
	kind tokKind
	text string
	off  int // byte offset in the filter text
}

// isWordByte reports whether c may appear in a word: letters and digits,
// and the punctuation of addresses (".", ":"), prefixes ("/"), port ranges
// ("-") and names ("_").
func isWordByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '.', ':', '/', '-', '_':
		return true
	}
	return false
}

// lex splits s into tokens. It never fails: characters outside the subset
// become tokBad tokens, which the parser reports with their position.
func lex(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == '!' && (i+1 >= len(s) || s[i+1] != '='):
			toks = append(toks, token{tokNot, "!", i})
			i++
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			toks = append(toks, token{tokAnd, "&&", i})
			i += 2
		case c == '|' && i+1 < len(s) && s[i+1] == '|':
			toks = append(toks, token{tokOr, "||", i})
			i += 2
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			w := s[i:j]
			kind := tokWord
			switch w {
			case "and":
				kind = tokAnd
			case "or":
				kind = tokOr
			case "not":
				kind = tokNot
			}
			toks = append(toks, token{kind, w, i})
			i = j
		default:
			// One bad character (or a two-character operator such as
			// "!=", ">=") is enough for the error message.
			j := i + 1
			if j < len(s) && (s[j] == '=' || s[j] == '&' || s[j] == '|') && (c == '!' || c == '<' || c == '>' || c == '=') {
				j++
			}
			for j < len(s) && s[j] >= 0x80 && s[j] < 0xC0 { // rest of a UTF-8 sequence
				j++
			}
			toks = append(toks, token{tokBad, s[i:j], i})
			i = j
		}
	}
	toks = append(toks, token{tokEOF, "", len(s)})
	return toks
}
