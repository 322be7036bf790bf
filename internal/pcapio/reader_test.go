package pcapio

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
)

// bytesEqual makes cmp compare byte slices with bytes.Equal, much faster
// than element by element.
var bytesEqual = cmp.Comparer(bytes.Equal)

// pkt is a packet to write and the record expected back.
type pkt struct {
	ts      int64
	data    []byte
	origLen int
}

// testPackets returns n packets of varied lengths (0 to 1500 bytes, some
// cut short of their original length) and timestamps with every digit of
// a nanosecond fraction set.
func testPackets(n int) []pkt {
	var ps []pkt
	for i := range n {
		l := (i * 397) % 1501
		data := make([]byte, l)
		for j := range data {
			data[j] = byte(i + j)
		}
		orig := l
		if i%5 == 0 {
			orig += 100
		}
		ps = append(ps, pkt{ts: 1700000000_123456789 + int64(i)*1_000_333_777, data: data, origLen: orig})
	}
	return ps
}

// readAll reads every record, copying the data, and returns the final
// error (nil for a clean io.EOF).
func readAll(t *testing.T, rd *Reader) ([]Record, error) {
	t.Helper()
	var recs []Record
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		rec.Data = bytes.Clone(rec.Data)
		recs = append(recs, rec)
	}
}

func TestPcapRoundTrip(t *testing.T) {
	ps := testPackets(50)
	for _, nano := range []bool{false, true} {
		for _, be := range []bool{false, true} {
			for _, gz := range []bool{false, true} {
				name := fmt.Sprintf("nano=%v/bigendian=%v/gzip=%v", nano, be, gz)
				t.Run(name, func(t *testing.T) {
					var buf bytes.Buffer
					var out io.Writer = &buf
					var zw *gzip.Writer
					if gz {
						zw = gzip.NewWriter(&buf)
						out = zw
					}
					w, err := NewPcapWriter(out, PcapOptions{Link: decode.LinkNull, Nanosecond: nano, BigEndian: be, SnapLen: 65535})
					if err != nil {
						t.Fatal(err)
					}
					var want []Record
					off := int64(24)
					for _, p := range ps {
						if err := w.WritePacket(p.ts, p.data, p.origLen); err != nil {
							t.Fatal(err)
						}
						ts, res := p.ts, 9
						if !nano {
							ts, res = ts/1000*1000, 6
						}
						want = append(want, Record{Data: p.data, CaptureLen: len(p.data), OrigLen: p.origLen, Timestamp: ts, Resolution: res, Link: decode.LinkNull, Offset: off})
						off += int64(16 + len(p.data))
					}
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
					if zw != nil {
						if err := zw.Close(); err != nil {
							t.Fatal(err)
						}
					}
					rd := mustReader(t, &buf)
					if rd.Compressed() != gz {
						t.Errorf("Compressed() = %v, want %v", rd.Compressed(), gz)
					}
					wantFormat := FormatPcap
					if nano {
						wantFormat = FormatPcapNano
					}
					if rd.Format() != wantFormat {
						t.Errorf("Format() = %v, want %v", rd.Format(), wantFormat)
					}
					got, err := readAll(t, rd)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got, bytesEqual); diff != "" {
						t.Errorf("records mismatch (-want +got):\n%s", diff)
					}
					if got := rd.offset(); got != off {
						t.Errorf("offset() at the end = %d, want the (decompressed) file size %d", got, off)
					}
					if ifs := rd.Interfaces(); len(ifs) != 1 || ifs[0].SnapLen != 65535 || ifs[0].FCSLen != -1 {
						t.Errorf("Interfaces() = %+v, want one with snap length 65535 and no FCS", ifs)
					}
				})
			}
		}
	}
}

