package listing

import (
	"fmt"

	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Fields is tshark's -T fields output: one line per packet printed, the
// columns' values separated by Separator.
type Fields struct {
	Columns    []*dfilter.Column
	Header     bool   // -E header=y: a first line with the fields' names
	Separator  string // -E separator (default a tab)
	Quote      string // -E quote: "", `"` or "'"
	Occurrence dfilter.Occurrence
	Aggregator string // -E aggregator (default a comma)
	// shadowed marks the columns whose field a later column names
	// again: tshark 4.0 prints a field given twice at its last place
	// only, leaving the earlier ones empty.
	shadowed []bool
}

// NewFields returns the fields output of the fields called names, with
// tshark's defaults (tab-separated, all occurrences joined by commas, no
// header, no quotes).
func NewFields(names []string) (*Fields, error) {
	f := &Fields{Separator: "\t", Aggregator: ","}
	for _, n := range names {
		c, err := dfilter.NewColumn(n)
		if err != nil {
			return nil, err
		}
		f.Columns = append(f.Columns, c)
	}
	f.shadowed = make([]bool, len(names))
	for i := range names {
		for _, later := range names[i+1:] {
			f.shadowed[i] = f.shadowed[i] || later == names[i]
		}
	}
	return f, nil
}

// SetOption applies one of tshark's -E options, "header=y",
// "separator=,", "quote=d", "occurrence=f" or "aggregator=;" ("/t" and
// "/s" are a tab and a space; otherwise the first character counts).
func (f *Fields) SetOption(opt string) error {
	key, val, ok := cutOpt(opt)
	if !ok {
		return fmt.Errorf("-E %s: want header, separator, quote, occurrence or aggregator =VALUE", opt)
	}
	switch key {
	case "header":
		switch val {
		case "y":
			f.Header = true
		case "n":
			f.Header = false
		default:
			return fmt.Errorf("-E %s: want header=y or header=n", opt)
		}
	case "separator", "aggregator":
		var c string
		switch {
		case val == "/t":
			c = "\t"
		case val == "/s":
			c = " "
		case val != "":
			c = val[:1]
		default:
			return fmt.Errorf("-E %s: want a character, /t or /s", opt)
		}
		if key == "separator" {
			f.Separator = c
		} else {
			f.Aggregator = c
		}
	case "quote":
		switch val {
		case "d":
			f.Quote = `"`
		case "s":
			f.Quote = "'"
		case "n":
			f.Quote = ""
		default:
			return fmt.Errorf("-E %s: want quote=d, quote=s or quote=n", opt)
		}
	case "occurrence":
		switch val {
		case "f":
			f.Occurrence = dfilter.First
		case "l":
			f.Occurrence = dfilter.Last
		case "a":
			f.Occurrence = dfilter.All
		default:
			return fmt.Errorf("-E %s: want occurrence=f, occurrence=l or occurrence=a", opt)
		}
	default:
		return fmt.Errorf("-E %s: tcplab knows header, separator, quote, occurrence and aggregator", opt)
	}
	return nil
}

func cutOpt(opt string) (key, val string, ok bool) {
	for i := range len(opt) {
		if opt[i] == '=' {
			return opt[:i], opt[i+1:], true
		}
	}
	return "", "", false
}

// fieldsSink writes one line of fields per packet.
type fieldsSink struct {
	batch
	sum     *Summary
	f       *Fields
	started bool
	scratch [][]byte
	rec     dfilter.Record
}

func (s *fieldsSink) header() {
	s.started = true
	if !s.f.Header {
		return
	}
	for i, c := range s.f.Columns {
		if i > 0 {
			s.buf = append(s.buf, s.f.Separator...)
		}
		s.buf = append(s.buf, c.Name()...)
	}
	s.buf = append(s.buf, '\n')
}

func (s *fieldsSink) packet(pk *packets.Packet) error {
	if !s.started {
		s.header()
	}
	if err := s.room(); err != nil {
		return err
	}
	s.sum.Packets++
	fillRecord(&s.rec, pk)
	for i, c := range s.f.Columns {
		if i > 0 {
			s.buf = append(s.buf, s.f.Separator...)
		}
		if s.f.shadowed[i] {
			continue
		}
		n := len(s.buf)
		s.buf = append(s.buf, s.f.Quote...)
		m := len(s.buf)
		s.buf = c.Append(s.buf, &s.rec, s.f.Occurrence, []byte(s.f.Aggregator), &s.scratch)
		if len(s.buf) == m {
			s.buf = s.buf[:n] // no value: no quotes
			continue
		}
		s.buf = append(s.buf, s.f.Quote...)
	}
	s.buf = append(s.buf, '\n')
	return nil
}

func (s *fieldsSink) stream(*tcpanalysis.Stream) error { return nil }

func (s *fieldsSink) finish() error {
	if !s.started {
		s.header()
	}
	return s.write()
}
