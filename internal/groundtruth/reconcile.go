package groundtruth

import (
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Count is one direction's reconciliation: the TCP segments each party
// counted. Every segment the sender sent reached the bridge (Sent); the
// bridge lost some, dropped others in its queue, made extra copies of
// some and held some back; it passed on Delivered copies. Sight is what
// the capture given to Reconcile saw of the direction.
type Count struct {
	Sent, Lost, QueueDrops, Duplicated, Reordered, Delivered int
	Sight
}

// Sight is what one capture point saw of one direction: the segments it
// holds (Captured), the frames the analysis flagged with a flag other
// than a window update (Flagged: a frame with several flags counts once;
// a growing receive window marks most ACKs of a bulk transfer as window
// updates, which say nothing about the network), those flagged as a
// retransmission of any kind (Resent) and those flagged out of order
// (OutOfOrder). A frame flagged both counts in both.
type Sight struct {
	Captured, Flagged, Resent, OutOfOrder int
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
	s := Sights(frames)
	c[0].Sight, c[1].Sight = s[0], s[1]
	return c
}

// Sights counts what a capture (frames) saw of each direction (index 0:
// client to server).
func Sights(frames []Frame) [2]Sight {
	var s [2]Sight
	for _, f := range frames {
		d := &s[dirIndex(fromClient(f.Segment))]
		d.Captured++
		if f.Flags&^tcpanalysis.WindowUpdate != 0 {
			d.Flagged++
		}
		if f.Flags&resent != 0 {
			d.Resent++
		}
		if f.Flags&tcpanalysis.OutOfOrder != 0 {
			d.OutOfOrder++
		}
	}
	return s
}
