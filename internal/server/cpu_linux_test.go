package server

import (
	"bytes"
	"context"
	"net"
	"syscall"
	"testing"
	"time"
)

// rawExchange does one exchange with blocking system calls only (socket,
// connect, write, read until the server closes, close), so that the
// client's share of the process's CPU stays the same whatever the server
// does: no Go netpoller, no per-connection runtime work.
func rawExchange(sa *syscall.SockaddrInet4, req, buf []byte) ([]byte, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	if err := syscall.Connect(fd, sa); err != nil {
		return nil, err
	}
	if _, err := syscall.Write(fd, req); err != nil {
		return nil, err
	}
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}

// cpuTime is the CPU time (user and system, all threads) this process has
// used so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExchangeCPU measures the CPU one exchange costs the process,
// server and client together, at a few concurrencies. The client is
// rawExchange, whose cost does not change with the server's code, so a
// change in cpu-µs/exchange between two versions of the server is the
// change in the server's own cost. This is the steady figure on a busy
// machine: ns/op (wall time) moves with whatever else runs. Compare
// versions with -count 10 and benchstat.
func BenchmarkExchangeCPU(b *testing.B) {
	for _, bc := range []struct {
		name        string
		parallelism int // client goroutines per GOMAXPROCS
	}{
		{"conc=1", 0},
		{"conc=16xP", 16},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(context.Background(), "tcp4", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			s, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			go s.Serve(context.Background(), ln)
			defer s.Close()
			sa := &syscall.SockaddrInet4{Port: ln.Addr().(*net.TCPAddr).Port, Addr: [4]byte{127, 0, 0, 1}}
			req := []byte("Client of Louis,42")
			prefix := []byte("Server of Nuk,")
			b.ReportAllocs()
			var cpu0 time.Duration
			if bc.parallelism == 0 {
				buf := make([]byte, 64)
				cpu0 = cpuTime(b)
				for b.Loop() {
					reply, err := rawExchange(sa, req, buf)
					if err != nil || !bytes.HasPrefix(reply, prefix) {
						b.Fatalf("exchange: reply %q, %v", reply, err)
					}
				}
			} else {
				b.SetParallelism(bc.parallelism)
				cpu0 = cpuTime(b)
				b.RunParallel(func(pb *testing.PB) {
					buf := make([]byte, 64)
					for pb.Next() {
						reply, err := rawExchange(sa, req, buf)
						if err != nil || !bytes.HasPrefix(reply, prefix) {
							b.Errorf("exchange: reply %q, %v", reply, err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/exchange")
		})
	}
}
