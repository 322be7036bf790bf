// Package conversation is the model of one TCP conversation that the
// presentations share: the walk-through (package explain), the ladder
// diagram and the HTML report (package render) and the demo (package
// demo).
//
// A Conversation holds its two ends, its segments in capture order with
// the values Wireshark computes for each (relative and raw sequence
// numbers, the scaled window, the options, the checksum status, the expert
// flags and the SEQ/ACK analysis), and a Summary of the whole
// conversation. Flags and option kinds are the decoder's (decode.FlagSYN,
// decode.OptMSS, ...), expert flags the analysis' (tcpanalysis.Flags).
// explain.Collector and explain.Read fill it from a capture; tests and the
// sample report build it by hand (package fixture).
package conversation
