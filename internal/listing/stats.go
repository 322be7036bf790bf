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
	// calcs holds, for each column that is a calculation such as
	// SUM(tcp.len)tcp.len, the calculation (nil for a filter's column,
	// whose Filters entry is then the calculation's filter).
	calcs []*ioCalc
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
			if len(strings.TrimSpace(p)) > 91 {
				return Stat{}, fmt.Errorf("%w: io,stat column %q: longer than 91 characters (tshark wraps those; tcplab does not)", ErrStat, p)
			}
			calc, err := parseCalc(strings.TrimSpace(p))
			if err != nil {
				return Stat{}, fmt.Errorf("%w: %w", ErrStat, err)
			}
			st.calcs = append(st.calcs, calc)
			if calc != nil {
				st.Filters = append(st.Filters, calc.filter)
				continue
			}
			if strings.TrimSpace(p) == "" {
				st.Filters = append(st.Filters, nil)
				continue
			}
			f, err := dfilter.Compile(strings.TrimSpace(p))
			if err != nil {
				return Stat{}, fmt.Errorf("%w: io,stat filter: %w", ErrStat, err)
			}
			st.Filters = append(st.Filters, f)
		}
		return st, nil
	}
	return Stat{}, fmt.Errorf("%w: %q: tcplab knows conv,tcp, follow,tcp,ascii,N, expert and io,stat,INTERVAL[,FILTER...]", ErrStat, arg)
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

// FilterPackets returns a function that reports whether the display
// filter f passes an analysed packet, as Run's -Y does (one record
// reused: no allocation per packet).
func FilterPackets(f *dfilter.Filter) func(*packets.Packet) bool {
	var rec dfilter.Record
	return func(pk *packets.Packet) bool {
		if !pk.Analysed {
			return false
		}
		fillRecord(&rec, pk)
		return f.Match(&rec)
	}
}

