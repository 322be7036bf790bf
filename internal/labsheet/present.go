package labsheet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/i18n"
)

// doc is a sheet in words, which the text and HTML writers lay out.
type doc struct {
	Title     string
	Questions []question
}

// question is one of the lab's questions with its answer.
type question struct {
	ID      string // "ends", "syn", ... (the HTML anchors)
	Heading string
	Paras   []string
	Table   *table
	// TableAt is the index of the paragraph the table comes before
	// (len(Paras): after them all).
	TableAt int
}

type table struct {
	Header []string
	Rows   [][]string
}

// words puts s in words in lang.
func words(s *Sheet, lang i18n.Lang) *doc {
	if !lang.Known() {
		lang = i18n.English
	}
	w := &writer{lang: lang, s: s}
	d := &doc{Title: w.msg("lab.title", "stream", s.Stream, "packets", s.Packets)}
	d.Questions = []question{w.ends(), w.syn(), w.synack(), w.first(), w.rtt(), w.window(), w.retrans(), w.acks(), w.throughput(), w.slowStart()}
	for i := range d.Questions {
		d.Questions[i].Heading = fmt.Sprintf("%d. %s", i+1, w.msg("lab.q."+d.Questions[i].ID))
	}
	return d
}

type writer struct {
	lang i18n.Lang
	s    *Sheet
}

func (w *writer) msg(id string, args ...any) string { return i18n.Msg(w.lang, id, args...) }

func (w *writer) msgN(id string, n int, args ...any) string { return i18n.MsgN(w.lang, id, n, args...) }

func (w *writer) side(name string) string { return w.msg("side." + name) }

func (w *writer) other() string {
	if w.s.DataFrom == "server" {
		return w.side("client")
	}
	return w.side("server")
}

// secs formats a time as Wireshark's default: seconds, six decimals.
func secs(s Seconds) string { return fmt.Sprintf("%.6f", time.Duration(s).Seconds()) }

// ms formats a duration in milliseconds with three decimals.
func ms(s Seconds) string { return fmt.Sprintf("%.3f", float64(s)/float64(time.Millisecond)) }

// frames lists the first ten of fs, and says so when there are more
// (total in all).
func (w *writer) frames(fs []int, total int) string {
	sep := w.msg("frames.sep")
	parts := make([]string, 0, min(len(fs), 10)+1)
	for i, f := range fs {
		if i == 10 {
			break
		}
		parts = append(parts, strconv.Itoa(f))
	}
	out := strings.Join(parts, sep)
	if total > len(parts) {
		out = w.msg("lab.frames.more", "list", out, "shown", len(parts), "n", total)
	}
	return out
}

func (w *writer) ends() question {
	q := question{ID: "ends"}
	s := w.s
	if s.SYN != nil {
		q.Paras = append(q.Paras, w.msg("lab.client", "addr", s.Client.Addr, "port", s.Client.Port, "frame", s.SYN.Frame))
	} else {
		q.Paras = append(q.Paras, w.msg("lab.client.nosyn", "addr", s.Client.Addr, "port", s.Client.Port, "frame", s.Client.Frame))
	}
	q.Paras = append(q.Paras, w.msg("lab.server", "addr", s.Server.Addr, "port", s.Server.Port, "frame", s.Server.Frame))
	q.Paras = append(q.Paras, w.msg("lab.datafrom", "side", w.side(s.DataFrom), "other", w.other()))
	return q
}

func (w *writer) syn() question {
	q := question{ID: "syn"}
	h := w.s.SYN
	if h == nil {
		q.Paras = []string{w.msg("lab.syn.none")}
		return q
	}
	q.Paras = []string{w.msg("lab.syn", "frame", h.Frame, "time", secs(h.Time), "seq", h.Seq, "raw", h.SeqRaw, "flags", fmt.Sprintf("0x%03x", h.Flags))}
	return q
}

func (w *writer) synack() question {
	q := question{ID: "synack"}
	h := w.s.SYNACK
	if h == nil || h.Ack == nil {
		q.Paras = []string{w.msg("lab.synack.none")}
		return q
	}
	q.Paras = []string{w.msg("lab.synack", "frame", h.Frame, "time", secs(h.Time), "seq", h.Seq, "raw", h.SeqRaw,
		"ack", *h.Ack, "ackraw", *h.AckRaw, "isn", *h.AckRaw-1, "flags", fmt.Sprintf("0x%03x", h.Flags))}
	return q
}

func (w *writer) first() question {
	q := question{ID: "first"}
	f := w.s.FirstData
	if f == nil {
		q.Paras = []string{w.msg("lab.first.none")}
		return q
	}
	q.Paras = []string{w.msg("lab.first", "frame", f.Frame, "time", secs(f.Time), "side", w.side(w.s.DataFrom), "seq", f.Seq, "raw", f.SeqRaw, "len", f.Len)}
	return q
}

