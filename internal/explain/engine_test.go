package explain_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// The captures in testdata are the Python originals of the lab on
// loopback, recorded with tcpdump -i lo: lab_in_range.pcap with the number
// 100, lab_out_of_range.pcap with 250; and impaired_bulk.pcap, a 150000-byte
// transfer across netlab's bridge with loss=3%,delay=10ms,seed=7, captured
// on the client host with a snap length of 96 (netlab.BulkTransfer).

func readCapture(t *testing.T, name string) []conversation.Conversation {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	convs, err := explain.ReadCapture(f, nil, 0)
	if err != nil {
		t.Fatalf("ReadCapture(%s): %v", name, err)
	}
	return convs
}

// TestCaptureMatchesFixture checks the adapter from the analysis engine
// against the hand-built fixtures, whose values were read off tshark for
// the same captures: every field of every packet agrees (frames renumbered,
// and the checksum value, the Info column and the SEQ/ACK analysis values,
// which the fixtures leave out).
func TestCaptureMatchesFixture(t *testing.T) {
	tests := []struct {
		file     string
		fixture  func() conversation.Conversation
		frameOff int
	}{
		{"lab_in_range.pcap", fixture.LabInRange, 0},
		{"lab_out_of_range.pcap", fixture.LabOutOfRange, 10},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			convs := readCapture(t, tt.file)
			if len(convs) != 1 {
				t.Fatalf("%d conversations, want 1", len(convs))
			}
			got := convs[0]
			want := tt.fixture()
			for i := range got.Packets {
				p := &got.Packets[i]
				// Every segment after the SYNs carries NOP, NOP,
				// timestamps; the fixtures keep only the SYNs' options.
				if !p.Has(decode.FlagSYN) {
					if len(p.Options) != 3 || p.Options[0].Kind != decode.OptNOP || p.Options[2].Kind != decode.OptTimestamp {
						t.Errorf("frame %d: options %+v, want NOP, NOP, timestamps", p.Frame, p.Options)
					}
					p.Options = nil
				}
				got.Packets[i].Frame += tt.frameOff
				if got.Packets[i].Info == "" {
					t.Errorf("frame %d: no Info column", got.Packets[i].Frame)
				}
			}
			// The fixtures leave out the SEQ/ACK analysis values too:
			// render's TestDetailsMatchNDJSON checks them against the
			// ndjson records.
			opts := cmp.Options{
				cmpopts.IgnoreFields(conversation.Segment{}, "Checksum", "Info", "AckedFrame", "AckRTT", "BytesInFlight", "PushBytesSent"),
				cmpopts.EquateEmpty(),
			}
			if diff := cmp.Diff(want.Packets, got.Packets, opts); diff != "" {
				t.Errorf("packets differ from the fixture (-fixture +capture):\n%s", diff)
			}
			if got.State != "SF" || got.Summary.Packets != len(want.Packets) || got.Summary.Handshake != "complete" || got.Summary.Close != "fin" {
				t.Errorf("summary = state %q, %+v", got.State, got.Summary)
			}
		})
	}
}

// TestCaptureWalkthroughGolden explains the real captures in both
// languages.
func TestCaptureWalkthroughGolden(t *testing.T) {
	for _, file := range []string{"lab_in_range.pcap", "lab_out_of_range.pcap", "impaired_bulk.pcap"} {
		for _, lang := range i18n.Langs {
			t.Run(file+"/"+string(lang), func(t *testing.T) {
				convs := readCapture(t, file)
				var buf bytes.Buffer
				for i := range convs {
					if err := explain.Explain(&convs[i], explain.Options{Lang: lang}).WriteText(&buf, 80); err != nil {
						t.Fatal(err)
					}
				}
				golden(t, "capture_"+file[:len(file)-len(".pcap")]+"."+string(lang), buf.Bytes())
			})
		}
	}
}

func TestReadCaptureErrors(t *testing.T) {
	if _, err := explain.ReadCapture(bytes.NewReader([]byte("not a capture")), nil, 0); err == nil {
		t.Errorf("ReadCapture(garbage) succeeded")
	}
	data, err := os.ReadFile(filepath.Join("testdata", "lab_in_range.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// Cut inside the last record: the conversations read so far come
	// back with the error.
	convs, err := explain.ReadCapture(bytes.NewReader(data[:len(data)-10]), nil, 0)
	if err == nil {
		t.Errorf("ReadCapture(truncated) returned no error")
	}
	if len(convs) != 1 || len(convs[0].Packets) != 9 {
		t.Errorf("ReadCapture(truncated) kept %d conversations, want 1 with 9 packets", len(convs))
	}
	// A packet budget keeps the summary whole.
	convs, err = explain.ReadCapture(bytes.NewReader(data), nil, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs[0].Packets) != 4 || convs[0].Summary.Packets != 10 {
		t.Errorf("MaxPackets 4: kept %d packets, summary %d; want 4 and 10", len(convs[0].Packets), convs[0].Summary.Packets)
	}
	// A selection that matches nothing leaves no conversation; one that
	// matches the server's packets keeps only those.
	none := func(*decode.Packet, *tcpanalysis.Result) bool { return false }
	if convs, err := explain.ReadCapture(bytes.NewReader(data), none, 0); err != nil || len(convs) != 0 {
		t.Errorf("ReadCapture(match nothing) = %d conversations, %v; want none", len(convs), err)
	}
	fromServer := func(_ *decode.Packet, r *tcpanalysis.Result) bool { return r.FromServer }
	convs, err = explain.ReadCapture(bytes.NewReader(data), fromServer, 0)
	if err != nil || len(convs) != 1 || len(convs[0].Packets) != 5 {
		t.Errorf("ReadCapture(server's packets) = %d conversations, %v; want 1 with 5 packets", len(convs), err)
	}
}

// TestReadEach checks that Read hands Each the segments Match keeps, in
// capture order, with times relative to the first frame, and returns the
// engine's streams for the conversation table.
func TestReadEach(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "lab_in_range.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	var frames []uint32
	var firstTime int64 = -1
	fromServer := func(_ *decode.Packet, r *tcpanalysis.Result) bool { return r.FromServer }
	c, err := explain.Read(bytes.NewReader(data), explain.ReadOptions{Match: fromServer, Each: func(p *listing.Packet) {
		if !p.Result.FromServer {
			t.Errorf("Each got frame %d from the client; Match keeps the server's", p.Number)
		}
		if firstTime < 0 {
			firstTime = p.RelTime
		}
		frames = append(frames, p.Number)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{2, 5, 6, 8, 10}, frames); diff != "" {
		t.Errorf("Each frames (-want +got):\n%s", diff)
	}
	if firstTime <= 0 {
		t.Errorf("frame 2's relative time = %d, want > 0", firstTime)
	}
	if len(c.Streams) != 1 || len(c.Conversations) != 1 || c.Start == 0 {
		t.Errorf("Read = %d streams, %d conversations, start %d; want 1, 1, the first frame's time", len(c.Streams), len(c.Conversations), c.Start)
	}
	if c, err := explain.Read(bytes.NewReader([]byte("not a capture")), explain.ReadOptions{}); c != nil || err == nil {
		t.Errorf("Read(garbage) = %v, %v; want nil and an error", c, err)
	}
}
