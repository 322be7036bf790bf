package difftest

import (
	"fmt"
	"os"
	"path/filepath"
)

// maxRuns bounds the tshark runs of one shrink.
const maxRuns = 60

// Primary returns the differences worth shrinking: for each frame the
// first differing field (Info only when nothing else differs, since a
// flag that differs changes Info too), and the stream differences.
func Primary(diffs []Diff) []Diff {
	var out []Diff
	for i, d := range diffs {
		if i > 0 && d.Frame != 0 && diffs[i-1].Frame == d.Frame {
			continue
		}
		out = append(out, d)
	}
	return out
}

// shrinker tries candidate frame lists for a difference of one kind.
type shrinker struct {
	file  string
	small *Capture
	kind  string
	skip  map[string]bool
	runs  int
	// single: the difference does not tell which conversation it is in
	// (the conversation table), so candidates run one at a time.
	single bool
}

// Shrink reduces the capture to the few frames of d's conversation that
// still show a difference of d's kind, working in dir. It returns them as
// a capture in pcap format, with the differences it shows.
func Shrink(dir string, c *Capture, d Diff, skip map[string]bool) (*Capture, []Diff, error) {
	small := &Capture{Kind: PcapMicro, Link: c.Link, Snap: c.Snap}
	if c.Kind == PcapNano || c.Kind == Pcapng && c.Nano {
		small.Kind = PcapNano
	}
	sh := &shrinker{file: filepath.Join(dir, "shrink.pcap"), small: small, kind: d.Kind(), skip: shrinkSkip(skip, d), single: d.Stream < 0}
	defer os.Remove(sh.file)
	frames := conversationFrames(c, d)
	if i, err := sh.first([][]Frame{frames}); err != nil || i < 0 {
		return nil, nil, fmt.Errorf("difftest: the %s difference does not show in its conversation alone (%v)", d.Kind(), err)
	}
	frames, err := shortestSuffix(frames, sh.first)
	if err != nil {
		return nil, nil, err
	}
	frames, err = ddmin(frames, sh.first, &sh.runs)
	if err != nil {
		return nil, nil, err
	}
	small.Frames = frames
	if err := WriteFile(sh.file, small, frames); err != nil {
		return nil, nil, err
	}
	diffs, _, err := compareFile(sh.file, skip)
	return small, diffs, err
}

// shrinkSkip is skip, plus the checksum status (a second tshark run)
// unless that is the field being shrunk.
func shrinkSkip(skip map[string]bool, d Diff) map[string]bool {
	s := map[string]bool{}
	for k := range skip {
		s[k] = true
	}
	if d.Field != "checksum_status" && d.Field != "conv" {
		s["checksum_status"] = true // the run that also reads the conversation table
	}
	return s
}

// conversationFrames returns the frames of d's 4-tuple up to d's frame
// (neither side looks ahead), or all of them for a stream difference.
func conversationFrames(c *Capture, d Diff) []Frame {
	slot, end := -1, len(c.Frames)
	if d.Frame > 0 {
		slot, end = c.Frames[d.Frame-1].Slot, d.Frame
	}
	var fs []Frame
	for _, f := range c.Frames[:end] {
		if slot < 0 || f.Slot == slot {
			fs = append(fs, f)
		}
	}
	return fs
}

// shortestSuffix returns the shortest of the last 2, 4, 8... frames
// that still fail: a difference usually depends on the frames just
// before it.
func shortestSuffix(frames []Frame, first func([][]Frame) (int, error)) ([]Frame, error) {
	var cands [][]Frame
	for k := 2; k < len(frames); k *= 2 {
		cands = append(cands, frames[len(frames)-k:])
	}
	i, err := first(cands)
	if err != nil || i < 0 {
		return frames, err
	}
	return cands[i], nil
}

// ddmin removes chunks of frames, then single frames, while a difference
// still shows: each round tries every chunk's removal at once.
func ddmin(frames []Frame, first func([][]Frame) (int, error), runs *int) ([]Frame, error) {
	n := 2
	for len(frames) >= 2 && *runs < maxRuns {
		chunk := (len(frames) + n - 1) / n
		var cands [][]Frame
		for start := 0; start < len(frames); start += chunk {
			cands = append(cands, append(append([]Frame(nil), frames[:start]...), frames[min(start+chunk, len(frames)):]...))
		}
		i, err := first(cands)
		if err != nil {
			return nil, err
		}
		switch {
		case i >= 0:
			frames = cands[i]
			n = max(n-1, 2)
		case chunk == 1:
			return frames, nil
		default:
			n = min(2*n, len(frames))
		}
	}
	return frames, nil
}
