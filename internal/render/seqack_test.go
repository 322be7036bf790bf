package render

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// ndjsonRecords returns the ndjson packet records of the capture data, by
// frame, with numbers kept as they are printed.
func ndjsonRecords(t *testing.T, data []byte) map[int]map[string]json.RawMessage {
	t.Helper()
	rd, err := pcapio.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := listing.Run(context.Background(), rd, &out, listing.Options{Format: listing.NDJSON, Follow: -1}); err != nil {
		t.Fatal(err)
	}
	recs := map[int]map[string]json.RawMessage{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if string(r["type"]) != `"packet"` {
			continue
		}
		var frame int
		json.Unmarshal(r["frame"], &frame)
		recs[frame] = r
	}
	return recs
}

// TestDetailsMatchNDJSON: for every packet of the lab's captures, the
// details panel shows the SEQ/ACK analysis values of the packet's ndjson
// record, those and no others, printed as the record prints them, in
// both languages; and the report's arrows carry those details.
func TestDetailsMatchNDJSON(t *testing.T) {
	fields := []struct{ json, id, arg string }{
		{"acks_frame", "detail.acks", "frame"},
		{"ack_rtt", "detail.ackrtt", "rtt"},
		{"bytes_in_flight", "detail.inflight", "n"},
		{"push_bytes_sent", "detail.push", "n"},
	}
	for _, name := range []string{"lab_in_range", "lab_out_of_range", "impaired_bulk"} {
		data, err := os.ReadFile(filepath.Join("..", "explain", "testdata", name+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		recs := ndjsonRecords(t, data)
		c, err := explain.Read(bytes.NewReader(data), explain.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen, withValues := 0, 0
		for ci := range c.Conversations {
			conv := &c.Conversations[ci]
			for i := range conv.Packets {
				s := &conv.Packets[i]
				rec := recs[s.Frame]
				if rec == nil {
					t.Errorf("%s frame %d: no ndjson record", name, s.Frame)
					continue
				}
				seen++
				for _, lang := range i18n.Langs {
					var want []string
					for _, f := range fields {
						if v, ok := rec[f.json]; ok {
							want = append(want, i18n.Msg(lang, f.id, f.arg, string(v)))
						}
					}
					if len(want) > 0 {
						want = append([]string{i18n.Msg(lang, "detail.seqack")}, want...)
						if lang == i18n.English {
							withValues++
						}
					}
					lines := strings.Split(detail(conv, s, lang), "\n")
					var got []string
					for _, l := range lines {
						for _, f := range append(fields, struct{ json, id, arg string }{"", "detail.seqack", ""}) {
							prefix, _, _ := strings.Cut(i18n.Msg(lang, f.id), "{")
							if strings.HasPrefix(l, prefix) {
								got = append(got, l)
								break
							}
						}
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s frame %d (%s): SEQ/ACK lines of the details panel (-ndjson +panel):\n%s", name, s.Frame, lang, diff)
					}
				}
			}
		}
		if seen != len(recs) {
			t.Errorf("%s: %d packets in the conversations, %d ndjson records", name, seen, len(recs))
		}
		if withValues == 0 {
			t.Errorf("%s: no packet has SEQ/ACK analysis values", name)
		}
		// The report carries each drawn packet's details.
		var buf bytes.Buffer
		if err := Report(&buf, c.Conversations, ReportOptions{Skipped: &c.Summary}); err != nil {
			t.Fatal(err)
		}
		page := html.UnescapeString(buf.String())
		for _, conv := range c.Conversations {
			for i := range conv.Packets[:min(len(conv.Packets), 1000)] {
				if d := detail(&conv, &conv.Packets[i], i18n.English); !strings.Contains(page, `data-detail="`+d+`"`) {
					t.Errorf("%s frame %d: the report has no arrow with details %q", name, conv.Packets[i].Frame, d)
				}
			}
		}
	}
}

// TestReportNotAnalysed: a report of a capture with frames not analysed
// says how many and why, in both languages, at the top and in the
// walk-through; one whose only frame is a protected 802.11 frame says so
// rather than showing an empty page; one without says nothing.
func TestReportNotAnalysed(t *testing.T) {
	// An 802.11 data frame to the AP, protected: its body is encrypted.
	wlan := append([]byte{0x08, 0x41, 0, 0}, make([]byte, 18)...)
	wlan = append(wlan, 0x10, 0)
	wlan = append(wlan, make([]byte, 48)...)
	var capBuf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&capBuf, pcapio.PcapOptions{Link: decode.LinkIEEE80211})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(1_700_000_000e9, wlan, len(wlan)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	onlyWLAN, err := explain.Read(bytes.NewReader(capBuf.Bytes()), explain.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]uint64{"link type 105 (IEEE 802.11) protected frame": 1}, onlyWLAN.Summary.Skipped); diff != "" {
		t.Fatalf("skipped frames (-want +got):\n%s", diff)
	}

	// The lab's capture with a frame whose IPv4 header claims 12 bytes.
	data, err := os.ReadFile(filepath.Join("..", "explain", "testdata", "lab_in_range.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	rd, err := pcapio.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	capBuf.Reset()
	w, err = pcapio.NewPcapWriter(&capBuf, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	var rec pcapio.Record
	for rd.NextInto(&rec) == nil {
		w.WritePacket(rec.Timestamp, rec.Data, rec.OrigLen)
		if bytes.Contains(rec.Data, []byte("Client of")) {
			bad := append([]byte(nil), rec.Data...)
			bad[14] = 0x43
			w.WritePacket(rec.Timestamp+1000, bad, len(bad))
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lab, err := explain.Read(bytes.NewReader(capBuf.Bytes()), explain.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name string
		c    *explain.Capture
		top  map[i18n.Lang]string
		walk map[i18n.Lang]string
	}{
		{"802.11", onlyWLAN, map[i18n.Lang]string{
			i18n.English:            "1 frame of the capture was not analysed: link type 105 (IEEE 802.11) protected frame 1.",
			i18n.TraditionalChinese: "擷取檔中有 1 個封包未經分析：link type 105 (IEEE 802.11) protected frame 1。",
		}, nil},
		{"lab", lab, map[i18n.Lang]string{
			i18n.English:            "1 frame of the capture was not analysed: IPv4 header length 12 1.",
			i18n.TraditionalChinese: "擷取檔中有 1 個封包未經分析：IPv4 header length 12 1。",
		}, map[i18n.Lang]string{
			i18n.English:            "1 frame of the capture was not analysed: IPv4 header length 12 1. It may hold TCP",
			i18n.TraditionalChinese: "擷取檔中有 1 個封包未經分析：IPv4 header length 12 1。其中可能有 tcplab 無法解碼的 TCP",
		}},
	} {
		for _, lang := range i18n.Langs {
			var buf bytes.Buffer
			if err := Report(&buf, tt.c.Conversations, ReportOptions{Lang: lang, Skipped: &tt.c.Summary}); err != nil {
				t.Fatal(err)
			}
			page := html.UnescapeString(buf.String())
			if !strings.Contains(page, `id="not-analysed">`+tt.top[lang]) {
				t.Errorf("%s report (%s) does not start with %q", tt.name, lang, tt.top[lang])
			}
			if w := tt.walk[lang]; w != "" && !strings.Contains(page, w) {
				t.Errorf("%s report (%s): walk-through does not say %q", tt.name, lang, w)
			}
			buf.Reset()
			if err := Report(&buf, tt.c.Conversations, ReportOptions{Lang: lang}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "not-analysed") {
				t.Errorf("%s report (%s) without Skipped mentions frames not analysed", tt.name, lang)
			}
		}
	}
}
