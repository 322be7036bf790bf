package check

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labproto"
)

// fakeEnv makes the test binary a lab server with a deliberate fault:
// TestMain runs fakeServer instead of the tests when it is set.
const fakeEnv = "TCPLAB_CHECK_FAKE_SERVER"

func TestMain(m *testing.M) {
	if fault := os.Getenv(fakeEnv); fault != "" {
		os.Exit(fakeServer(fault, os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// fakeServer serves the lab's exchange on 127.0.0.1:port, one connection
// at a time, with fault: "good" (none), "wrong-sum" (prints a sum one
// too big), "no-close" (keeps the connection open after replying),
// "newline" (ends the reply with a newline), "answers-oor" (replies to
// numbers outside 1..100). It stops after 2 minutes at most.
func fakeServer(fault, port string) int {
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	time.AfterFunc(2*time.Minute, func() { os.Exit(3) })
	fmt.Printf("listening on %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return 1
		}
		go fakeExchange(c, fault)
	}
}

func fakeExchange(c net.Conn, fault string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1024)
	n, _ := c.Read(buf)
	m, err := labproto.ParseRequest(buf[:n])
	if err != nil || (!m.InRange() && fault != "answers-oor") {
		return
	}
	number := 57
	sum := m.Value + int64(number)
	if fault == "wrong-sum" {
		sum++
	}
	fmt.Printf("Client_name: %s\nServer_name: Server of Nuk\nClient_number: %s\nServer_number: %d\nSum: %d\n", m.Name, m.Number, number, sum)
	reply := labproto.AppendReply(nil, labproto.DefaultServerName, number)
	if fault == "newline" {
		reply = append(reply, '\n')
	}
	c.Write(reply)
	if fault == "no-close" {
		time.Sleep(3 * time.Second)
	}
}

// fakeCommand is the command line that runs the fake server with fault.
func fakeCommand(t *testing.T, fault string) []string {
	t.Helper()
	t.Setenv(fakeEnv, fault)
	return []string{os.Args[0], "-test.run=^$", "{port}"}
}
