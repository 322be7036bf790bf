// Package graphplot writes a streamgraph.Graph for people and for other
// tools: its points as CSV or NDJSON (the columns are a contract, described
// in docs/graphs.md), a standalone SVG (axes, ticks, a legend, no external
// resource, readable at 400 px wide) and a compact terminal plot in Unicode
// braille characters, or ASCII, with or without ANSI colour.
//
// The data writers write every point; the SVG and terminal writers reduce
// each series first (streamgraph.Reduce: largest-triangle-three-buckets,
// keeping every retransmission), so a graph of a million segments draws in
// milliseconds into a file of a few hundred kilobytes.
//
// Time on the plots is Wireshark's: seconds since the stream's first
// segment (Graph.Origin). The data files carry both that and the time since
// the capture's first frame (tshark's frame.time_relative).
package graphplot
