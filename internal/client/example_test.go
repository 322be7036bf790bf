package client_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"

	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/server"
)

// Example runs the lab's server and one client exchange in one process,
// as "tcplab demo" does, and prints the client's lines.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	// A fixed random source makes the server's number repeat.
	srv, err := server.New(server.Config{Rand: rand.NewPCG(1, 1)})
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(context.Background(), ln)
	defer srv.Close()

	r, err := client.Exchange(context.Background(), client.Config{}, ln.Addr().String(), "42")
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(r.AppendLines(nil))
	fmt.Printf("request %q, reply %q\n", r.Request, r.Reply)
	// Output:
	// Client Name: Client of Louis
	// Server Name: Server of Nuk
	// Client Number: 42
	// Server Number: 100
	// Sum: 142
	// request "Client of Louis,42", reply "Server of Nuk,100"
}
