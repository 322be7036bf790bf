//go:build linux

package demo

import (
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// TestCapturePeer captures an impaired transfer at both ends at once:
// the client's capture holds every data segment the client sent (the
// bridge's log counts them), the server's every copy the bridge passed
// on, and the two files sit side by side.
func TestCapturePeer(t *testing.T) {
	out := impairedTransfer(t, "c2s:loss=3%,dup=2%,delay=4ms,seed=31", Config{CapturePeer: true})
	file := out.Capture.File
	if out.Capture == nil || out.PeerCapture == nil {
		t.Fatalf("captures %+v and %+v, want both", out.Capture, out.PeerCapture)
	}
	if out.Capture.Host != netlab.Server || out.PeerCapture.Host != netlab.Client || out.PeerCapture.File != PeerFile(file, netlab.Client) {
		t.Errorf("main capture at %v, peer at %v in %s", out.Capture.Host, out.PeerCapture.Host, out.PeerCapture.File)
	}
	var sent, lost, copies int
	for _, f := range out.Network.Fates {
		if f.TCP && f.C2S && f.Segment.Len > 0 {
			sent++
			if f.Lost {
				lost++
			}
			if f.Copies == 2 {
				copies++
			}
		}
	}
	atServer, atClient := dataSegments(t, out.Capture.File), dataSegments(t, out.PeerCapture.File)
	if atClient != sent {
		t.Errorf("the client's capture has %d data segments, the bridge received %d", atClient, sent)
	}
	if atServer != sent-lost+copies {
		t.Errorf("the server's capture has %d data segments, want %d sent - %d lost + %d copies", atServer, sent, lost, copies)
	}
	if lost == 0 || copies == 0 {
		t.Errorf("too little happened: %d lost, %d copies", lost, copies)
	}
}

// dataSegments counts the client's segments with payload in file.
func dataSegments(t *testing.T, file string) int {
	recs, _ := pcaptest.ReadAll(t, file)
	n := 0
	var p decode.Packet
	for _, rec := range recs {
		if decode.Decode(decode.LinkEthernet, rec.Data, &p) == nil && len(p.TCP) >= 20 && p.Src == netlab.ClientAddr && p.SegmentLen > p.TCP.HeaderLen() {
			n++
		}
	}
	return n
}