func (w *writer) rtt() question {
	q := question{ID: "rtt"}
	s := w.s
	if len(s.Segments) == 0 {
		q.Paras = []string{w.msg("lab.first.none")}
		return q
	}
	q.Paras = append(q.Paras, w.msgN("lab.rtt.how", len(s.Segments), "n", len(s.Segments)))
	t := &table{Header: []string{w.msg("lab.col.frame"), w.msg("lab.col.seq"), w.msg("lab.col.len"), w.msg("lab.col.sent"),
		w.msg("lab.col.ack"), w.msg("lab.col.acktime"), w.msg("lab.col.sample"), w.msg("lab.col.est"), w.msg("lab.col.ws")}}
	karn, ws := false, false
	for _, r := range s.Segments {
		row := []string{strconv.Itoa(r.Frame), fmt.Sprint(r.Seq), strconv.Itoa(r.Len), secs(r.Time), "—", "—", "—", "—", "—"}
		if r.AckTime != nil {
			row[4], row[5] = strconv.Itoa(r.AckFrame), secs(*r.AckTime)
		}
		switch {
		case r.Karn:
			row[6], karn = w.msg("lab.cell.karn"), true
		case r.Sample != nil:
			row[6] = ms(*r.Sample)
		}
		if r.Estimated != nil {
			row[7] = ms(*r.Estimated)
		}
		if r.WiresharkRTT != nil {
			row[8], ws = ms(*r.WiresharkRTT), true
		}
		t.Rows = append(t.Rows, row)
	}
	q.Table, q.TableAt = t, 1
	q.Paras = append(q.Paras, w.msg("lab.rtt.unit"))
	if karn {
		q.Paras = append(q.Paras, w.msg("lab.rtt.karn"))
	}
	if ws {
		q.Paras = append(q.Paras, w.msg("lab.rtt.ws"))
	}
	switch s.Vantage {
	case "receiver", "in_path", "unknown":
		q.Paras = append(q.Paras, w.msg("lab.rtt.vantage."+s.Vantage))
	}
	return q
}

func (w *writer) window() question {
	q := question{ID: "window"}
	win := w.s.Window
	if win == nil {
		q.Paras = []string{w.msg("lab.win.none", "side", w.other())}
		return q
	}
	q.Paras = append(q.Paras, w.msg("lab.win", "side", w.other(), "min", win.Min, "frame", win.MinFrame, "max", win.Max))
	if !win.Throttled {
		if w.s.Vantage == "receiver" {
			q.Paras = append(q.Paras, w.msg("lab.win.free.receiver"))
		} else {
			q.Paras = append(q.Paras, w.msg("lab.win.free"))
		}
		return q
	}
	why := []string{w.msg("lab.win.throttled")}
	if len(win.FullFrames) > 0 {
		why = append(why, w.msg("lab.win.full", "frames", w.frames(win.FullFrames, len(win.FullFrames))))
	}
	if len(win.ZeroFrames) > 0 {
		why = append(why, w.msg("lab.win.zero", "frames", w.frames(win.ZeroFrames, len(win.ZeroFrames))))
	}
	if len(win.LimitFrames) > 0 {
		why = append(why, w.msg("lab.win.limited", "frames", w.frames(win.LimitFrames, len(win.LimitFrames))))
	}
	q.Paras = append(q.Paras, strings.Join(why, w.lang.SentenceSep()))
	return q
}

func (w *writer) retrans() question {
	q := question{ID: "retrans"}
	r := w.s.Retrans
	if r.Flagged == 0 {
		q.Paras = append(q.Paras, w.msg("lab.retrans.none", "side", w.side(w.s.DataFrom)))
	} else {
		q.Paras = append(q.Paras, w.msgN("lab.retrans", r.Flagged, "n", r.Flagged, "side", w.side(w.s.DataFrom), "frames", w.frames(r.Frames, r.Flagged)))
	}
	if r.SeqBack == 0 {
		q.Paras = append(q.Paras, w.msg("lab.seqback.none"))
	} else {
		q.Paras = append(q.Paras, w.msgN("lab.seqback", r.SeqBack, "n", r.SeqBack, "frames", w.frames(r.SeqBackFrames, r.SeqBack)))
	}
	return q
}

func (w *writer) acks() question {
	q := question{ID: "acks"}
	a := w.s.Acks
	if a == nil {
		q.Paras = []string{w.msg("lab.acks.none")}
		return q
	}
	q.Paras = append(q.Paras, w.msg("lab.acks", "count", a.Count, "median", a.Median, "mss", a.MSS, "one", a.One, "two", a.Two, "more", a.More))
	if a.Two > 0 {
		q.Paras = append(q.Paras, w.msg("lab.acks.two", "frame", a.TwoFrame))
	}
	return q
}

func (w *writer) throughput() question {
	q := question{ID: "throughput"}
	t := w.s.Throughput
	if t == nil || t.Duration <= 0 {
		q.Paras = []string{w.msg("lab.tput.none")}
		return q
	}
	d := time.Duration(t.Duration).Seconds()
	q.Paras = []string{w.msg("lab.tput", "bytes", t.Bytes, "first", t.FirstFrame, "last", t.LastFrame, "secs", secs(t.Duration),
		"bps", fmt.Sprintf("%.0f", float64(t.Bytes)/d), "mbps", fmt.Sprintf("%.3f", t.BitsPerSec/1e6))}
	return q
}

func (w *writer) slowStart() question {
	q := question{ID: "slowstart"}
	ss := w.s.SlowStart
	if !ss.Known {
		q.Paras = append(q.Paras, w.msg("lab.ss.cannot."+ss.Reason))
		if ss.Reason != "too_few_segments" {
			q.Paras = append(q.Paras, w.msg("lab.ss.graph"))
		}
		return q
	}
	q.Paras = append(q.Paras, w.msgN("lab.ss", ss.Rounds, "start", ss.StartFrame, "t0", secs(*ss.StartTime), "end", ss.EndFrame, "t1", secs(*ss.EndTime), "rounds", ss.Rounds))
	if ss.Next != "" {
		q.Paras = append(q.Paras, w.msg("lab.ss.next", "next", w.msg("lab.phase."+ss.Next), "frame", ss.NextFrame))
	}
	if ss.CAFrame != 0 {
		q.Paras = append(q.Paras, w.msg("lab.ss.ca", "frame", ss.CAFrame))
	} else {
		q.Paras = append(q.Paras, w.msg("lab.ss.noca"))
	}
	q.Paras = append(q.Paras, w.msg("lab.ss.graph"))
	return q
}
