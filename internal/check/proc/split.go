package proc

import (
	"errors"
	"strings"
)

// ErrUnclosedQuote means a command line ends inside quotes.
var ErrUnclosedQuote = errors.New("unclosed quote in the command")

// Split splits a command line given as one string ("python3 server.py
// {port}") into words as a POSIX shell would without expanding anything:
// blanks separate words; single quotes keep everything literally; double
// quotes keep everything but a backslash before ", \, $ or `; a backslash
// outside quotes keeps the next character.
func Split(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, ErrUnclosedQuote
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			n, err := doubleQuoted(&w, s[i+1:])
			if err != nil {
				return nil, err
			}
			i += n
			inWord = true
		case ch == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// doubleQuoted writes the text of a double-quoted string that starts s
// (after the opening quote) to w and returns how many bytes it took,
// the closing quote included.
func doubleQuoted(w *strings.Builder, s string) (int, error) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"':
			return i + 1, nil
		case ch == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
			i++
			w.WriteByte(s[i])
		default:
			w.WriteByte(ch)
		}
	}
	return 0, ErrUnclosedQuote
}
