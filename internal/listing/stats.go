package listing

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
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

// Expert severities, in the order tshark's -z expert prints them.
const (
	sevError = iota
	sevWarn
	sevNote
	sevChat
	numSev
)

var sevTitle = [numSev]string{"Errors", "Warns", "Notes", "Chats"}

// expertRow is one row of -z expert: an expert info's summary and how
// many packets carried it.
type expertRow struct {
	group, summary string
	count          uint64
}

// expertTap is -z expert over TCP: the expert infos Wireshark 4.0 adds
// for a segment's flags, its conversation's close and its sequence
// analysis, counted by summary in the order first seen.
type expertTap struct {
	rows  [numSev][]expertRow
	index map[string]int // severity and summary → row
	// closing marks, by stream and direction, the flows that started
	// the conversation's close (Wireshark's closing_initiator).
	closing map[uint64]bool
}

func newExpertTap() *expertTap {
	return &expertTap{index: map[string]int{}, closing: map[uint64]bool{}}
}

func (e *expertTap) add(sev int, group, summary string) {
	key := string(rune('0'+sev)) + group + "\x00" + summary
	i, ok := e.index[key]
	if !ok {
		i = len(e.rows[sev])
		e.index[key] = i
		e.rows[sev] = append(e.rows[sev], expertRow{group: group, summary: summary})
	}
	e.rows[sev][i].count++
}

// analysisExperts lists the sequence analysis's expert infos in the
// order Wireshark adds them to a segment, each with its severity.
var analysisExperts = []struct {
	flag    tcpanalysis.Flags
	sev     int
	summary string
}{
	{tcpanalysis.FastRetransmission, sevNote, "This frame is a (suspected) fast retransmission"},
	{tcpanalysis.SpuriousRetransmission, sevNote, "This frame is a (suspected) spurious retransmission"},
	{tcpanalysis.Retransmission | tcpanalysis.FastRetransmission | tcpanalysis.SpuriousRetransmission, sevNote, "This frame is a (suspected) retransmission"},
	{tcpanalysis.OutOfOrder, sevWarn, "This frame is a (suspected) out-of-order segment"},
	{tcpanalysis.LostSegment, sevWarn, "Previous segment(s) not captured (common at capture start)"},
	{tcpanalysis.AckLostSegment, sevWarn, "ACKed segment that wasn't captured (common at capture start)"},
	{tcpanalysis.WindowUpdate, sevChat, "TCP window update"},
	{tcpanalysis.WindowFull, sevWarn, "TCP window specified by the receiver is now completely full"},
	{tcpanalysis.KeepAlive, sevNote, "TCP keep-alive segment"},
	{tcpanalysis.KeepAliveAck, sevNote, "ACK to a TCP keep-alive segment"},
	{tcpanalysis.DuplicateAck, sevNote, ""}, // "Duplicate ACK (#N)"
	{tcpanalysis.ZeroWindowProbe, sevNote, "TCP Zero Window Probe"},
	{tcpanalysis.ZeroWindow, sevWarn, "TCP Zero Window segment"},
	{tcpanalysis.ZeroWindowProbeAck, sevNote, "ACK to a TCP Zero Window Probe"},
}

func (e *expertTap) packet(pk *packets.Packet) {
	if !pk.Analysed || pk.Result.BogusHeaderLen {
		return
	}
	r := &pk.Result
	const seq = "Sequence"
	fl := r.TCPFlags
	switch {
	case fl&decode.FlagSYN != 0 && fl&decode.FlagACK == 0:
		e.add(sevChat, seq, "Connection establish request (SYN): server port "+strconv.Itoa(int(pk.Decoded.TCP.DstPort())))
	case fl&decode.FlagSYN != 0:
		e.add(sevChat, seq, "Connection establish acknowledge (SYN+ACK): server port "+strconv.Itoa(int(pk.Decoded.TCP.SrcPort())))
	}
	if fl&decode.FlagFIN != 0 {
		e.add(sevChat, seq, "Connection finish (FIN)")
		fwd := uint64(r.Stream)<<1 | b2u(r.FromServer)
		if !e.closing[fwd^1] {
			e.closing[fwd] = true
		}
		if e.closing[fwd] {
			e.add(sevNote, seq, "This frame initiates the connection closing")
		} else {
			e.add(sevNote, seq, "This frame undergoes the connection closing")
		}
	}
	if fl&decode.FlagRST != 0 {
		e.add(sevWarn, seq, "Connection reset (RST)")
	}
	if r.Analysis&tcpanalysis.ReusedPorts != 0 && !r.Stopped() {
		e.add(sevNote, seq, "A new tcp session is started with the same ports as an earlier session in this trace")
	}
	if r.Stopped() {
		return
	}
	for _, x := range analysisExperts {
		if r.Analysis&x.flag == 0 {
			continue
		}
		if x.flag == tcpanalysis.DuplicateAck {
			e.add(x.sev, seq, "Duplicate ACK (#"+strconv.FormatUint(uint64(r.DupAckNum), 10)+")")
			continue
		}
		e.add(x.sev, seq, x.summary)
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (e *expertTap) write(w *bufio.Writer) error {
	for sev, rows := range e.rows {
		if len(rows) == 0 {
			continue
		}
		var total uint64
		for _, r := range rows {
			total += r.count
		}
		fmt.Fprintf(w, "\n%s (%d)\n=============\n   Frequency      Group           Protocol  Summary\n", sevTitle[sev], total)
		for _, r := range rows {
			fmt.Fprintf(w, "%12d %10s %18s  %s\n", r.count, r.group, "TCP", r.summary)
		}
	}
	return nil
}

// ioTap is -z io,stat. (In progress.)
type ioTap struct{}

func newIOTap(Stat, *packets.Source) *ioTap { return &ioTap{} }

func (e *ioTap) packet(*packets.Packet) {}

func (e *ioTap) write(*bufio.Writer) error { return nil }
