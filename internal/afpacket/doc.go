// Package afpacket is a small Linux AF_PACKET socket (packet(7)) for
// reading and writing whole link-layer frames on one interface, in pure Go
// over golang.org/x/sys/unix, without libpcap or cgo.
//
// A Conn is bound to one interface and, by default, to every protocol
// (ETH_P_ALL). Its file descriptor is non-blocking and registered with the
// Go runtime's poller, so a blocked ReadFrame returns when a read deadline
// passes (os.ErrDeadlineExceeded) or when the Conn is closed
// (net.ErrClosed). To cancel a read from a context, set a deadline in the
// past when the context ends, or call Close.
//
// ReadFrame copies one frame into a caller-owned buffer and reports the
// frame's sockaddr_ll information (packet type, interface index, protocol)
// without allocating.
//
// Opening a packet socket needs CAP_NET_RAW. Without it, Listen returns an
// error for which errors.Is(err, os.ErrPermission) is true and whose text
// names the capability and the remedy.
//
// On systems other than Linux, Listen returns an error naming the system.
package afpacket
