package capture

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// TestWriterRoundTrip writes packets and the statistics block with Writer
// and reads them back with pcapio.
func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	info := Info{Interface: "lo", Link: decode.LinkEthernet, SnapLen: 96, Filter: "tcp port 2000", OS: "Linux test"}
	w, err := NewWriter(&buf, info)
	if err != nil {
		t.Fatal(err)
	}
	const t0 = int64(1_700_000_000_123_456_789)
	pkts := []Packet{
		{Number: 1, Timestamp: t0, Data: bytes.Repeat([]byte{1}, 60), Length: 60, Link: decode.LinkEthernet, Pending: true},
		{Number: 2, Timestamp: t0 + 1, Data: bytes.Repeat([]byte{2}, 96), Length: 1514, Link: decode.LinkEthernet, Pending: false},
		{Number: 3, Timestamp: t0 + 999_999_999, Data: []byte{3, 3, 3}, Length: 3, Link: decode.LinkEthernet},
	}
	for i := range pkts {
		if err := w.WritePacket(&pkts[i]); err != nil {
			t.Fatal(err)
		}
	}
	st := Stats{Captured: 3, Received: 5, Dropped: 2, Start: t0 - 1000, End: t0 + 2_000_000_000}
	if err := w.Finish(st); err != nil {
		t.Fatal(err)
	}
	rd, err := pcapio.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range pkts {
		r, err := rd.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if r.Timestamp != want.Timestamp || !bytes.Equal(r.Data, want.Data) || r.OrigLen != want.Length || r.Resolution != 9 || r.Link != decode.LinkEthernet {
			t.Errorf("record %d = ts %d, %d bytes of %d, resolution %d; want ts %d, %d bytes of %d, resolution 9",
				i+1, r.Timestamp, len(r.Data), r.OrigLen, r.Resolution, want.Timestamp, len(want.Data), want.Length)
		}
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("after the packets: %v, want io.EOF", err)
	}
	ifcs := rd.Interfaces()
	if len(ifcs) != 1 || ifcs[0].Name != "lo" || ifcs[0].Description != "capture filter: tcp port 2000" || ifcs[0].SnapLen != 96 {
		t.Errorf("interfaces = %+v", ifcs)
	}
	want := []pcapio.Stats{{Interface: 0, Timestamp: st.End, Start: st.Start, End: st.End, Received: 5, Dropped: 2, FilterAccepted: -1, OSDropped: -1, Delivered: 3}}
	if diff := cmp.Diff(want, rd.Stats()); diff != "" {
		t.Errorf("statistics block (-want +got):\n%s", diff)
	}
}

// TestWriterFlushesWhenIdle checks that a packet with Pending false is in
// the underlying writer at once, and one with Pending true may wait.
func TestWriterFlushesWhenIdle(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Info{Interface: "lo", Link: decode.LinkEthernet, SnapLen: DefaultSnapLen})
	if err != nil {
		t.Fatal(err)
	}
	w.Flush()
	header := buf.Len()
	p := Packet{Number: 1, Timestamp: 1e18, Data: make([]byte, 100), Length: 100, Pending: true}
	if err := w.WritePacket(&p); err != nil {
		t.Fatal(err)
	}
	p.Number, p.Pending = 2, false
	if err := w.WritePacket(&p); err != nil {
		t.Fatal(err)
	}
	// Two Enhanced Packet Blocks of 32 bytes of header and 100 of data.
	if got := buf.Len() - header; got != 2*(32+100) {
		t.Errorf("after a packet with Pending false, %d bytes reached the file, want %d", got, 2*(32+100))
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Interface: "lo", SnapLen: DefaultSnapLen, BufferSize: DefaultBufferSize}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Config{}.withDefaults() (-want +got):\n%s", diff)
	}
}

func BenchmarkWriterWritePacket(b *testing.B) {
	w, err := NewWriter(io.Discard, Info{Interface: "lo", Link: decode.LinkEthernet, SnapLen: DefaultSnapLen})
	if err != nil {
		b.Fatal(err)
	}
	p := Packet{Number: 1, Timestamp: 1e18, Data: make([]byte, 74), Length: 74, Pending: true}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WritePacket(&p); err != nil {
			b.Fatal(err)
		}
	}
}
