package groundtruth

import (
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Count is one direction's reconciliation: the TCP segments each party
// counted. Every segment the sender sent reached the bridge (Sent); the
// bridge lost some, dropped others in its queue, made extra copies of
// some and held some back; it passed on Delivered copies; a capture saw
// Captured segments, of which the analysis flagged Flagged (a frame with
// several flags counts once; Resent counts those flagged as a
// retransmission of any kind, OutOfOrder those flagged out of order).
type Count struct {
	Sent, Lost, QueueDrops, Duplicated, Reordered, Delivered int
	Captured, Flagged, Resent, OutOfOrder                    int
}

// Reconcile counts, for each direction (index 0: client to server), what
// the bridge's log says and what frames, a capture, show.
func Reconcile(frames []Frame, fates []netlab.FrameFate) [2]Count {
	var c [2]Count
	for i := range fates {
		f := &fates[i]
		if !f.TCP {
			continue
		}
		d := &c[dirIndex(f.C2S)]
		d.Sent++
		if f.Lost {
			d.Lost++
		}
		if f.Copies == 2 {
			d.Duplicated++
		}
		for _, cp := range f.Copy[:f.Copies] {
			switch {
			case cp.Dropped != impair.NotDropped:
				d.QueueDrops++
			case cp.Reordered:
				d.Reordered++
				d.Delivered++
			default:
				d.Delivered++
			}
		}
	}
	for _, f := range frames {
		d := &c[dirIndex(fromClient(f.Segment))]
		d.Captured++
		if f.Flags != 0 {
			d.Flagged++
		}
		if f.Flags&resent != 0 {
			d.Resent++
		}
		if f.Flags&tcpanalysis.OutOfOrder != 0 {
			d.OutOfOrder++
		}
	}
	return c
}
