package plainlog

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// New returns a logger that writes each record of level Info and above
// to w as one plain line: the time, the level, the message and the
// attributes as key=value, quoted only where needed:
//
//	14:03:46.123 WARN closed connection peer=127.0.0.1:40000 kind=no-comma reason="..."
func New(w io.Writer) *slog.Logger { return slog.New(&handler{w: w, mu: &sync.Mutex{}}) }

// handler is New's slog.Handler.
type handler struct {
	w      io.Writer
	mu     *sync.Mutex
	attrs  []byte // preformatted attributes from WithAttrs
	prefix string // group prefix from WithGroup
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	b := make([]byte, 0, 160)
	if !r.Time.IsZero() {
		b = r.Time.AppendFormat(b, "15:04:05.000")
		b = append(b, ' ')
	}
	b = append(b, r.Level.String()...)
	b = append(b, ' ')
	b = append(b, r.Message...)
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	b = append(b, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b)
	return err
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			b = appendAttr(b, prefix+a.Key+".", g)
		}
		return b
	}
	b = append(b, ' ')
	b = append(b, prefix...)
	b = append(b, a.Key...)
	b = append(b, '=')
	s := a.Value.String()
	if s == "" || strings.ContainsAny(s, " \t\r\n\"=\\") || !strconv.CanBackquote(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}
