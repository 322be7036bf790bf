package pcapio

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
)

// fuzzPcap returns a small pcap file written by PcapWriter.
func fuzzPcap(nano, be bool) []byte {
	var buf bytes.Buffer
	w, _ := NewPcapWriter(&buf, PcapOptions{Link: decode.LinkEthernet, Nanosecond: nano, BigEndian: be})
	w.WritePacket(1e9, []byte("0123456789abcdef"), 16)
	w.WritePacket(2e9, []byte("xy"), 60)
	w.Flush()
	return buf.Bytes()
}

// fuzzPcapng returns a small pcapng file with two interfaces, a comment
// and statistics.
func fuzzPcapng(be bool) []byte {
	var buf bytes.Buffer
	w, _ := NewPcapngWriter(&buf, PcapngOptions{BigEndian: be, Comment: "c", Interfaces: []Interface{
		{Name: "a", Link: decode.LinkEthernet, TSResol: 9},
		{Name: "b", Link: decode.LinkNull, TSResol: 0x80 | 20, TSOffset: 5},
	}})
	w.WritePacket(0, 1e9, []byte("0123456789"), 10)
	w.WritePacketComment(1, 2e9, []byte("abc"), 99, "comment")
	w.WriteStats(Stats{Interface: 0, Timestamp: 3e9, Received: 2, Dropped: 0, FilterAccepted: -1, OSDropped: -1, Delivered: -1})
	w.Flush()
	return buf.Bytes()
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// FuzzReader feeds arbitrary bytes to NewReader and Next: no input may
// panic, every failure is a *FormatError whose offset lies within the
// input (for uncompressed input), records never overlap, and Data always
// has CaptureLen bytes.
func FuzzReader(f *testing.F) {
	le := fuzzPcap(false, false)
	f.Add(le)                                             // little-endian microsecond pcap
	f.Add(fuzzPcap(true, true))                           // big-endian nanosecond pcap
	f.Add(le[:len(le)-1])                                 // truncated final record
	f.Add(le[:30])                                        // truncated record header
	f.Add(fuzzPcapng(false))                              // little-endian pcapng, two interfaces, ISB
	f.Add(fuzzPcapng(true))                               // big-endian pcapng
	f.Add(append(fuzzPcapng(false), fuzzPcapng(true)...)) // two sections, byte order changes
	f.Add(gzipped(le))                                    // gzip-compressed pcap
	f.Add(gzipped(fuzzPcapng(true))[:40])                 // truncated gzip stream
	huge := bytes.Clone(le)
	binary.LittleEndian.PutUint32(huge[24+8:], 0xffffffff)
	f.Add(huge) // 4 GB captured length
	ng := fuzzPcapng(false)
	bad := bytes.Clone(ng)
	binary.LittleEndian.PutUint32(bad[4:], 9)
	f.Add(bad)                                      // SHB length not a multiple of 4
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a})           // pcapng magic alone
	f.Add([]byte{})                                 // empty input
	f.Add([]byte{0x1f, 0x8b})                       // gzip magic alone
	f.Add(append(ng[:28], 6, 0, 0, 0, 32, 0, 0, 0)) // EPB before any IDB, cut
	f.Fuzz(func(t *testing.T, in []byte) {
		rd, err := NewReader(bytes.NewReader(in))
		if err != nil {
			checkFuzzErr(t, in, err)
			return
		}
		last := int64(-1)
		for range 10000 {
			rec, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				checkFuzzErr(t, in, err)
				return
			}
			if len(rec.Data) != rec.CaptureLen {
				t.Fatalf("record at %d: len(Data) %d != CaptureLen %d", rec.Offset, len(rec.Data), rec.CaptureLen)
			}
			if rec.Offset <= last {
				t.Fatalf("record offset %d does not follow %d", rec.Offset, last)
			}
			last = rec.Offset
			if !rd.Compressed() && rec.Offset+int64(rec.CaptureLen) > int64(len(in)) {
				t.Fatalf("record at %d with %d bytes runs past the %d-byte input", rec.Offset, rec.CaptureLen, len(in))
			}
		}
	})
}

