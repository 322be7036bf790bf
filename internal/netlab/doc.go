// Package netlab builds a small impaired network on one Linux machine: a
// client host and a server host, each in its own network namespace, joined
// through a middle namespace whose user-space bridge forwards Ethernet
// frames between them over AF_PACKET sockets and impairs them on the way
// with package impair (loss, delay, reordering, duplication, a rate limit,
// ECN marking). The kernel's netem qdisc is not used: many kernels lack it.
//
//	client ns              middle ns                   server ns
//	  c0 ──veth── mc ─[bridge: impair c2s / s2c]─ ms ──veth── s0
//	10.77.0.1                                            10.77.0.2
//	fd00:7c:1ab::1                                       fd00:7c:1ab::2
//
// The client and server are on one Ethernet segment, with permanent
// neighbour entries, so no ARP or neighbour discovery crosses the bridge
// and every impaired frame is the caller's traffic. Offloads (TSO, GSO,
// GRO, scatter-gather, transmit and receive checksumming) are turned off
// on all four veth ends, so segments are at most MTU-sized and checksums
// are real in captures. The middle namespace's veths have IPv6 disabled:
// the middle host itself sends nothing.
//
// # Using it
//
// Network.Do runs Go code on a thread inside a host's namespace, so
// net.Listen and net.Dial there make that host's sockets; Network.Command
// runs a program there (ip netns exec). Network.BulkTransfer sends a bulk
// stream from client to server and captures it with tcpdump, which is how
// tests produce impaired captures:
//
//	spec, err := impair.Parse("loss=2%,delay=10ms,seed=1")
//	n, err := netlab.New(ctx, netlab.Config{Impair: spec})
//	defer n.Close()
//	res, err := n.BulkTransfer(ctx, netlab.BulkOptions{Bytes: 1 << 20, Capture: "lossy.pcap"})
//
// # Names and cleanup
//
// Namespaces are named tcplab-PID-N-c, -m and -s, where PID is the
// creating process and N counts networks within it, so parallel tests and
// runs never collide. Network.Close removes everything New created (the
// veths go with their namespaces); so does cancelling the context given to
// New, and New removes what it made before returning an error. A network
// left by a process that was killed cannot clean up after itself, so New
// first removes every tcplab-PID-N-x namespace whose PID is no longer
// running. Programs started with Network.Command (BulkTransfer's tcpdump
// among them) get SIGTERM when the process that started them dies, so none
// runs on in, and keeps alive, a namespace that is gone.
//
// # Privileges and tools
//
// New needs root, or CAP_NET_ADMIN (namespaces, links) and CAP_NET_RAW
// (the bridge's packet sockets), and CAP_SYS_ADMIN for setns and the bind
// mounts of named namespaces: in practice, run as root. Without them New
// returns an error for which errors.Is(err, os.ErrPermission) is true,
// naming the remedy. Namespaces, links, addresses and neighbours are made
// with iproute2's ip command (ip netns add, ip -n NS link/addr/neigh), the
// same tool users reach for to inspect the network; offloads are set with
// the SIOCETHTOOL ioctl, so ethtool need not be installed. BulkTransfer's
// capture uses tcpdump.
package netlab
