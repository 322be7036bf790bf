package userstack

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// captureFile is the capture at one host: the frames the host sent and
// those it received, written as they cross the host's end of the link.
// Both directions' goroutines write to it, so it takes the timestamp
// under its lock: the file's times never go backwards.
type captureFile struct {
	mu  sync.Mutex
	f   *os.File
	w   *pcapio.PcapngWriter
	n   uint64
	err error // the first write error; later frames are not written
}

// createCapture creates file with one Ethernet interface named ifname.
func createCapture(file, ifname string) (*captureFile, error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("userstack: capture: %w", err)
	}
	w, err := pcapio.NewPcapngWriter(f, pcapio.PcapngOptions{
		Application: "tcplab (user-space TCP/IP stack: gVisor netstack)",
		Interfaces: []pcapio.Interface{{Name: ifname, Description: "tcplab user-space link",
			Link: decode.LinkEthernet, Resolution: 9}},
	})
	if err != nil {
		f.Close()
		os.Remove(file)
		return nil, fmt.Errorf("userstack: capture %s: %w", file, err)
	}
	return &captureFile{f: f, w: w}, nil
}

// write records frame now and returns the time it was given.
func (c *captureFile) write(frame []byte) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.err == nil {
		if err := c.w.WritePacket(0, now.UnixNano(), frame, len(frame)); err != nil {
			c.err = err
		} else {
			c.n++
		}
	}
	return now
}

// count returns the frames written.
func (c *captureFile) count() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// close flushes and closes the file; the error is the first one met.
func (c *captureFile) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.err
	if ferr := c.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("userstack: capture %s: %w", c.f.Name(), err)
	}
	return nil
}
