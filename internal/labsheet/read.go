package labsheet

import (
	"errors"
	"fmt"
	"io"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// ErrNoConversation is returned when the capture holds no TCP
// conversation, or not the one asked for.
var ErrNoConversation = errors.New("no such TCP conversation")

// maxPackets caps the packets of the conversation read (its sheet's
// answers come from the first ones; the counts of a longer one come from
// those it keeps).
const maxPackets = 2_000_000

// Read reads a capture (r, which Read rewinds once) and returns the sheet
// of conversation stream, or of the one that carried the most payload
// bytes when stream is negative, with the capture's count of frames read
// and not analysed. It reads the file twice: once to choose the
// conversation, once to keep its packets only.
func Read(r io.ReadSeeker, stream int) (*Sheet, *packets.Summary, error) {
	first, err := explain.Read(r, explain.ReadOptions{Match: func(*decode.Packet, *tcpanalysis.Result) bool { return false }})
	if first == nil {
		return nil, nil, fmt.Errorf("labsheet: %w", err)
	}
	if err != nil {
		return nil, &first.Summary, fmt.Errorf("labsheet: %w", err)
	}
	want := -1
	var most uint64
	for _, st := range first.Streams {
		if b := st.BytesC2S + st.BytesS2C; stream < 0 && (want < 0 || b > most) || stream >= 0 && int(st.Index) == stream {
			want, most = int(st.Index), b
		}
	}
	if want < 0 {
		if stream >= 0 {
			return nil, &first.Summary, fmt.Errorf("labsheet: stream %d: %w (the capture has %d)", stream, ErrNoConversation, len(first.Streams))
		}
		return nil, &first.Summary, fmt.Errorf("labsheet: %w in the capture", ErrNoConversation)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, &first.Summary, fmt.Errorf("labsheet: rewinding the capture: %w", err)
	}
	c, err := explain.Read(r, explain.ReadOptions{MaxPackets: maxPackets,
		Match: func(_ *decode.Packet, res *tcpanalysis.Result) bool { return int(res.Stream) == want }})
	if c == nil || len(c.Conversations) == 0 {
		return nil, &first.Summary, fmt.Errorf("labsheet: stream %d: %w", want, errors.Join(ErrNoConversation, err))
	}
	conv := &c.Conversations[0]
	s := Build(conv)
	return s, &c.Summary, err
}