func TestPcapFCSBits(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf, PcapOptions{Link: decode.LinkEthernet, FCSLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(1e9, make([]byte, 64), 64); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint32(buf.Bytes()[20:]); got != 0x24000001 {
		t.Fatalf("link type field = %#08x, want 0x24000001", got)
	}
	rd := mustReader(t, &buf)
	rec, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	if rec.Link != decode.LinkEthernet || rd.Interfaces()[0].FCSLen != 4 {
		t.Errorf("Link = %d, FCSLen = %d; want 1, 4", rec.Link, rd.Interfaces()[0].FCSLen)
	}
}

func TestPcapngRoundTrip(t *testing.T) {
	ps := testPackets(60)
	ifaces := []Interface{
		{Name: "lo", Link: decode.LinkEthernet, SnapLen: 262144},               // default: microseconds
		{Name: "any", Link: decode.LinkLinuxSLL2, TSResol: 9},                  // nanoseconds
		{Name: "ms", Link: decode.LinkRaw, TSResol: 3, TSOffset: 1000},         // milliseconds, offset 1000 s
		{Name: "bin20", Link: decode.LinkNull, TSResol: 0x80 | 20},             // 2^-20 s: Wireshark shows microseconds
		{Name: "bin30", Link: decode.LinkLoop, TSResol: 0x80 | 30},             // 2^-30 s: nanoseconds
		{Name: "100ps", Link: decode.LinkIPv4, TSResol: 10},                    // 10^-10 s: 64 bits hold only 58 years of picoseconds
		{Name: "ds", Link: decode.LinkIPv6, TSResol: 1, Description: "tenths"}, // deciseconds
		{Name: "digits", Link: decode.LinkEthernet, Resolution: 9},             // TSResol 0: taken from Resolution
	}
	wantRes := []int{6, 9, 3, 6, 9, 9, 1, 9}
	// rounded is ts as the interface stores it.
	rounded := func(i int, ts int64) int64 {
		switch i {
		case 0:
			return ts / 1e3 * 1e3
		case 2:
			return ts / 1e6 * 1e6
		case 3:
			u := (ts / 1e9 << 20) + (ts%1e9)<<20/1e9
			return u>>20*1e9 + (u&(1<<20-1))*1e9>>20
		case 4:
			u := (ts / 1e9 << 30) + (ts%1e9)<<30/1e9
			return u>>30*1e9 + (u&(1<<30-1))*1e9>>30
		case 6:
			return ts / 1e8 * 1e8
		}
		return ts
	}
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			var buf bytes.Buffer
			var want []Record
			// Two sections, little-endian then big-endian, each with every
			// interface: interface numbering restarts in the second.
			for _, be := range []bool{false, true} {
				w, err := NewPcapngWriter(&buf, PcapngOptions{Interfaces: ifaces, BigEndian: be, Application: "tcplab test", OS: "Linux", Comment: "section"})
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				for i, p := range ps {
					iface := i % len(ifaces)
					off := int64(buf.Len() + w.w.Buffered())
					var err error
					if i%7 == 0 {
						err = w.WritePacketComment(iface, p.ts, p.data, p.origLen, "a comment")
					} else {
						err = w.WritePacket(iface, p.ts, p.data, p.origLen)
					}
					if err != nil {
						t.Fatal(err)
					}
					want = append(want, Record{Data: p.data, CaptureLen: len(p.data), OrigLen: p.origLen, Timestamp: rounded(iface, p.ts), Resolution: wantRes[iface], Link: ifaces[iface].Link, Interface: iface, Offset: off})
				}
				if err := w.WriteStats(Stats{Interface: 1, Timestamp: 1700000100e9, Start: 1700000000e9, End: 1700000100e9, Received: 1000, Dropped: 7, FilterAccepted: -1, OSDropped: 0, Delivered: -1}); err != nil {
					t.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			data := buf.Bytes()
			if gz {
				var zb bytes.Buffer
				zw := gzip.NewWriter(&zb)
				zw.Write(data)
				zw.Close()
				data = zb.Bytes()
			}
			rd := mustReader(t, bytes.NewReader(data))
			got, err := readAll(t, rd)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, bytesEqual); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
			wantStats := []Stats{
				{Interface: 1, Section: 0, Timestamp: 1700000100e9, Start: 1700000000e9, End: 1700000100e9, Received: 1000, Dropped: 7, FilterAccepted: -1, OSDropped: 0, Delivered: -1},
				{Interface: 1, Section: 1, Timestamp: 1700000100e9, Start: 1700000000e9, End: 1700000100e9, Received: 1000, Dropped: 7, FilterAccepted: -1, OSDropped: 0, Delivered: -1},
			}
			if diff := cmp.Diff(wantStats, rd.Stats()); diff != "" {
				t.Errorf("Stats() mismatch (-want +got):\n%s", diff)
			}
			gotIfs := rd.Interfaces()
			if len(gotIfs) != 2*len(ifaces) {
				t.Fatalf("Interfaces() has %d entries, want %d", len(gotIfs), 2*len(ifaces))
			}
			for i, ifc := range gotIfs {
				w := ifaces[i%len(ifaces)]
				if ifc.Name != w.Name || ifc.Description != w.Description || ifc.Link != w.Link || ifc.SnapLen != w.SnapLen || ifc.TSOffset != w.TSOffset || ifc.Resolution != wantRes[i%len(ifaces)] || ifc.Section != i/len(ifaces) {
					t.Errorf("Interfaces()[%d] = %+v, want %+v with resolution %d", i, ifc, w, wantRes[i%len(ifaces)])
				}
			}
		})
	}
}

