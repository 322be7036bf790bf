// Package pcapio reads and writes capture files: pcap (microsecond and
// nanosecond timestamps, either byte order) and pcapng (several sections
// and interfaces, per-interface timestamp resolution and offset), plain or
// gzip-compressed.
//
// Reader.Next is zero-copy: the record's Data aliases an internal buffer
// that the next call reuses, so a whole file streams in constant memory
// and without an allocation per record. Every length read from the file is
// checked against a limit before any buffer grows, and a corrupt or
// truncated file ends with a *FormatError naming the byte offset of the
// faulty record or block, after every complete record before it.
//
// The formats follow the IETF drafts draft-ietf-opsawg-pcap and
// draft-ietf-opsawg-pcapng, and behave like Wireshark's wiretap where the
// drafts leave room (timestamp precision, link-type FCS bits).
package pcapio