// fillRecord makes r the packet pk as a display filter reads it,
// keeping r's buffers: one Record reused for every packet evaluates
// filters without allocating.
func fillRecord(r *dfilter.Record, pk *packets.Packet) {
	r.Frame, r.Time, r.RelNS = pk.Number, float64(pk.RelTime)/1e9, pk.RelTime
	r.Len, r.CapLen, r.Iface, r.IfaceName = pk.WireLen, pk.CapLen, pk.Interface, pk.IfaceName
	r.P, r.R, r.Cut = &pk.Decoded, &pk.Result, !pk.Analysed
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

// ioTap is -z io,stat: frames and bytes per interval, for every frame
// (a column without a filter) or the TCP packets a column's filter
// passes, drawn as tshark 4.0 draws the table.
type ioTap struct {
	st       Stat
	interval int64 // µs; 0 for the whole capture
	cols     []ioCol
	duration int64 // µs: the latest frame's relative time
	rec      dfilter.Record
	named    map[string]bool
}

// ioCol is one column: its filter (nil: every frame) and its counts by
// interval.
type ioCol struct {
	filter *dfilter.Filter
	frames []uint64
	bytes  []uint64
	// calc, when set, makes the column a calculation over a field, its
	// values in cells.
	calc  *ioCalc
	cells calcCells
}

// newIOTap returns the tap of st; named holds the fields that some
// filter of the run names, the only ones tshark 4.0 gives a
// calculation values of (see namedFields).
func newIOTap(st Stat, named map[string]bool) *ioTap {
	t := &ioTap{st: st, interval: st.Interval, named: named}
	if len(st.Filters) == 0 {
		t.cols = []ioCol{{}}
	}
	for j, f := range st.Filters {
		t.cols = append(t.cols, ioCol{filter: f})
		if j < len(st.calcs) {
			t.cols[j].calc = st.calcs[j]
		}
	}
	return t
}

// usec is a relative time in nanoseconds rounded to microseconds, as
// tshark's io,stat reads it.
func usec(ns int64) int64 { return ns/1e9*1e6 + (ns%1e9+500)/1000 }

// bucket returns the interval a frame at rel (ns) falls in.
func (t *ioTap) bucket(rel int64) int {
	if t.interval == 0 {
		return 0
	}
	return int(usec(rel) / t.interval)
}

func (c *ioCol) add(b int, wireLen int) {
	for len(c.frames) <= b {
		c.frames = append(c.frames, 0)
		c.bytes = append(c.bytes, 0)
	}
	c.frames[b]++
	c.bytes[b] += uint64(wireLen)
}

// frame counts any frame, for the columns without a filter.
func (t *ioTap) frame(rel int64, wireLen int) {
	t.duration = max(t.duration, usec(rel))
	b := t.bucket(rel)
	for i := range t.cols {
		c := &t.cols[i]
		switch {
		case c.filter != nil:
		case c.calc != nil:
			c.calc.add(&c.cells, b, nil, true) // the TCP packet's values come with packet
		default:
			c.add(b, wireLen)
		}
	}
}

func (t *ioTap) packet(pk *packets.Packet) {
	fillRecord(&t.rec, pk)
	b := t.bucket(pk.RelTime)
	for i := range t.cols {
		c := &t.cols[i]
		f := c.filter
		switch {
		case c.calc != nil && (f == nil || f.Match(&t.rec)):
			var vals []dfilter.Value
			if t.named[c.calc.field.Name()] {
				vals = c.calc.field.Values(&t.rec)
			}
			c.calc.add(&c.cells, b, vals, f != nil)
		case c.calc == nil && f != nil && f.Match(&t.rec):
			c.add(b, pk.WireLen)
		}
	}
}

// colTitle is column j's title: its calculation or filter as given, or
// "Frames and bytes" for every frame.
func (t *ioTap) colTitle(j int) string {
	switch c := t.cols[j]; {
	case c.calc != nil:
		return c.calc.text
	case c.filter != nil:
		return c.filter.String()
	}
	return "Frames and bytes"
}

// magnitude is the number of decimal digits of v, at most maxW.
func magnitude(v uint64, maxW int) int {
	m := 0
	for range maxW {
		m++
		if v /= 10; v == 0 {
			break
		}
	}
	return m
}

// center writes a column's label centered as tshark's printcenter does.
func center(b *strings.Builder, label string, width int) {
	n := 6 - ((width-len(label))/2 + 1)
	switch {
	case n > 0 && n < 6:
		pad := strings.Repeat(" ", 6-n)
		if (width-len(label))%2 == 0 {
			b.WriteString(pad + label + pad + "|")
		} else {
			b.WriteString(" " + pad + label + pad + "|")
		}
	case n > 0 && n <= 15:
		b.WriteString(label + "|")
	}
}

// ioLayout is the shape of an io,stat table as tshark 4.0 draws it: the
// duration (as measured, and rounded to the interval's precision), the
// interval, the precision and its unit (dv µs), the widths of the
// duration, of the interval column, of each column (ws), of a row and
// of the border, and the filler closing a row narrower than the border.
type ioLayout struct {
	duration, measured, interval, dv       int64
	prec, durW, durMag, invlW, row, border int
	ws                                     []ioWidth
	filler                                 string
}

// ioWidth is a column's width: its frames and its bytes (or
// calculation's value).
type ioWidth struct{ fr, val int }

// spaces returns n spaces (none when n < 1).
func spaces(n int) string { return strings.Repeat(" ", max(n, 0)) }

// layout works out the table's shape from what the tap counted.
func (t *ioTap) layout() ioLayout {
	duration := t.duration
	interval := t.interval
	whole := interval == 0 || interval > duration
	if whole {
		interval = duration
	}
	durMag := magnitude(uint64(duration/1e6), 5)
	invlMag := magnitude(uint64(interval/1e6), 5)
	var prec, border int
	if whole {
		switch {
		case durMag >= 2:
			prec = 1
		case durMag == 1:
			prec = 3
		}
		border = 30 + durMag + prec + 1
	} else {
		prec = 6
		for i := int64(10); i < 10000000 && interval%i == 0; i *= 10 {
			prec--
		}
		border = 24 + invlMag
		if prec > 0 {
			border += prec + 1
		}
	}
	dv := int64(1e6)
	for range prec {
		dv /= 10
	}
	// The duration as measured (shown with whole-second intervals), and
	// rounded to the interval's precision (shown otherwise, and the
	// rows' span).
	measured := duration
	duration += 5 * (dv / 10)
	if whole {
		interval = duration
	}
	// tshark's formats keep the duration's width from before the
	// rounding; the spaces and the column's width take the rounded
	// duration's (a line can then lack a space, as in tshark).
	durW := durMag
	durMag = magnitude(uint64(duration/1e6), 5)
	invlW := 2*durMag + 2*prec + 10
	if prec == 0 {
		invlW = 2*durMag + 8
	}
	invlW = max(invlW, 12)
	border = max(border, invlW)
	ws := make([]ioWidth, len(t.cols))
	row := invlW
	for j, c := range t.cols {
		if c.calc != nil {
			ws[j] = ioWidth{val: c.calc.width(&c.cells)}
			row += ws[j].val + 3
			continue
		}
		var mf, mv uint64
		for k := range c.frames {
			mf, mv = max(mf, c.frames[k]), max(mv, c.bytes[k])
		}
		ws[j] = ioWidth{max(6, magnitude(mf, 15)), max(5, magnitude(mv, 15))}
		row += ws[j].fr + ws[j].val + 6
	}
	border = max(border, row)
	fw := 0
	for j := range t.cols {
		fw = max(fw, len(t.colTitle(j))+11)
	}
	if fw > border && border < 102 {
		border = min(fw, 102)
	}
	if border-row == 1 {
		border++
	}
	l := ioLayout{duration: duration, measured: measured, interval: interval, dv: dv, prec: prec, durW: durW, durMag: durMag, invlW: invlW, row: row, border: border, ws: ws}
	if row < border {
		l.filler = spaces(border-row-1) + "|"
	}
	return l
}

// writeHead writes the table's title, duration, interval and columns'
// titles.
func (t *ioTap) writeHead(b *strings.Builder, l *ioLayout) {
	b.WriteString("\n" + strings.Repeat("=", l.border) + "\n")
	b.WriteString("| IO Statistics" + spaces(l.border-16) + "|\n")
	b.WriteString("|" + spaces(l.border-2) + "|\n")
	if l.prec == 0 {
		fmt.Fprintf(b, "| Duration: %*d.%6d secs%s|\n", l.durW, l.measured/1e6, l.measured%1e6, spaces(l.border-25-l.durMag))
		fmt.Fprintf(b, "| Interval: %*d secs%s|\n", l.durW, l.interval/1e6, spaces(l.border-18-l.durMag))
	} else {
		fmt.Fprintf(b, "| Duration: %*d.%0*d secs%s|\n", l.durW, l.duration/1e6, l.prec, l.duration%1e6/l.dv, spaces(l.border-19-l.durMag-l.prec))
		fmt.Fprintf(b, "| Interval: %*d.%0*d secs%s|\n", l.durW, l.interval/1e6, l.prec, l.interval%1e6/l.dv, spaces(l.border-19-l.durMag-l.prec))
	}
	b.WriteString("|" + spaces(l.border-2) + "|\n")
	for j := range t.cols {
		if j == 0 {
			fmt.Fprintf(b, "| Col%2d: ", j+1)
		} else {
			fmt.Fprintf(b, "|    %2d: ", j+1)
		}
		title := t.colTitle(j)
		b.WriteString(title + spaces(l.border-len(title)-10) + "|\n")
	}
}

// writeColumnHeads writes the columns' numbers and labels.
func (t *ioTap) writeColumnHeads(b *strings.Builder, l *ioLayout) {
	b.WriteString("|-" + strings.Repeat("-", l.border-3) + "|\n")
	b.WriteString("|" + spaces(l.invlW-2) + "|")
	for j, c := range t.cols {
		if c.calc != nil {
			fmt.Fprintf(b, "%-2d%s|", j+1, spaces(l.ws[j].val))
			continue
		}
		fmt.Fprintf(b, "%-2d%s|", j+1, spaces(l.ws[j].fr+l.ws[j].val+3))
	}
	b.WriteString(l.filler + "\n| Interval" + spaces(l.invlW-11) + "|")
	for j, c := range t.cols {
		if c.calc != nil {
			center(b, c.calc.name, l.ws[j].val)
			continue
		}
		center(b, "Frames", l.ws[j].fr)
		center(b, "Bytes", l.ws[j].val)
	}
	b.WriteString(l.filler + "\n|-" + strings.Repeat("-", l.row-3) + "|")
	if l.row < l.border {
		b.WriteString(spaces(l.border-l.row-1) + "|")
	}
	b.WriteString("\n")
}

// writeRows writes a row per interval.
func (t *ioTap) writeRows(b *strings.Builder, l *ioLayout) {
	// A last, partial l.row when what is left of the l.duration reaches
	// half a unit of the precision.
	// A capture of one instant has none.
	rows := int(l.duration / l.interval)
	if (l.duration%l.interval+l.dv/2)/l.dv > 0 {
		rows++
	}
	if l.measured == 0 {
		rows = 0
	}
	// A column widened to its minimum of 12 (a one-digit l.duration in
	// whole seconds) centres the l.interval.
	natural := 2*l.durMag + 2*l.prec + 10
	if l.prec == 0 {
		natural = 2*l.durMag + 8
	}
	lpad := (l.invlW - natural) / 2
	rpad := l.invlW - natural - lpad
	for i, tt := 0, int64(0); i < rows; i, tt = i+1, tt+l.interval {
		end := tt + l.interval
		last := i == rows-1
		if last {
			end = l.duration
		}
		switch {
		case l.prec > 0:
			fmt.Fprintf(b, "| %*d.%0*d <> %*d.%0*d |", l.durW, tt/1e6, l.prec, tt%1e6/l.dv, l.durW, end/1e6, l.prec, end%1e6/l.dv)
		case last:
			fmt.Fprintf(b, "| %s%*d <> %-*s|", spaces(lpad), l.durW, tt/1e6, l.invlW-l.durMag-7-lpad, "Dur")
		default:
			fmt.Fprintf(b, "| %s%*d <> %*d%s |", spaces(lpad), l.durW, tt/1e6, l.durW, end/1e6, spaces(rpad))
		}
		for j, c := range t.cols {
			if c.calc != nil {
				b.WriteString(c.calc.cell(&c.cells, i, l.ws[j].val))
				continue
			}
			var f, by uint64
			if i < len(c.frames) {
				f, by = c.frames[i], c.bytes[i]
			}
			fmt.Fprintf(b, " %*d | %*d |", l.ws[j].fr, f, l.ws[j].val, by)
		}
		b.WriteString(l.filler + "\n")
	}
}

func (t *ioTap) write(w *bufio.Writer) error {
	l := t.layout()
	var b strings.Builder
	t.writeHead(&b, &l)
	t.writeColumnHeads(&b, &l)
	t.writeRows(&b, &l)
	b.WriteString(strings.Repeat("=", l.border) + "\n")
	_, err := w.WriteString(b.String())
	return err
}
