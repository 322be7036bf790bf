package difftest

import (
	"fmt"
	"os"
	"path/filepath"
)

// maxChecks bounds the tshark runs of one shrink.
const maxChecks = 400

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

// Shrink reduces the capture to the few frames of d's conversation that
// still show a difference of d's kind, working in dir. It returns them as
// a capture in pcap format.
func Shrink(dir string, c *Capture, d Diff, skip map[string]bool) (*Capture, []Diff, error) {
	small := &Capture{Kind: PcapMicro, Link: c.Link, Snap: c.Snap}
	if c.Kind == PcapNano || c.Kind == Pcapng && c.Nano {
		small.Kind = PcapNano
	}
	frames := conversationFrames(c, d)
	file := filepath.Join(dir, "shrink.pcap")
	checks := 0
	var last []Diff
	fails := func(fs []Frame) (bool, error) {
		checks++
		if err := WriteFile(file, small, fs); err != nil {
			return false, err
		}
		diffs, _, err := compareFile(file, shrinkSkip(skip, d))
		if err != nil {
			return false, err
		}
		for _, x := range diffs {
			if x.Kind() == d.Kind() {
				last = diffs
				return true, nil
			}
		}
		return false, nil
	}
	ok, err := fails(frames)
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("difftest: the %s difference does not show in its conversation alone (%v)", d.Kind(), err)
	}
	frames, err = shortestSuffix(frames, fails)
	if err != nil {
		return nil, nil, err
	}
	frames, err = ddmin(frames, fails, &checks)
	if err != nil {
		return nil, nil, err
	}
	small.Frames = frames
	os.Remove(file)
	return small, last, nil
}

// shrinkSkip is skip, plus the checksum status (a second tshark run)
// unless that is the field being shrunk.
func shrinkSkip(skip map[string]bool, d Diff) map[string]bool {
	s := map[string]bool{}
	for k := range skip {
		s[k] = true
	}
	if d.Field != "checksum_status" {
		s["checksum_status"] = true
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
func shortestSuffix(frames []Frame, fails func([]Frame) (bool, error)) ([]Frame, error) {
	for k := 2; k < len(frames); k *= 2 {
		ok, err := fails(frames[len(frames)-k:])
		if err != nil || ok {
			return frames[len(frames)-k:], err
		}
	}
	return frames, nil
}

// ddmin removes chunks of frames, then single frames, while fails still
// holds.
func ddmin(frames []Frame, fails func([]Frame) (bool, error), checks *int) ([]Frame, error) {
	n := 2
	for len(frames) >= 2 && *checks < maxChecks {
		chunk := (len(frames) + n - 1) / n
		removed := false
		for start := 0; start < len(frames) && *checks < maxChecks; start += chunk {
			cand := append(append([]Frame(nil), frames[:start]...), frames[min(start+chunk, len(frames)):]...)
			ok, err := fails(cand)
			if err != nil {
				return nil, err
			}
			if ok {
				frames, removed = cand, true
				n = max(n-1, 2)
				break
			}
		}
		if !removed {
			if chunk == 1 {
				break
			}
			n = min(2*n, len(frames))
		}
	}
	return frames, nil
}
