//go:build linux

package netlab_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
)

// A capture of a 1 MiB transfer across a lossy, delayed link, taken on
// the server host, for comparison with tshark.
func ExampleNetwork_BulkTransfer() {
	ctx := context.Background()
	spec, err := impair.Parse("loss=2%,delay=10ms,seed=1")
	if err != nil {
		log.Fatal(err)
	}
	n, err := netlab.New(ctx, netlab.Config{Impair: spec})
	if err != nil {
		log.Fatal(err) // not root: the error names the remedy
	}
	defer n.Close()
	res, err := n.BulkTransfer(ctx, netlab.BulkOptions{Bytes: 1 << 20, Capture: "/tmp/impaired.pcap"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Received, "bytes;", res.Retransmits, "retransmitted; c2s:", res.Stats.C2S)
}

// Sockets made inside Do belong to that host's namespace.
func ExampleNetwork_Do() {
	ctx := context.Background()
	n, err := netlab.New(ctx, netlab.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	var ln net.Listener
	err = n.Do(netlab.Server, func() error {
		var err error
		ln, err = net.Listen("tcp", netlab.ServerAddr.String()+":2000")
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	// Programs run there too: the lab's server, tcpdump, ss...
	out, err := n.Command(ctx, netlab.Server, "ss", "-ltn").Output()
	fmt.Println(string(out), err)
}
