package netlab

import "time"

// ConnOptions describe the one connection that BidiTransfer and Exchange
// open from the client host to the server host, and its capture.
type ConnOptions struct {
	// IPv6 makes the connection use the hosts' IPv6 addresses.
	IPv6 bool
	// Port is the server's TCP port; zero means 5001.
	Port int
	// Capture, if not empty, is the file to which tcpdump writes the
	// connection's packets (pcap), captured on CaptureAt's interface.
	Capture string
	// CaptureAt is the host whose interface is captured: Server (the
	// default, for the zero Host) or Client.
	CaptureAt Host
	// CaptureAny captures on the host's "any" interface instead, in
	// LINUX_SLL2 framing (tcpdump -i any -y LINUX_SLL2).
	CaptureAny bool
	// Snaplen is tcpdump's snap length; zero captures whole frames.
	Snaplen int
	// RcvBuf, if positive, is set as SO_RCVBUF on both sockets before
	// the handshake (the kernel doubles it), so that a small one makes
	// the windows close.
	RcvBuf int
	// Timeout bounds the whole exchange; zero means two minutes.
	Timeout time.Duration
}

// BidiOptions describe a bulk transfer both ways at once.
type BidiOptions struct {
	ConnOptions
	// ClientBytes and ServerBytes are how many bytes the client and the
	// server send; at least one must be positive.
	ClientBytes, ServerBytes int64
}

// ExchangeOptions describe request/response pairs on one connection.
type ExchangeOptions struct {
	ConnOptions
	// Pairs is how many requests the client sends; it must be positive.
	Pairs int
	// MaxSize bounds each request's and response's size, drawn between
	// 1 byte and MaxSize, uniformly in the logarithm (as many of a few
	// bytes as of tens of kB); zero means 32 KiB. Requests carry 8 more
	// bytes: the sizes of their body and of the response.
	MaxSize int
	// Pipeline, if above 1, lets the client send up to that many
	// requests (a random number each time) before reading their
	// responses.
	Pipeline int
	// Pause, if positive, is how long each side waits before reading
	// each message, so that a small RcvBuf fills up.
	Pause time.Duration
	// Seed makes the sizes and batches repeatable.
	Seed uint64
}

// ConnResult is what BidiTransfer or Exchange did.
type ConnResult struct {
	// Bytes written by each side, and read by each side.
	ClientSent, ServerSent, ClientReceived, ServerReceived int64
	// Pairs is the number of responses the client read (Exchange).
	Pairs int
	// Elapsed runs from connect to the end of both directions.
	Elapsed time.Duration
	// Capture is the capture file, when one was asked for.
	Capture string
	// Stats are the bridge's counters at the end.
	Stats Stats
}
