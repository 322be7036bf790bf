package pcapio_test

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// frame is what both tshark and Reader report about a record.
type frame struct {
	TS         int64
	Len, Cap   int
	Iface      int
	Resolution int
}

// tsharkFrames reads file with tshark: frame.time_epoch, frame.len,
// frame.cap_len, frame.interface_id and the epoch Time column, whose
// number of fraction digits is the record's timestamp precision.
func tsharkFrames(t *testing.T, file string) []frame {
	t.Helper()
	rows := pcaptest.Tshark(t, file, "-t", "e", "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_id", "-e", "_ws.col.Time")
	var fs []frame
	for _, r := range rows {
		if len(r) != 5 {
			t.Fatalf("tshark row %q: want 5 fields", r)
		}
		var f frame
		f.TS = parseEpoch(t, r[0])
		f.Len, _ = strconv.Atoi(r[1])
		f.Cap, _ = strconv.Atoi(r[2])
		if r[3] != "" {
			f.Iface, _ = strconv.Atoi(r[3])
		}
		if _, frac, ok := strings.Cut(r[4], "."); ok {
			f.Resolution = len(frac)
		}
		fs = append(fs, f)
	}
	return fs
}

// parseEpoch parses "1700000000.123456789" into nanoseconds.
func parseEpoch(t *testing.T, s string) int64 {
	sec, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000000")[:9]
	a, err1 := strconv.ParseInt(sec, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad frame.time_epoch %q", s)
	}
	return a*1e9 + b
}

func readerFrames(t *testing.T, file string) ([]frame, *pcapio.Reader) {
	t.Helper()
	recs, rd := pcaptest.ReadAll(t, file)
	var fs []frame
	for i, rec := range recs {
		if rec.CaptureLen != len(rec.Data) {
			t.Fatalf("%s: record %d: CaptureLen %d, len(Data) %d", file, i+1, rec.CaptureLen, len(rec.Data))
		}
		fs = append(fs, frame{rec.Timestamp, rec.OrigLen, rec.CaptureLen, rec.Interface, rec.Resolution})
	}
	return fs, rd
}