// FuzzNextInto reads the same input with NextInto (and its shortcut
// for Enhanced Packet Blocks) and with the general path alone: every
// record and the final error must be the same, and NextInto must leave
// its Record unchanged on an error.
func FuzzNextInto(f *testing.F) {
	le := fuzzPcap(false, false)
	ng := fuzzPcapng(false)
	f.Add(le)                                             // little-endian microsecond pcap: no shortcut
	f.Add(ng)                                             // little-endian pcapng: the shortcut
	f.Add(fuzzPcapng(true))                               // big-endian pcapng: no shortcut
	f.Add(append(fuzzPcapng(true), fuzzPcapng(false)...)) // the byte order changes between sections
	f.Add(ng[:len(ng)-3])                                 // truncated final block
	f.Add(gzipped(ng))                                    // gzip-compressed pcapng
	bad := bytes.Clone(ng)
	for o := 0; o+8 <= len(bad); o += 4 {
		if binary.LittleEndian.Uint32(bad[o:]) == blockEPB {
			binary.LittleEndian.PutUint32(bad[o+20:], 1<<20) // captured length past the block
			break
		}
	}
	f.Add(bad) // an Enhanced Packet Block the shortcut must leave to the general path
	f.Fuzz(func(t *testing.T, in []byte) {
		fast, err1 := NewReader(bytes.NewReader(in))
		slow, err2 := NewReader(bytes.NewReader(in))
		if err1 != nil || err2 != nil {
			return
		}
		general := func() (Record, error) {
			var rec Record
			var err error
			if slow.format == FormatPcapng {
				rec, err = slow.nextPcapng()
			} else {
				rec, err = slow.nextPcap()
			}
			return rec, err
		}
		marker := Record{Data: []byte("unchanged"), CaptureLen: -1, Offset: -1}
		for range 10000 {
			got := marker
			err := fast.NextInto(&got)
			want, wantErr := general()
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("NextInto error %v, general path %v", err, wantErr)
			}
			if err != nil {
				if !bytes.Equal(got.Data, marker.Data) || got.CaptureLen != -1 || got.Offset != -1 {
					t.Fatalf("NextInto changed its Record on error %v: %+v", err, got)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("NextInto (-general path +NextInto):\n%s", diff)
			}
		}
	})
}

func checkFuzzErr(t *testing.T, in []byte, err error) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
	if fe.Offset < 0 || (len(in) < 2 || in[0] != 0x1f || in[1] != 0x8b) && fe.Offset > int64(len(in)) {
		t.Fatalf("error %v: offset %d outside the %d-byte input", err, fe.Offset, len(in))
	}
}

// FuzzPcapngRoundTrip writes a packet with an arbitrary resolution,
// offset and timestamp and reads it back: the data and lengths must
// survive, and the timestamp must come back rounded down to the
// resolution, never later than written.
func FuzzPcapngRoundTrip(f *testing.F) {
	f.Add(uint8(6), int64(0), int64(1700000000123456789), []byte("abc"), true) // microseconds
	f.Add(uint8(9), int64(-10), int64(1), []byte{}, false)                     // nanoseconds, negative offset
	f.Add(uint8(0x80|30), int64(100), int64(1e18), []byte("x"), true)          // 2^-30 s
	f.Add(uint8(0), int64(0), int64(59e9+999999999), []byte("seconds"), false) // whole seconds
	f.Fuzz(func(t *testing.T, res uint8, offset, ts int64, data []byte, be bool) {
		if offset > 1e9 || offset < -1e9 {
			return // outside the nanosecond range anyway
		}
		var buf bytes.Buffer
		w, err := NewPcapngWriter(&buf, PcapngOptions{BigEndian: be, Interfaces: []Interface{{Link: decode.LinkRaw, TSResol: res, TSOffset: offset}}})
		if err != nil {
			return // resolution out of range
		}
		if err := w.WritePacket(0, ts, data, len(data)+1); err != nil {
			if !errors.Is(err, ErrBadPacket) {
				t.Fatalf("WritePacket: %v, want ErrBadPacket", err)
			}
			return
		}
		w.Flush()
		rd := mustReader(t, &buf)
		rec, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Data, data) || rec.OrigLen != len(data)+1 {
			t.Fatalf("read back %q (orig %d), want %q (orig %d)", rec.Data, rec.OrigLen, data, len(data)+1)
		}
		if rec.Timestamp > ts {
			t.Fatalf("timestamp %d read back as %d, later", ts, rec.Timestamp)
		}
		// Less than one unit of the resolution (decimal 10^-n, binary 2^-n)
		// for the writer's rounding, plus a nanosecond for the reader's.
		exp := int(res & 0x7f)
		unit := int64(1)
		if res&0x80 == 0 {
			for i := exp; i < 9; i++ {
				unit *= 10
			}
		} else {
			unit = (1e9 >> exp) + 2
		}
		if ts-rec.Timestamp >= unit {
			t.Fatalf("timestamp %d read back as %d: more than one unit (%d ns) earlier", ts, rec.Timestamp, unit)
		}
	})
}