// ngBlock builds a pcapng block of type typ with body (padded to 4 bytes).
func ngBlock(be bool, typ uint32, body []byte) []byte {
	o := order(be)
	body = pad4(append([]byte(nil), body...))
	b := o.AppendUint32(nil, typ)
	b = o.AppendUint32(b, uint32(12+len(body)))
	b = append(b, body...)
	return o.AppendUint32(b, uint32(12+len(body)))
}

func ngSHB(be bool) []byte {
	o := order(be)
	b := o.AppendUint32(nil, byteOrderMagic)
	b = o.AppendUint16(b, 1)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint64(b, ^uint64(0))
	return ngBlock(be, blockSHB, b)
}

func ngIDB(be bool, link decode.LinkType, snap uint32, opts ...byte) []byte {
	o := order(be)
	b := o.AppendUint16(nil, uint16(link))
	b = o.AppendUint16(b, 0)
	b = o.AppendUint32(b, snap)
	return ngBlock(be, blockIDB, append(b, opts...))
}

func ngEPB(be bool, iface uint32, units uint64, data []byte, orig uint32) []byte {
	o := order(be)
	b := o.AppendUint32(nil, iface)
	b = o.AppendUint32(b, uint32(units>>32))
	b = o.AppendUint32(b, uint32(units))
	b = o.AppendUint32(b, uint32(len(data)))
	b = o.AppendUint32(b, orig)
	return ngBlock(be, blockEPB, append(b, data...))
}

