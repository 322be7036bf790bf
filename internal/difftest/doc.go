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
