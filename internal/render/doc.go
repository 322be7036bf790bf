// Package render draws a TCP conversation (a conversation.Conversation) as
// a ladder diagram: one vertical lane per endpoint ip:port (so the two ends
// of a loopback conversation, both on 127.0.0.1, are still two lanes), one
// arrow per packet with its time, flags, relative (or raw) Seq/Ack, Len and
// window, and the expert flags highlighted.
//
// Ladder writes it for a terminal, in 80 columns, with box-drawing
// characters or an ASCII fallback and ANSI colour only when asked (see
// TerminalStyle: a terminal, and NO_COLOR unset). Report writes one
// self-contained HTML file (inline CSS and SVG, a few lines of inline
// script, no external requests) with a summary of every conversation and,
// for the selected or most interesting ones, the SVG ladder, the packet
// table, the walk-through of package explain and the RTT table.
package render
