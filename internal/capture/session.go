package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/tcplab/tcplab/internal/pcapio"
)

// Writer writes captured packets to a pcapng file: a section header, one
// interface block for the capture, an Enhanced Packet Block per packet
// with a nanosecond timestamp, and at the end an Interface Statistics
// Block with the kernel's counters.
type Writer struct {
	pw *pcapio.PcapngWriter
}

// NewWriter writes the pcapng section header and interface block for the
// capture described by info to w.
func NewWriter(w io.Writer, info Info) (*Writer, error) {
	desc := ""
	if info.Filter != "" {
		desc = "capture filter: " + info.Filter
	}
	pw, err := pcapio.NewPcapngWriter(w, pcapio.PcapngOptions{
		Application: "tcplab",
		OS:          info.OS,
		Interfaces: []pcapio.Interface{{
			Name:        info.Interface,
			Description: desc,
			Link:        info.Link,
			SnapLen:     info.SnapLen,
			TSResol:     9, // nanoseconds, as the kernel gives them
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("capture: pcapng header: %w", err)
	}
	return &Writer{pw: pw}, nil
}

// WritePacket writes p. It flushes the file when no other packet is
// waiting (p.Pending is false), so the file is complete whenever the
// capture is idle.
func (w *Writer) WritePacket(p *Packet) error {
	if err := w.pw.WritePacket(0, p.Timestamp, p.Data, p.Length); err != nil {
		return fmt.Errorf("capture: write packet %d: %w", p.Number, err)
	}
	if !p.Pending {
		return w.Flush()
	}
	return nil
}

// Flush writes buffered packets to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.pw.Flush(); err != nil {
		return fmt.Errorf("capture: flush: %w", err)
	}
	return nil
}

// Finish writes the Interface Statistics Block for st (isb_ifrecv is the
// kernel's received count, isb_ifdrop its drops, isb_usrdeliv the packets
// written) and flushes.
func (w *Writer) Finish(st Stats) error {
	err := w.pw.WriteStats(pcapio.Stats{
		Interface:      0,
		Timestamp:      st.End,
		Start:          st.Start,
		End:            st.End,
		Received:       int64(st.Received),
		Dropped:        int64(st.Dropped),
		FilterAccepted: -1,
		OSDropped:      -1,
		Delivered:      int64(st.Captured),
	})
	if err != nil {
		return fmt.Errorf("capture: statistics block: %w", err)
	}
	return w.Flush()
}

// Session is a capture running in the background, optionally writing a
// pcapng file. Start it, do the work whose packets you want, then Stop it
// (or Wait for Config.Count or Config.Duration).
type Session struct {
	capture *Capture
	cancel  context.CancelFunc
	done    chan struct{}
	stats   Stats
	err     error
	once    sync.Once
}

// Start opens the capture described by cfg (see Open) and runs it in the
// background until ctx is done, cfg.Count or cfg.Duration is reached, or
// Stop is called. Each packet is written to w as pcapng when w is not nil,
// then passed to fn when fn is not nil (fn runs on the capture's goroutine;
// an error from it ends the capture). Packets are captured from the moment
// Start returns. The caller closes w after Wait or Stop.
func Start(ctx context.Context, cfg Config, w io.Writer, fn func(*Packet) error) (*Session, error) {
	return start(ctx, cfg, func() (io.Writer, func() error, error) { return w, nil, nil }, fn)
}

// StartFile is Start writing to a new pcapng file at path. The file is
// created only once the capture is open (so a capture that may not run
// leaves no empty file) and is closed when the session ends, before Wait
// and Stop return.
func StartFile(ctx context.Context, cfg Config, path string, fn func(*Packet) error) (*Session, error) {
	return start(ctx, cfg, func() (io.Writer, func() error, error) {
		f, err := os.Create(path)
		if err != nil {
			return nil, nil, fmt.Errorf("capture: %w", err)
		}
		return f, func() error {
			if err := f.Close(); err != nil {
				return fmt.Errorf("capture: %w", err)
			}
			return nil
		}, nil
	}, fn)
}

// start opens the capture, then the output (w may be nil; closeOut, if
// not nil, runs when the session ends), then runs the capture.
func start(ctx context.Context, cfg Config, out func() (w io.Writer, closeOut func() error, err error), fn func(*Packet) error) (*Session, error) {
	c, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	w, closeOut, err := out()
	if err != nil {
		c.Close()
		return nil, err
	}
	var fw *Writer
	if w != nil {
		if fw, err = NewWriter(w, c.Info()); err != nil {
			c.Close()
			if closeOut != nil {
				closeOut()
			}
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Session{capture: c, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer cancel()
		st, err := c.Run(ctx, func(p *Packet) error {
			if fw != nil {
				if err := fw.WritePacket(p); err != nil {
					return err
				}
			}
			if fn != nil {
				return fn(p)
			}
			return nil
		})
		if fw != nil {
			// Whatever stopped the capture, what was captured is written.
			err = errors.Join(err, fw.Finish(st))
		}
		if closeOut != nil {
			err = errors.Join(err, closeOut())
		}
		s.stats, s.err = st, errors.Join(err, c.Close())
	}()
	return s, nil
}

// Info describes the capture.
func (s *Session) Info() Info { return s.capture.Info() }

// Done is closed when the capture has ended and its file is complete.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait waits for the capture to end (its context, Count or Duration),
// with every captured packet written and the file flushed, and returns
// its statistics and any error. It may be called many times.
func (s *Session) Wait() (Stats, error) {
	<-s.done
	return s.stats, s.err
}

// Stop ends the capture after delivering the packets the kernel has
// already captured, then returns as Wait does. It may be called many
// times, and after the capture ended by itself.
func (s *Session) Stop() (Stats, error) {
	s.once.Do(s.cancel)
	return s.Wait()
}
