// Package labsheet answers the questions of the classic TCP lab (the one
// that follows a bulk transfer in Wireshark) for one conversation of any
// capture, each answer with the packet numbers it rests on: the client's
// and the server's addresses and ports; the SYN's and the SYN/ACK's
// sequence numbers and the flags that make them so; the first segment
// carrying data; for the first six data segments their send times, the
// ACK that covers each and when it came, SampleRTT and EstimatedRTT
// (α = 0.125, starting from the first sample, as the lab does) and their
// lengths; the smallest window the receiver advertised and whether it
// ever held the sender back; the retransmissions, found both by
// Wireshark's flags and by sequence numbers that go back; how much each
// ACK acknowledges (delayed ACKs cover two segments); the throughput; and
// where slow start starts and ends (package congestion, through package
// explain's reading of the phases).
//
// Build computes the answers as data (a Sheet, whose JSON form is
// documented in docs/lab-sheet.md); WriteText, WriteJSON and WriteHTML
// present them, in any language of package i18n. Every time is the
// capture's (frame.time_relative): a sheet is only as good as the capture
// point, and it says so where that matters (RTTs measured away from the
// sender, slow start at the receiver).
package labsheet
