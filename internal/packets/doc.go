// Package packets is the one source of analysed TCP packets. A Source
// takes a capture's frames in order (a capture file's records with Read,
// a live capture's frames with Add), decodes each with its length on the
// wire, reassembles IP fragments, runs Wireshark's TCP analysis
// (tcpanalysis) and hands each analysed segment over. The frames that may
// carry TCP but are not analysed are counted in its Summary by reason,
// under one policy for decode errors, cut headers and fragments.
//
// The packet list and the JSON records (listing), the walk-through
// (explain) and the live listing of `tcplab capture` all range over a
// Source, so they analyse the same frames and skip the same ones.
//
// A Source reuses one Packet: what it hands over is valid until the next
// frame. Handing a packet over allocates nothing.
package packets