// rewrite copies every record of src into a new file written by this
// package's writers (big-endian), keeping interfaces and resolutions.
func rewrite(t *testing.T, src, dst string) {
	t.Helper()
	// Interfaces are known once their blocks are read: read the records
	// first.
	recs, rd := pcaptest.ReadAll(t, src)
	var out bytes.Buffer
	var write func(rec pcapio.Record) error
	var flush func() error
	if rd.Format() == pcapio.FormatPcapng {
		w, err := pcapio.NewPcapngWriter(&out, pcapio.PcapngOptions{Interfaces: rd.Interfaces(), BigEndian: true, Application: "tcplab pcapio test"})
		if err != nil {
			t.Fatal(err)
		}
		write = func(r pcapio.Record) error { return w.WritePacket(r.Interface, r.Timestamp, r.Data, r.OrigLen) }
		flush = w.Flush
	} else {
		ifc := rd.Interfaces()[0]
		w, err := pcapio.NewPcapWriter(&out, pcapio.PcapOptions{Link: ifc.Link, SnapLen: ifc.SnapLen, Nanosecond: rd.Format() == pcapio.FormatPcapNano, BigEndian: true})
		if err != nil {
			t.Fatal(err)
		}
		write = func(r pcapio.Record) error { return w.WritePacket(r.Timestamp, r.Data, r.OrigLen) }
		flush = w.Flush
	}
	for _, r := range recs {
		if err := write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRealCaptures reads captures made by tcpdump, converted by editcap
// and mergecap, compressed and rewritten big-endian, and compares every
// record's timestamp, lengths, interface and precision with tshark's.
func TestRealCaptures(t *testing.T) {
	pcaptest.NeedRoot(t)
	pcaptest.NeedTools(t, "tcpdump", "tshark", "editcap", "mergecap")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, c := range []pcaptest.Capture{
		{Name: "lo.pcap", Args: []string{"-i", "lo"}},
		{Name: "lo-nano.pcap", Args: []string{"-i", "lo", "--time-stamp-precision=nano"}},
		{Name: "any.pcap", Args: []string{"-i", "any", "-y", "LINUX_SLL"}},
		{Name: "any-default.pcap", Args: []string{"-i", "any"}}, // SLL2 since libpcap 1.10
		{Name: "any2.pcap", Args: []string{"-i", "any", "-y", "LINUX_SLL2"}},
		{Name: "snap.pcap", Args: []string{"-i", "lo", "-s", "96"}},
	} {
		pcaptest.Run(t, dir, c)
	}
	pcaptest.Command(t, "editcap", "-F", "pcapng", p("lo.pcap"), p("lo.pcapng"))
	pcaptest.Command(t, "editcap", "-F", "nsecpcap", p("lo.pcap"), p("lo-conv-nano.pcap"))
	pcaptest.Command(t, "editcap", "-F", "pcap", p("lo-nano.pcap"), p("lo-conv-micro.pcap"))
	pcaptest.Command(t, "editcap", "-F", "pcapng", p("any2.pcap"), p("any2.pcapng"))
	// Several interfaces with different link types and resolutions.
	pcaptest.Command(t, "mergecap", "-F", "pcapng", "-w", p("merged.pcapng"), p("lo.pcap"), p("lo-nano.pcap"), p("any.pcap"), p("any2.pcap"), p("snap.pcap"))
	// Several sections: pcapng files concatenated.
	var cat []byte
	for _, f := range []string{"lo.pcapng", "any2.pcapng", "merged.pcapng"} {
		b, err := os.ReadFile(p(f))
		if err != nil {
			t.Fatal(err)
		}
		cat = append(cat, b...)
	}
	if err := os.WriteFile(p("sections.pcapng"), cat, 0o644); err != nil {
		t.Fatal(err)
	}
	gz := func(src string) {
		b, err := os.ReadFile(p(src))
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		if err := os.WriteFile(p(src+".gz"), z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gz("merged.pcapng")
	gz("lo.pcap")
	rewrite(t, p("lo-nano.pcap"), p("be-nano.pcap"))
	rewrite(t, p("snap.pcap"), p("be-micro.pcap"))
	rewrite(t, p("merged.pcapng"), p("be.pcapng"))

	for _, name := range []string{
		"lo.pcap", "lo-nano.pcap", "any.pcap", "any-default.pcap", "any2.pcap", "snap.pcap",
		"lo.pcapng", "lo-conv-nano.pcap", "lo-conv-micro.pcap", "any2.pcapng",
		"merged.pcapng", "sections.pcapng", "merged.pcapng.gz", "lo.pcap.gz",
		"be-nano.pcap", "be-micro.pcap", "be.pcapng",
	} {
		t.Run(name, func(t *testing.T) {
			want := tsharkFrames(t, p(name))
			got, rd := readerFrames(t, p(name))
			if len(want) < 20 {
				t.Fatalf("tshark reads only %d frames from %s; the capture failed", len(want), name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: Reader differs from tshark (-want +got):\n%s", name, diff)
			}
			t.Logf("%s: %d records, format %v, compressed %v, %d interfaces", name, len(got), rd.Format(), rd.Compressed(), len(rd.Interfaces()))
		})
	}

	// The link types tcpdump wrote.
	for name, link := range map[string]decode.LinkType{"lo.pcap": decode.LinkEthernet, "any.pcap": decode.LinkLinuxSLL, "any2.pcap": decode.LinkLinuxSLL2} {
		f, err := os.Open(p(name))
		if err != nil {
			t.Fatal(err)
		}
		rd, err := pcapio.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		if rec, err := rd.Next(); err != nil || rec.Link != link {
			t.Errorf("%s: first record link %d, %v; want %d", name, rec.Link, err, link)
		}
		f.Close()
	}
}

// TestWriterReadByTshark writes pcapng and pcap files with every option
// this package writes and checks that tshark and capinfos read back the
// same packets, comments and statistics.
func TestWriterReadByTshark(t *testing.T) {
	pcaptest.NeedTools(t, "tshark", "capinfos")
	dir := t.TempDir()
	data := func(i int) []byte {
		b := make([]byte, 60+i*13)
		for j := range b {
			b[j] = byte(i * j)
		}
		return b
	}
	const base = int64(1795529566_123456789)

	t.Run("pcapng", func(t *testing.T) {
		for _, be := range []bool{false, true} {
			var buf bytes.Buffer
			ifaces := []pcapio.Interface{
				{Name: "lo", Description: "loopback", Link: decode.LinkEthernet, SnapLen: 262144, TSResol: 9},
				{Name: "any", Link: decode.LinkLinuxSLL2, SnapLen: 65535},                         // microseconds
				{Name: "npcap", Link: decode.LinkNull, TSResol: 0x80 | 24, TSOffset: -3600},       // 2^-24 s
				{Name: "lo0", Link: decode.LinkLoop, TSResol: 3, FCSLen: 0},                       // milliseconds
				{Name: "raw", Link: decode.LinkRaw, TSResol: 0x80 | 32, Description: "binary ns"}, // 2^-32 s
			}
			w, err := pcapio.NewPcapngWriter(&buf, pcapio.PcapngOptions{Interfaces: ifaces, BigEndian: be, Application: "tcplab", OS: "Linux", Hardware: "test", Comment: "section comment"})
			if err != nil {
				t.Fatal(err)
			}
			var wantComments []string
			for i := range 40 {
				ts := base + int64(i)*7_654_321_987
				if i%4 == 0 {
					c := fmt.Sprintf("packet %d", i)
					wantComments = append(wantComments, c)
					err = w.WritePacketComment(i%len(ifaces), ts, data(i), len(data(i))+i, c)
				} else {
					wantComments = append(wantComments, "")
					err = w.WritePacket(i%len(ifaces), ts, data(i), len(data(i))+i)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := w.WriteStats(pcapio.Stats{Interface: 0, Timestamp: base + 400e9, Start: base, End: base + 400e9, Received: 1234, Dropped: 56, FilterAccepted: -1, OSDropped: 7, Delivered: 1171}); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fmt.Sprintf("w-be%v.pcapng", be))
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			want := tsharkFrames(t, file)
			got, rd := readerFrames(t, file)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Reader differs from tshark (-want +got):\n%s", diff)
			}
			if len(want) != 40 {
				t.Errorf("tshark reads %d frames, want 40", len(want))
			}
			rows := pcaptest.Tshark(t, file, "-o", "frame.generate_md5_hash:TRUE", "-T", "fields", "-e", "frame.comment", "-e", "frame.md5_hash")
			var gotComments []string
			for i, r := range rows {
				gotComments = append(gotComments, r[0])
				if sum := fmt.Sprintf("%x", md5.Sum(data(i))); len(r) < 2 || r[1] != sum {
					t.Errorf("packet %d: tshark frame.md5_hash %q, want %s (the bytes written)", i+1, r, sum)
				}
			}
			if diff := cmp.Diff(wantComments, gotComments); diff != "" {
				t.Errorf("tshark frame.comment (-want +got):\n%s", diff)
			}
			st := rd.Stats()
			if len(st) != 1 || st[0].Dropped != 56 || st[0].Received != 1234 || st[0].OSDropped != 7 || st[0].FilterAccepted != -1 {
				t.Errorf("Stats() = %+v, want one block with 1234 received, 56 dropped", st)
			}
			info := pcaptest.Command(t, "capinfos", "-M", file)
			for _, s := range []string{"Number of packets:   40", "Number of interfaces in file: 5", "Capture comment:     section comment", "Capture application: tcplab", "Number of stat entries = 1"} {
				if !strings.Contains(info, s) {
					t.Errorf("capinfos output lacks %q:\n%s", s, info)
				}
			}
		}
	})

	t.Run("pcap", func(t *testing.T) {
		for _, nano := range []bool{false, true} {
			for _, be := range []bool{false, true} {
				var buf bytes.Buffer
				w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: decode.LinkLoop, SnapLen: 1000, Nanosecond: nano, BigEndian: be})
				if err != nil {
					t.Fatal(err)
				}
				for i := range 30 {
					if err := w.WritePacket(base+int64(i)*1_000_000_001, data(i), len(data(i))+3); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				file := filepath.Join(dir, fmt.Sprintf("w-nano%v-be%v.pcap", nano, be))
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				want := tsharkFrames(t, file)
				got, _ := readerFrames(t, file)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("nano=%v be=%v: Reader differs from tshark (-want +got):\n%s", nano, be, diff)
				}
				info := pcaptest.Command(t, "capinfos", "-M", file)
				enc := "OpenBSD loopback"
				if !strings.Contains(info, "Number of packets:   30") || !strings.Contains(info, enc) {
					t.Errorf("capinfos: want 30 packets of %s:\n%s", enc, info)
				}
			}
		}
	})
}
