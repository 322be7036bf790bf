// Package difftest compares tcplab's analysis with tshark's on random
// captures: a differential test.
//
// Generate writes random but plausible TCP conversations from a seed: two
// endpoints with a simple sender and receiver model (sequence space,
// windows, delayed and duplicate ACKs, SACK, timestamps, window scaling,
// retransmission timers, zero-window probes, keep-alives) talk through a
// network that loses, duplicates and reorders segments, and a capture
// point that sees some losses and not others, drops frames, duplicates
// them and cuts them to a snap length. Several conversations run at once,
// some on reused ports, some captured from the middle.
//
// Each capture has one of the link types tcplab decodes (link.go), and on
// Ethernet each 4-tuple an encapsulation or tunnel of its own
// (tunnel.go); conversations may use ECN or accurate ECN, urgent data, a
// SYN with data and IPv4 options (shapes.go, ipopts.go); segments may be
// sent as IP fragments, out of order or with one missing (ipfrag.go), and
// odd frames come now and then (odd.go): malformed TCP headers, which
// tshark still shows as TCP, and frames tcplab must count as not
// analysed, which the capture's Skipped counts for comparison with
// tcplab's summary.
//
// Tshark runs the capture once per batch (the oracle), tcplab's listing
// runs it in process, and Compare reports every field of every TCP packet
// (and each stream's initial RTT) where the two disagree. Shrink reduces a
// conversation that differs to the few frames that still show the
// difference, for a regression capture in testdata/regress.
//
// The tests run it: TestDifferential for a bounded number of seeds,
// TestSoak (scripts/difftest) until a number of packets is compared, and
// TestRegressions over the shrunk captures.
package difftest