func TestPcapngHandmadeBlocks(t *testing.T) {
	for _, be := range []bool{false, true} {
		t.Run(fmt.Sprintf("bigendian=%v", be), func(t *testing.T) {
			o := order(be)
			var f []byte
			f = append(f, ngSHB(be)...)
			f = append(f, ngBlock(be, 4, []byte{1, 0, 8, 0, 127, 0, 0, 1, 'l', 'o', 0, 0, 0, 0, 0, 0})...) // name resolution block: skipped
			f = append(f, ngIDB(be, decode.LinkRaw, 8)...)                                                 // snap length 8 caps simple packets
			spb := o.AppendUint32(nil, 10)
			spb = append(spb, "0123456789"...)
			off1 := len(f)
			f = append(f, ngBlock(be, blockSPB, spb)...)
			pb := o.AppendUint16(nil, 0) // interface 0
			pb = o.AppendUint16(pb, 3)   // drops
			pb = o.AppendUint32(pb, 0)
			pb = o.AppendUint32(pb, 1_000_000) // 1 s in microseconds
			pb = o.AppendUint32(pb, 4)
			pb = o.AppendUint32(pb, 4)
			pb = append(pb, "abcd"...)
			off2 := len(f)
			f = append(f, ngBlock(be, blockPB, pb)...)
			f = append(f, ngBlock(be, 0x00000bad, []byte("custom block, copyable"))...) // custom: skipped
			f = append(f, ngBlock(be, 0x80000001, nil)...)                              // reserved local type, empty: skipped
			off3 := len(f)
			f = append(f, ngEPB(be, 0, 2_500_000, []byte("xyz"), 3)...)
			want := []Record{
				{Data: []byte("01234567"), CaptureLen: 8, OrigLen: 10, Resolution: 6, Link: decode.LinkRaw, Offset: int64(off1)},
				{Data: []byte("abcd"), CaptureLen: 4, OrigLen: 4, Timestamp: 1e9, Resolution: 6, Link: decode.LinkRaw, Offset: int64(off2)},
				{Data: []byte("xyz"), CaptureLen: 3, OrigLen: 3, Timestamp: 2.5e9, Resolution: 6, Link: decode.LinkRaw, Offset: int64(off3)},
			}
			rd := mustReader(t, bytes.NewReader(f))
			got, err := readAll(t, rd)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, bytesEqual); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimestampResolutions(t *testing.T) {
	opt := func(code uint16, v ...byte) []byte {
		b := binary.LittleEndian.AppendUint16(nil, code)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
		return pad4(append(b, v...))
	}
	for _, tt := range []struct {
		name  string
		opts  []byte
		units uint64
		ts    int64
		res   int
	}{
		{"default microseconds", nil, 1_500_000, 1.5e9, 6},
		{"10^-9", opt(optIfTSResol, 9), 1_500_000_001, 1_500_000_001, 9},
		{"10^0", opt(optIfTSResol, 0), 7, 7e9, 0},
		{"10^-2", opt(optIfTSResol, 2), 150, 1.5e9, 2},
		{"10^-4 shows milliseconds", opt(optIfTSResol, 4), 15000, 1.5e9, 3},
		{"10^-7 shows microseconds", opt(optIfTSResol, 7), 15_000_001, 1_500_000_100, 6},
		{"10^-12", opt(optIfTSResol, 12), 1_500_000_000_123, 1_500_000_000, 9},
		{"2^-10 shows milliseconds", opt(optIfTSResol, 0x80|10), 1536, 1.5e9, 3},
		{"2^-32", opt(optIfTSResol, 0x80|32), 3 << 31, 1.5e9, 9},
		{"2^-0", opt(optIfTSResol, 0x80), 3, 3e9, 0},
		{"offset", append(opt(optIfTSOffset, 0x10, 0, 0, 0, 0, 0, 0, 0), opt(optIfName, 'e', 't', 'h', '0')...), 1, 16e9 + 1e3, 6},
		{"negative offset", opt(optIfTSOffset, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 2_000_000, 1e9, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := append(ngSHB(false), ngIDB(false, decode.LinkEthernet, 0, tt.opts...)...)
			f = append(f, ngEPB(false, 0, tt.units, nil, 0)...)
			rd := mustReader(t, bytes.NewReader(f))
			rec, err := rd.Next()
			if err != nil {
				t.Fatal(err)
			}
			if rec.Timestamp != tt.ts || rec.Resolution != tt.res {
				t.Errorf("Timestamp, Resolution = %d, %d; want %d, %d", rec.Timestamp, rec.Resolution, tt.ts, tt.res)
			}
		})
	}
}

// validPcap returns a pcap file with three 10-byte records.
func validPcap(t *testing.T) []byte {
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf, PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.WritePacket(int64(i)*1e9, make([]byte, 10), 10); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReaderErrors(t *testing.T) {
	pcapFile := validPcap(t)
	le := binary.LittleEndian
	patch := func(b []byte, off int, v uint32) []byte {
		b = bytes.Clone(b)
		le.PutUint32(b[off:], v)
		return b
	}
	ng := append(ngSHB(false), ngIDB(false, decode.LinkEthernet, 0)...)
	epb := ngEPB(false, 0, 1, make([]byte, 10), 10)
	ngOK := append(bytes.Clone(ng), epb...)
	epbOff := int64(len(ng))

	tests := []struct {
		name    string
		file    []byte
		records int    // complete records delivered before the error
		offset  int64  // FormatError.Offset
		msg     string // substring of the error
		eof     bool   // wraps io.ErrUnexpectedEOF
	}{
		{"empty", nil, -1, 0, "capture: file header at offset 0: empty file", false},
		{"one byte", []byte{0xd4}, -1, 0, "file too short", true},
		{"unknown magic", []byte("GIF89a, not a capture"), -1, 0, "unknown magic number 0x47494638", false},
		{"short pcap header", pcapFile[:20], -1, 0, "truncated: 20 of 24 bytes present", true},
		{"pcap version 1", patch(pcapFile, 4, 1), -1, 0, "unsupported version 1.0", false},
		{"truncated record header", pcapFile[:24+26*2+5], 2, 24 + 26*2, "pcap: record at offset 76: truncated: 5 of the 16-byte record header present", true},
		{"truncated record data", pcapFile[:len(pcapFile)-1], 2, 24 + 26*2, "pcap: record at offset 76: truncated: 25 of 26 bytes present", true},
		{"4 GB captured length", patch(pcapFile, 24+26+8, 0xffffffff), 1, 50, "captured length 4294967295 exceeds the limit 262144", false},
		{"pcapng bad byte-order magic", patch(ng, 8, 0x11223344), -1, 0, "byte-order magic 0x44332211", false},
		{"pcapng version 2", patch(ng, 12, 2), -1, 0, "unsupported version 2.0", false},
		{"pcapng SHB length 9", patch(ng, 4, 9), -1, 0, "section header block at offset 0: block length 9 is not a multiple of 4", false},
		{"pcapng SHB length 24", patch(ng, 4, 24), -1, 0, "section header block at offset 0: block length 24 is below the minimum 28", false},
		{"pcapng block length 8", append(bytes.Clone(ngOK), patch(epb, 4, 8)...), 1, epbOff + int64(len(epb)), "pcapng: block at offset 92: block length 8 is below the minimum 12", false},
		{"pcapng block length 9", append(bytes.Clone(ngOK), patch(epb, 4, 9)...), 1, epbOff + int64(len(epb)), "pcapng: block at offset 92: block length 9 is not a multiple of 4", false},
		{"pcapng block length 4 GB", append(bytes.Clone(ngOK), patch(epb, 4, 0xfffffffc)...), 1, epbOff + int64(len(epb)), "block length 4294967292 is above the limit 16777216", false},
		{"pcapng trailing length", append(bytes.Clone(ng), patch(epb, len(epb)-4, 40)...), 0, epbOff, "trailing block length 40 differs from the leading 44", false},
		{"pcapng truncated block", ngOK[:len(ngOK)-3], 0, epbOff, "pcapng: block at offset 48: truncated: 41 of 44 bytes present", true},
		{"pcapng truncated block header", append(bytes.Clone(ngOK), 6, 0, 0), 1, epbOff + int64(len(epb)), "truncated: 3 of the 8-byte block header present", true},
		{"pcapng undefined interface", append(bytes.Clone(ng), patch(epb, 8, 3)...), 0, epbOff, "interface 3 is not defined (the section has 1)", false},
		{"pcapng packet before any interface", append(ngSHB(false), epb...), 0, 28, "interface 0 is not defined (the section has 0)", false},
		{"pcapng captured length past block", append(bytes.Clone(ng), patch(epb, 20, 13)...), 0, epbOff, "captured length 13 runs past the block (12 bytes of data)", false},
		{"pcapng EPB too short", append(bytes.Clone(ng), ngBlock(false, blockEPB, make([]byte, 16))...), 0, epbOff, "block length 28 is below the minimum 32", false},
		{"pcapng option past block", append(ngSHB(false), ngIDB(false, 1, 0, 9, 0, 8, 0, 6, 0, 0, 0)...), 0, 28 + 16, "option 9 of length 8 runs past the end of its block", false},
		{"pcapng if_tsresol 10^-20", append(ngSHB(false), ngIDB(false, 1, 0, 9, 0, 1, 0, 20, 0, 0, 0)...), 0, 28, "if_tsresol 10^-20 is finer", false},
		{"pcapng if_tsresol 2^-64", append(ngSHB(false), ngIDB(false, 1, 0, 9, 0, 1, 0, 0x80|64, 0, 0, 0)...), 0, 28, "if_tsresol 2^-64 is finer", false},
		{"second section truncated", append(bytes.Clone(ngOK), ngSHB(true)[:20]...), 1, epbOff + int64(len(epb)), "section header block at offset 92: truncated: 20 of 28 bytes present", true},
		{"gzip corrupt", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff}, -1, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			rd, err := NewReader(bytes.NewReader(tt.file))
			if err == nil {
				for {
					_, err = rd.Next()
					if err != nil {
						break
					}
					n++
				}
				if tt.records < 0 {
					t.Fatalf("NewReader succeeded and Next returned %v after %d records; want NewReader to fail", err, n)
				}
				if n != tt.records {
					t.Errorf("%d records before the error, want %d", n, tt.records)
				}
				// The error is sticky.
				if _, err2 := rd.Next(); err2 != err {
					t.Errorf("Next after the error = %v, want %v again", err2, err)
				}
			} else if tt.records >= 0 {
				t.Fatalf("NewReader = %v, want success and %d records", err, tt.records)
			}
			if err == io.EOF {
				t.Fatalf("got a clean io.EOF, want an error")
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if fe.Offset != tt.offset || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %q (offset %d), want offset %d and %q", err, fe.Offset, tt.offset, tt.msg)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) != tt.eof {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v, want %v", err, !tt.eof, tt.eof)
			}
		})
	}
}

// TestHugeLengthDoesNotAllocate checks that a block claiming nearly the
// limit in a short file grows the buffer only by what the file holds.
func TestHugeLengthDoesNotAllocate(t *testing.T) {
	ng := append(ngSHB(false), ngIDB(false, decode.LinkEthernet, 0)...)
	epb := ngEPB(false, 0, 1, make([]byte, 10), 10)
	binary.LittleEndian.PutUint32(epb[4:], MaxBlockLen-4)
	f := append(ng, epb...)
	var rd *Reader
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			rd, err = NewReader(bytes.NewReader(f))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rd.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
				b.Fatalf("Next = %v, want a truncated block", err)
			}
		}
	})
	if per := allocs.AllocedBytesPerOp(); per > 2*initialBufSize {
		t.Errorf("reading a short file claiming a %d-byte block allocated %d bytes, want at most %d", MaxBlockLen-4, per, 2*initialBufSize)
	}
}

