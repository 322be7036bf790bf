package difftest

import (
	"fmt"
	"slices"
	"strings"
)

// Diff is one field where tcplab differs from tshark.
type Diff struct {
	Frame  int // 0 for a stream field
	Stream int
	Field  string // a contract field name, or "packet" when one side has no TCP packet
	Tshark string // "-" when tshark shows none
	Tcplab string // "-" when tcplab shows none
}

func (d Diff) String() string {
	where := fmt.Sprintf("frame %d", d.Frame)
	switch {
	case d.Field == "conv":
		where = "conversation table"
	case d.Field == "summary" || d.Field == "skipped":
		where = "summary record"
	case d.Frame == 0:
		where = fmt.Sprintf("stream %d", d.Stream)
	}
	return fmt.Sprintf("%s: %s: tshark %s, tcplab %s", where, d.Field, d.Tshark, d.Tcplab)
}

// Kind names the sort of difference, to group them: the field, and for
// the expert flags which flags one side alone shows.
func (d Diff) Kind() string {
	if d.Field != "analysis" {
		return d.Field
	}
	w, g := strings.Split(d.Tshark, ","), strings.Split(d.Tcplab, ",")
	var k []string
	for _, f := range w {
		if f != "-" && !slices.Contains(g, f) {
			k = append(k, "tshark+"+f)
		}
	}
	for _, f := range g {
		if f != "-" && !slices.Contains(w, f) {
			k = append(k, "tcplab+"+f)
		}
	}
	return "analysis " + strings.Join(k, " ")
}

// Compare returns the differences between tshark's result want and
// tcplab's got, by frame then field, leaving out the fields in skip.
func Compare(want, got *Result, skip map[string]bool) []Diff {
	var diffs []Diff
	for _, frame := range unionKeys(want.Packets, got.Packets) {
		w, g := want.Packets[frame], got.Packets[frame]
		if w == nil || g == nil {
			d := Diff{Frame: frame, Field: "packet", Tshark: "-", Tcplab: "-"}
			if w != nil {
				d.Tshark = w["info"]
			} else {
				d.Tcplab = g["info"]
			}
			diffs = append(diffs, d)
			continue
		}
		diffs = append(diffs, compareRecord(frame, w, g, PacketFields, skip)...)
	}
	if !skip["irtt"] {
		for _, s := range unionKeys(want.Streams, got.Streams) {
			for _, d := range compareRecord(0, want.Streams[s], got.Streams[s], []string{"irtt"}, skip) {
				d.Stream = s
				diffs = append(diffs, d)
			}
		}
	}
	if w, g := summaryText(want.Summary), summaryText(got.Summary); w != g && !skip["summary"] {
		diffs = append(diffs, Diff{Stream: -1, Field: "summary", Tshark: w, Tcplab: g})
	}
	// Without a TCP packet tcplab says so ("No TCP packets in N
	// frames.") where tshark prints an empty table.
	noTCP := len(want.Packets) == 0 && len(got.Packets) == 0
	if want.Conv != nil && got.Conv != nil && !skip["conv"] && !noTCP {
		diffs = append(diffs, compareConv(want.Conv, got.Conv)...)
	}
	return diffs
}

// summaryText shows the summary record's counts, "-" without one.
func summaryText(r Record) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("frames=%s packets=%s streams=%s", r["frames"], r["packets"], r["streams"])
}

// compareConv compares the conversation tables line by line: each of
// tshark's lines must start tcplab's, which only adds its State and iRTT
// columns.
func compareConv(want, got []string) []Diff {
	var diffs []Diff
	for i := range max(len(want), len(got)) {
		w, g := "-", "-"
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if g != w && !(strings.HasPrefix(g, w) && len(g) > len(w) && g[len(w)] == ' ') {
			diffs = append(diffs, Diff{Stream: -1, Field: "conv", Tshark: w, Tcplab: g})
		}
	}
	return diffs
}

// compareRecord compares the fields of one packet or stream.
func compareRecord(frame int, w, g Record, fields []string, skip map[string]bool) []Diff {
	var diffs []Diff
	for _, f := range fields {
		if skip[f] {
			continue
		}
		wv, wok := w[f]
		gv, gok := g[f]
		if wv == gv && wok == gok {
			continue
		}
		if !wok {
			wv = "-"
		}
		if !gok {
			gv = "-"
		}
		d := Diff{Frame: frame, Field: f, Tshark: wv, Tcplab: gv}
		if frame != 0 {
			fmt.Sscan(w["stream"], &d.Stream)
		}
		diffs = append(diffs, d)
	}
	return diffs
}

// unionKeys returns the keys of a and b, sorted.
func unionKeys(a, b map[int]Record) []int {
	var keys []int
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// ParseSkip turns a comma-separated list of field names into a set.
func ParseSkip(list string) map[string]bool {
	skip := map[string]bool{}
	for f := range strings.SplitSeq(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			skip[f] = true
		}
	}
	return skip
}
