package demo

import (
	"github.com/tcplab/tcplab/internal/groundtruth"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/netlab"
)

// Reconciliation is one direction's reconciliation table: how many TCP
// segments each party counted, from the sender's kernel through the
// bridge to each capture point and Wireshark's flags.
type Reconciliation struct {
	// C2S is the direction: client to server, or back.
	C2S bool
	// Bridge is what the bridge's log says of the direction (its Sight
	// is unused).
	Bridge groundtruth.Count
	// Client and Server are what the capture at each host saw of the
	// direction; nil for a host not captured.
	Client, Server *groundtruth.Sight
	// Kernel is the sender's socket's TCP_INFO, when the run has it (the
	// client of a bulk transfer); nil otherwise.
	Kernel *netlab.BulkResult
	// UserStack reports that the sender was tcplab's user-space stack,
	// whose counters stand in for TCP_INFO.
	UserStack bool
}

// Reconcile returns the reconciliation table of each direction (client
// to server first) of a run across the impaired network, from the
// bridge's log, the captures a holds and the sender's TCP_INFO; nil for a
// run without the network, its log (a log that overflowed cannot be
// reconciled) or a capture.
func Reconcile(o *Outcome, a *Analysis) []Reconciliation {
	if o.Network == nil || len(o.Network.Fates) == 0 || o.Network.Unlogged != 0 || a == nil || o.Capture == nil {
		return nil
	}
	bridge := groundtruth.Reconcile(nil, o.Network.Fates)
	var at [2]*[2]groundtruth.Sight // by host: client, server
	main := groundtruth.Sights(a.frames)
	at[hostIndex(a.point(o))] = &main
	if a.peerHost != 0 {
		peer := groundtruth.Sights(a.peerFrames)
		at[hostIndex(a.peerHost)] = &peer
	}
	out := make([]Reconciliation, 2)
	for d := range out {
		r := &out[d]
		r.C2S = d == 0
		r.UserStack = o.UserStack
		r.Bridge = bridge[d]
		r.Bridge.Sight = groundtruth.Sight{}
		if at[0] != nil {
			r.Client = &at[0][d]
		}
		if at[1] != nil {
			r.Server = &at[1][d]
		}
		if r.C2S && o.Bulk != nil {
			r.Kernel = o.Bulk
		}
	}
	return out
}

func hostIndex(h netlab.Host) int {
	if h == netlab.Client {
		return 0
	}
	return 1
}

// ReconRow is one line of a reconciliation table, in one language: what
// is counted, the count, and when the count differs from the line above,
// the sentence that says why ("" otherwise).
type ReconRow struct {
	Label string
	N     int
	Note  string
}

// Title returns the table's title in lang ("client → server").
func (r *Reconciliation) Title(lang i18n.Lang) string {
	if r.C2S {
		return i18n.Msg(lang, "recon.c2s")
	}
	return i18n.Msg(lang, "recon.s2c")
}

// Rows returns the table's lines in lang. Each line's note explains why
// its count differs from the line above; a line equal to the one above
// has none.
func (r *Reconciliation) Rows(lang i18n.Lang) []ReconRow {
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	sender, receiver := msg("short.client"), msg("short.server")
	sHost, rHost := r.Client, r.Server
	if !r.C2S {
		sender, receiver = receiver, sender
		sHost, rHost = rHost, sHost
	}
	b := &r.Bridge
	var rows []ReconRow
	// add appends a line whose note is message id (with ".none" when n
	// is 0 and the catalog has it, ".fewer" or ".more" when the
	// catalog has them) when n differs from the line above, or always.
	add := func(label string, n int, id string, always bool, args ...any) {
		row := ReconRow{Label: label, N: n}
		if len(rows) > 0 || always {
			prev := n
			if len(rows) > 0 {
				prev = rows[len(rows)-1].N
			}
			if n != prev || always {
				diff := n - prev
				switch {
				case n == 0 && i18n.Has(id+".none"):
					id += ".none"
				case diff < 0 && i18n.Has(id+".fewer"):
					id += ".fewer"
				case diff > 0 && i18n.Has(id+".more"):
					id += ".more"
				}
				row.Note = msg(id, append([]any{"n", n, "diff", max(diff, -diff), "sender", sender, "receiver", receiver}, args...)...)
			}
		}
		rows = append(rows, row)
	}
	add(msg("recon.sent", "sender", sender), b.Sent, "", false)
	if sHost != nil {
		add(msg("recon.seen", "host", sender), sHost.Captured, "recon.seen.sender", false)
	}
	user := ""
	if r.UserStack {
		user = ".user"
	}
	if k := r.Kernel; k != nil {
		add(msg("recon.kernel.segs"+user, "sender", sender), int(k.SegsOut), "recon.kernel.segs.note"+user, false)
	}
	add(msg("recon.lost"), b.Lost, "recon.lost.note", false)
	add(msg("recon.queue"), b.QueueDrops, "recon.queue.note", false)
	add(msg("recon.dup"), b.Duplicated, "recon.dup.note", false)
	add(msg("recon.reordered"), b.Reordered, "recon.reordered.note", false)
	add(msg("recon.delivered"), b.Delivered, "recon.delivered.note", true,
		"sent", b.Sent, "lost", b.Lost, "queue", b.QueueDrops, "dup", b.Duplicated)
	if rHost != nil {
		add(msg("recon.seen", "host", receiver), rHost.Captured, "recon.seen.receiver", false)
	}
	for _, h := range []struct {
		name  string
		sight *groundtruth.Sight
	}{{msg("short.client"), r.Client}, {msg("short.server"), r.Server}} {
		if s := h.sight; s != nil {
			add(msg("recon.flagged", "host", h.name), s.Flagged, "recon.flagged.note", false,
				"resent", s.Resent, "ooo", s.OutOfOrder, "host", h.name)
		}
	}
	if k := r.Kernel; k != nil {
		add(msg("recon.kernel.retrans"+user, "sender", sender), int(k.Retransmits), "recon.kernel.retrans.note"+user, false, "lost", b.Lost)
	}
	return rows
}