func TestNextAllocs(t *testing.T) {
	for _, ngFormat := range []bool{false, true} {
		var buf bytes.Buffer
		if ngFormat {
			w, _ := NewPcapngWriter(&buf, PcapngOptions{Interfaces: []Interface{{Link: decode.LinkEthernet, TSResol: 9}}})
			for i := range 2000 {
				w.WritePacket(0, int64(i), make([]byte, 100+i%50), 200)
			}
			w.Flush()
		} else {
			w, _ := NewPcapWriter(&buf, PcapOptions{Link: decode.LinkEthernet})
			for i := range 2000 {
				w.WritePacket(int64(i), make([]byte, 100+i%50), 200)
			}
			w.Flush()
		}
		rd := mustReader(t, bytes.NewReader(buf.Bytes()))
		n := testing.AllocsPerRun(1000, func() {
			if _, err := rd.Next(); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("pcapng=%v: Next allocated %v times per record, want 0", ngFormat, n)
		}
	}
}

// benchFile returns a file of n Ethernet-sized records in format ng
// (pcapng) or pcap.
func benchFile(b *testing.B, n int, ng bool) []byte {
	var buf bytes.Buffer
	var write func(i int, data []byte) error
	var flush func() error
	if ng {
		w, err := NewPcapngWriter(&buf, PcapngOptions{Interfaces: []Interface{{Link: decode.LinkEthernet, TSResol: 9}}})
		if err != nil {
			b.Fatal(err)
		}
		write = func(i int, d []byte) error { return w.WritePacket(0, int64(i)*1000, d, len(d)) }
		flush = w.Flush
	} else {
		w, err := NewPcapWriter(&buf, PcapOptions{Link: decode.LinkEthernet, Nanosecond: true})
		if err != nil {
			b.Fatal(err)
		}
		write = func(i int, d []byte) error { return w.WritePacket(int64(i)*1000, d, len(d)) }
		flush = w.Flush
	}
	data := make([]byte, 1514)
	for i := range n {
		// Lab traffic: mostly small segments, some full-sized.
		l := 66 + (i*131)%200
		if i%10 == 0 {
			l = 1514
		}
		if err := write(i, data[:l]); err != nil {
			b.Fatal(err)
		}
	}
	if err := flush(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchmarkNext(b *testing.B, ng, gz bool) {
	const n = 20000
	file := benchFile(b, n, ng)
	if gz {
		file = gzipped(file)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}

// BenchmarkNext reads a file of 20000 records per iteration; ns/record is
// the cost of one Next.
func BenchmarkNext(b *testing.B) {
	b.Run("pcap", func(b *testing.B) { benchmarkNext(b, false, false) })
	b.Run("pcapng", func(b *testing.B) { benchmarkNext(b, true, false) })
	b.Run("pcap.gz", func(b *testing.B) { benchmarkNext(b, false, true) })
}

func BenchmarkPcapngWritePacket(b *testing.B) {
	w, err := NewPcapngWriter(io.Discard, PcapngOptions{Interfaces: []Interface{{Link: decode.LinkEthernet, TSResol: 9}}})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 200)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := w.WritePacket(0, 1795529566123456789, data, len(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReaderShortReads reads through readers that return one byte at a
// time, or data together with io.EOF: the records must be the same.
func TestReaderShortReads(t *testing.T) {
	for _, ng := range []bool{false, true} {
		var file []byte
		if ng {
			file = append(fuzzPcapng(false), fuzzPcapng(true)...)
		} else {
			file = fuzzPcap(true, false)
		}
		want, err := readAll(t, mustReader(t, bytes.NewReader(file)))
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]io.Reader{
			"one byte":      iotest.OneByteReader(bytes.NewReader(file)),
			"data with EOF": iotest.DataErrReader(bytes.NewReader(file)),
			"half reads":    iotest.HalfReader(bytes.NewReader(file)),
			"gzip one byte": iotest.OneByteReader(bytes.NewReader(gzipped(file))),
		} {
			got, err := readAll(t, mustReader(t, r))
			if err != nil {
				t.Fatalf("pcapng=%v %s: %v", ng, name, err)
			}
			if diff := cmp.Diff(want, got, bytesEqual); diff != "" {
				t.Errorf("pcapng=%v %s: records differ (-want +got):\n%s", ng, name, diff)
			}
		}
	}
}

func mustReader(t *testing.T, r io.Reader) *Reader {
	t.Helper()
	rd, err := NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// errAfter returns its data, then err.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

// stuck returns no data and no error forever.
type stuck struct{}

func (stuck) Read([]byte) (int, error) { return 0, nil }

func TestReaderIOErrors(t *testing.T) {
	file := fuzzPcap(false, false) // 24 + 32 + 18 bytes
	boom := errors.New("disk on fire")
	t.Run("error mid-record", func(t *testing.T) {
		rd := mustReader(t, &errAfter{data: file[:24+32+5], err: boom})
		recs, err := readAll(t, rd)
		if len(recs) != 1 || !errors.Is(err, boom) {
			t.Fatalf("got %d records and %v, want 1 and an error wrapping %v", len(recs), err, boom)
		}
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Offset != 56 {
			t.Errorf("error %v: want a *FormatError at offset 56", err)
		}
	})
	t.Run("error at a record boundary", func(t *testing.T) {
		rd := mustReader(t, &errAfter{data: file[:24+32], err: boom})
		recs, err := readAll(t, rd)
		if len(recs) != 1 || !errors.Is(err, boom) {
			t.Fatalf("got %d records and %v, want 1 and an error wrapping %v (not a clean EOF)", len(recs), err, boom)
		}
	})
	t.Run("error before the header", func(t *testing.T) {
		_, err := NewReader(&errAfter{err: boom})
		if !errors.Is(err, boom) {
			t.Fatalf("NewReader = %v, want an error wrapping %v", err, boom)
		}
	})
	t.Run("no progress", func(t *testing.T) {
		_, err := NewReader(io.MultiReader(bytes.NewReader(file[:10]), stuck{}))
		if !errors.Is(err, io.ErrNoProgress) {
			t.Fatalf("NewReader = %v, want an error wrapping io.ErrNoProgress", err)
		}
	})
}

func TestWriterErrors(t *testing.T) {
	pw, err := NewPcapWriter(io.Discard, PcapOptions{Link: decode.LinkEthernet, SnapLen: 10})
	if err != nil {
		t.Fatal(err)
	}
	ng, err := NewPcapngWriter(io.Discard, PcapngOptions{Interfaces: []Interface{{Link: decode.LinkEthernet, SnapLen: 10, TSOffset: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
		msg  string
	}{
		{"pcap before the epoch", pw.WritePacket(-1, nil, 0), "timestamp -1 is before the epoch"},
		{"pcap past the snap length", pw.WritePacket(0, make([]byte, 11), 11), "captured length 11 exceeds the snap length 10"},
		{"pcap original below captured", pw.WritePacket(0, make([]byte, 5), 4), "original length 4 is below the captured length 5"},
		{"pcap after 2106", pw.WritePacket(1<<33*1e9, nil, 0), "beyond pcap's 32-bit seconds"},
		{"pcapng unknown interface", ng.WritePacket(1, 0, nil, 0), "interface 1 is not defined (1 written)"},
		{"pcapng before the offset", ng.WritePacket(0, 99e9, nil, 0), "is before the interface's offset"},
		{"pcapng stats unknown interface", ng.WriteStats(Stats{Interface: 2}), "statistics for interface 2"},
	} {
		if !errors.Is(tt.err, ErrBadPacket) || !strings.Contains(tt.err.Error(), tt.msg) {
			t.Errorf("%s: got %v, want ErrBadPacket and %q", tt.name, tt.err, tt.msg)
		}
	}
	if _, err := NewPcapWriter(io.Discard, PcapOptions{FCSLen: 3}); err == nil {
		t.Errorf("NewPcapWriter with an odd FCS length succeeded")
	}
	if _, err := ng.AddInterface(Interface{TSResol: 20}); err == nil {
		t.Errorf("AddInterface with if_tsresol 10^-20 succeeded")
	}
	if _, err := ng.AddInterface(Interface{FCSLen: 256}); err == nil {
		t.Errorf("AddInterface with a 256-byte FCS (if_fcslen is one byte) succeeded")
	}
	// A failing destination is reported by Flush.
	fw, err := NewPcapWriter(&errAfter{err: errors.New("full")}, PcapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err == nil {
		t.Errorf("Flush to a failing writer succeeded")
	}
}

func (e *errAfter) Write(p []byte) (int, error) { return 0, e.err }
