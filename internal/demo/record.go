package demo

import (
	"bufio"
	"bytes"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/render"
)

// RunMeta is what the report records of a run besides its outcome.
type RunMeta struct {
	// Command is the command line as typed ("tcplab demo --impair ...").
	Command string
	// Version is tcplab's version line (`tcplab version`).
	Version string
	// Date is when the run was made.
	Date time.Time
}

// Record returns the record of run o (analysed as a, which may be nil)
// for the HTML report, in lang: everything the terminal shows besides the
// packet list, the ladders and the walk-throughs, which the report draws
// itself: the command line, the date and tcplab's version, the captures,
// each case's printed lines, the transfer and the sender's TCP_INFO, the
// impairment and the bridge's counters, the expert flags and the
// reconciliation tables.
func Record(o *Outcome, a *Analysis, lang i18n.Lang, meta RunMeta) *render.RunRecord {
	if lang == "" {
		lang = i18n.English
	}
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	r := &render.RunRecord{Heading: msg("report.run")}
	for _, f := range []struct{ id, v string }{
		{"report.fact.command", meta.Command},
		{"report.fact.date", meta.Date.Format("2006-01-02 15:04:05 MST")},
		{"report.fact.version", meta.Version},
	} {
		if f.v != "" && !(f.id == "report.fact.date" && meta.Date.IsZero()) {
			r.Facts = append(r.Facts, render.Fact{Label: msg(f.id), Value: f.v})
		}
	}
	add := func(heading string, body func(p *printer)) {
		r.Sections = append(r.Sections, render.RunSection{Heading: heading, Text: text(lang, body)})
	}
	add(msg("report.run.setup"), func(p *printer) { writeHeader(p, o) })
	for i := range o.Cases {
		c := &o.Cases[i]
		id, args := caseHeading(i, c)
		add(msg(id, args...), func(p *printer) { writeCaseBody(p, i, c, o) })
	}
	if b := o.Bulk; b != nil {
		add(msg("demo.bulk", "bytes", b.Sent, "client", netlab.ClientAddr, "server", o.Server), func(p *printer) { writeBulkBody(p, o) })
	}
	if n := o.Network; n != nil {
		add(msg("demo.net"), func(p *printer) { writeNetworkBody(p, n) })
	}
	if o.CaptureErr != nil {
		r.Sections = append(r.Sections, render.RunSection{Heading: msg("demo.nocapture"), Paras: []string{o.CaptureErr.Error(), msg("demo.nocapture.text")}})
	}
	if o.Capture == nil || a == nil {
		return r
	}
	st := o.Capture.Stats
	add(msg(stackMsg(o, "demo.packets"), "captured", st.Captured, "iface", o.Capture.Interface, "dropped", st.Dropped), func(p *printer) {
		if !o.Capture.Complete {
			p.hang("demo.packets.incomplete")
		}
		p.Write(a.Conversations)
		if t := explain.NotAnalysed(p.lang, &a.Summary); t != "" {
			p.WriteString(t + "\n")
		}
	})
	if o.Network != nil || len(a.Counts) > 0 {
		add(msg("demo.expert"), func(p *printer) { writeExpertBody(p, o, a) })
	}
	if rs := Reconcile(o, a); rs != nil {
		r.Sections = append(r.Sections, reconSection(rs, lang))
	}
	return r
}

// reconSection returns the reconciliation tables rs as a section of the
// record, in lang.
func reconSection(rs []Reconciliation, lang i18n.Lang) render.RunSection {
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	intro := "demo.recon.intro"
	if len(rs) > 0 && rs[0].UserStack {
		intro += ".user"
	}
	sec := render.RunSection{Heading: msg("demo.recon"), Paras: []string{msg(intro)}}
	for i := range rs {
		t := render.RunTable{Title: rs[i].Title(lang),
			Header: [3]string{msg("recon.col.what"), msg("recon.col.n"), msg("recon.col.why")}}
		for _, row := range rs[i].Rows(lang) {
			t.Rows = append(t.Rows, render.RunRow(row))
		}
		sec.Tables = append(sec.Tables, t)
	}
	return sec
}

// text returns what body prints, in lang, without the trailing newline.
func text(lang i18n.Lang, body func(p *printer)) string {
	var b bytes.Buffer
	p := &printer{Writer: bufio.NewWriter(&b), lang: lang}
	body(p)
	p.Flush()
	return strings.TrimRight(b.String(), "\n")
}
