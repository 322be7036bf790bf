// Package explain turns one analysed TCP conversation into the plain-language
// walk-through a student writes by hand in the classic socket-programming
// lab: the three-way handshake with its initial sequence numbers and
// options, each data segment and the ACK that covers it with the arithmetic
// (Ack = Seq + Len) written out from the actual numbers, the close and who
// ends in TIME_WAIT, the window, the checksums, every expert flag where it
// occurs, the RTT table (package rtt) and the lab's own request and reply.
//
// The input is Conversation, a small model holding exactly the values the
// explanation needs; adapters from the analysis engine fill it. The output
// is a Walkthrough of sections and paragraphs that the text writer here and
// the HTML report (package render) both present.
//
// Every sentence comes from a message catalog with one table per language,
// English (the default) and Traditional Chinese (zh-TW, the language of the
// original lab), keyed by message id with named {placeholders}; a test
// checks that both tables have the same ids and the same placeholders, so
// both languages say the same things with the same numbers.
package explain
