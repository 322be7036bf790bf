// Package explain turns one analysed TCP conversation into the plain-language
// walk-through a student writes by hand in the classic socket-programming
// lab: the three-way handshake with its initial sequence numbers and
// options, each data segment and the ACK that covers it with the arithmetic
// (Ack = Seq + Len) written out from the actual numbers, the close and who
// ends in TIME_WAIT, the window, the checksums, every expert flag where it
// occurs, the RTT table (package rtt) and the lab's own request and reply.
//
// The input is a conversation.Conversation, the model holding exactly the
// values the presentations need; Collector and Read fill it from the
// analysis engine. The output is a Walkthrough of sections and paragraphs
// that the text writer here and the HTML report (package render) both
// present.
//
// Every sentence comes from the message catalog of package i18n, in any of
// its languages (English, the default, and Traditional Chinese), which
// state the same numbers in the same places.
package explain
