package listing

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/packets"
)

// ErrStat is wrapped by the errors ParseStat returns.
var ErrStat = errors.New("bad statistics argument")

// StatKind is one of tshark's -z statistics.
type StatKind uint8

// The statistics Run prints.
const (
	StatConv   StatKind = iota + 1 // -z conv,tcp
	StatFollow                     // -z follow,tcp,ascii,N
	StatExpert                     // -z expert
	StatIO                         // -z io,stat,INTERVAL[,FILTER...]
)

// Stat is one of tshark's -z statistics. Like tshark's taps, it sees
// every packet: a display filter (Options.Filter) only picks the packets
// printed.
type Stat struct {
	Kind   StatKind
	Stream uint32 // StatFollow: the stream followed
	// StatIO: the interval in microseconds (0: the whole capture), and
	// the columns' filters (none: one column of every frame).
	Interval int64
	Filters  []*dfilter.Filter
}

// ParseStat reads a -z argument: "conv,tcp", "follow,tcp,ascii,N",
// "expert" or "io,stat,INTERVAL[,FILTER...]".
func ParseStat(arg string) (Stat, error) {
	switch {
	case arg == "conv,tcp":
		return Stat{Kind: StatConv}, nil
	case strings.HasPrefix(arg, "follow,tcp,ascii,"):
		n, err := strconv.ParseUint(strings.TrimPrefix(arg, "follow,tcp,ascii,"), 10, 32)
		if err != nil {
			return Stat{}, fmt.Errorf("%w: %q: want follow,tcp,ascii,N with N a stream number", ErrStat, arg)
		}
		return Stat{Kind: StatFollow, Stream: uint32(n)}, nil
	case arg == "expert":
		return Stat{Kind: StatExpert}, nil
	case strings.HasPrefix(arg, "io,stat,"):
		parts := strings.Split(strings.TrimPrefix(arg, "io,stat,"), ",")
		iv, err := parseInterval(parts[0])
		if err != nil {
			return Stat{}, fmt.Errorf("%w: %q: %v", ErrStat, arg, err)
		}
		st := Stat{Kind: StatIO, Interval: iv}
		for _, p := range parts[1:] {
			if isCalc(p) {
				return Stat{}, fmt.Errorf("%w: %q: io,stat's COUNT, SUM, MIN, MAX, AVG and LOAD columns are not supported; filters are", ErrStat, p)
			}
			if strings.TrimSpace(p) == "" {
				st.Filters = append(st.Filters, nil)
				continue
			}
			f, err := dfilter.Compile(p)
			if err != nil {
				return Stat{}, fmt.Errorf("%w: io,stat filter: %w", ErrStat, err)
			}
			st.Filters = append(st.Filters, f)
		}
		return st, nil
	}
	return Stat{}, fmt.Errorf("%w: %q: tcplab knows conv,tcp, follow,tcp,ascii,N, expert and io,stat,INTERVAL[,FILTER...]", ErrStat, arg)
}

// isCalc reports whether an io,stat column is a calculation such as
// SUM(tcp.len)tcp.len rather than a filter.
func isCalc(p string) bool {
	name, _, ok := strings.Cut(strings.TrimSpace(p), "(")
	if !ok {
		return false
	}
	switch strings.ToUpper(name) {
	case "COUNT", "SUM", "MIN", "MAX", "AVG", "LOAD", "COUNT_FRAMES", "COUNT_FIELDS":
		return true
	}
	return false
}

// parseInterval reads io,stat's interval in seconds, to the
// microsecond, as tshark does ("0" or "" for the whole capture).
func parseInterval(s string) (int64, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseUint(whole, 10, 32)
	if err != nil && whole != "" {
		return 0, fmt.Errorf("interval %q: not a number of seconds", s)
	}
	us := int64(w) * 1e6
	if frac != "" {
		if len(frac) > 6 {
			return 0, fmt.Errorf("interval %q: at most 6 decimals", s)
		}
		f, err := strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("interval %q: not a number of seconds", s)
		}
		for range 6 - len(frac) {
			f *= 10
		}
		us += int64(f)
	}
	if us <= 0 {
		return 0, fmt.Errorf("interval %q: must be positive", s)
	}
	return us, nil
}

// tap is a statistic: it sees every packet Run reads (those --select
// picks), and writes its block after the packets.
type tap interface {
	packet(pk *packets.Packet)
	write(w *bufio.Writer) error
}

// filterRecord returns pk as a display filter reads it.
func filterRecord(pk *packets.Packet) dfilter.Record {
	return dfilter.Record{
		Frame: pk.Number, Time: float64(pk.RelTime) / 1e9, RelNS: pk.RelTime,
		Len: pk.WireLen, CapLen: pk.CapLen, Iface: pk.Interface, IfaceName: pk.IfaceName,
		P: &pk.Decoded, R: &pk.Result,
	}
}

// followTap is -z follow,tcp,ascii,N.
type followTap struct{ fol *follower }

func (f *followTap) packet(pk *packets.Packet) {
	if pk.Analysed {
		f.fol.add(&pk.Decoded, &pk.Result)
	}
}

func (f *followTap) write(w *bufio.Writer) error {
	_, err := w.Write(f.fol.appendText(nil))
	return err
}

// convTap is -z conv,tcp: tshark's conversation table, with its columns
// only. Its rows come from the conversation table Run keeps.
type convTap struct{ conv *convTable }

func (c *convTap) packet(*packets.Packet) {}

func (c *convTap) write(w *bufio.Writer) error { return c.conv.write(w) }

// expertTap is -z expert. (In progress.)
type expertTap struct{}

func newExpertTap() *expertTap { return &expertTap{} }

func (e *expertTap) packet(*packets.Packet) {}

func (e *expertTap) write(*bufio.Writer) error { return nil }

// ioTap is -z io,stat. (In progress.)
type ioTap struct{}

func newIOTap(Stat, *packets.Source) *ioTap { return &ioTap{} }

func (e *ioTap) packet(*packets.Packet) {}

func (e *ioTap) write(*bufio.Writer) error { return nil }
