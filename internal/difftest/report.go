package difftest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Slug turns a difference kind into a file name part.
func Slug(kind string) string {
	var b strings.Builder
	for _, r := range kind {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '+':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.ReplaceAll(b.String(), "+", "_")
}

// SaveRegression writes a shrunk capture as dir/name.pcap and a one-line
// dir/name.txt naming the difference it shows.
func SaveRegression(dir, name string, c *Capture, diffs []Diff, d Diff, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(dir, name+".pcap"), c, c.Frames); err != nil {
		return err
	}
	line := fmt.Sprintf("%s (kind %q, shrunk from seed %d frame %d)\n", firstOfKind(diffs, d), d.Kind(), seed, d.Frame)
	return os.WriteFile(filepath.Join(dir, name+".txt"), []byte(line), 0o644)
}

// SaveReport writes a shrunk capture under dir/KIND/ with a text file
// holding every difference and the frames as tshark lists them.
func SaveReport(dir, name string, c *Capture, diffs []Diff, d Diff, seed uint64) (string, error) {
	sub := filepath.Join(dir, Slug(d.Kind()))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(sub, name+".pcap")
	if err := WriteFile(file, c, c.Frames); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kind: %s\nshrunk from generator seed %d, frame %d; %d frames left\n\n", d.Kind(), seed, d.Frame, len(c.Frames))
	fmt.Fprintf(&b, "differences (tshark 4.0 vs tcplab):\n")
	for _, x := range diffs {
		fmt.Fprintf(&b, "  %v\n", x)
	}
	fmt.Fprintf(&b, "\ntshark -r %s -o tcp.check_checksum:TRUE (protocols above TCP disabled):\n%s", filepath.Base(file), tsharkList(file))
	return file, os.WriteFile(filepath.Join(sub, name+".txt"), []byte(b.String()), 0o644)
}

// firstOfKind returns the first difference of d's kind in diffs, or d.
func firstOfKind(diffs []Diff, d Diff) Diff {
	for _, x := range diffs {
		if x.Kind() == d.Kind() {
			return x
		}
	}
	return d
}

// tsharkList is tshark's packet list of file with checksum validation.
func tsharkList(file string) string {
	dis, err := tsharkDisable()
	if err != nil {
		return err.Error()
	}
	args := append([]string{"-r", file, "-o", "tcp.check_checksum:TRUE"}, dis...)
	out, err := exec.Command("tshark", args...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s(%v)\n", out, err)
	}
	return strings.ReplaceAll(string(out), "Running as user \"root\" and group \"root\". This could be dangerous.\n", "")
}

// WriteIndex writes dir/INDEX.txt: each kind of difference under dir
// with its first difference and its captures.
func WriteIndex(dir string) error {
	txts, err := filepath.Glob(filepath.Join(dir, "*", "*.txt"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { // a soak without differences made none
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Kinds of difference between tshark 4.0.17 and tcplab, each shrunk (see the .txt next to each .pcap)\n\n")
	if len(txts) == 0 {
		b.WriteString("None.\n")
	}
	for _, txt := range txts {
		data, err := os.ReadFile(txt)
		if err != nil {
			return err
		}
		kind, _, _ := strings.Cut(strings.TrimPrefix(string(data), "kind: "), "\n")
		fmt.Fprintf(&b, "%s\n  %s\n  %s\n\n", kind, example(string(data), kind), strings.TrimSuffix(txt, ".txt")+".pcap")
	}
	return os.WriteFile(filepath.Join(dir, "INDEX.txt"), []byte(b.String()), 0o644)
}

// example returns the first difference line of a report that shows
// kind's field.
func example(report, kind string) string {
	field, _, _ := strings.Cut(kind, " ")
	for line := range strings.SplitSeq(report, "\n") {
		if strings.HasPrefix(line, "  ") && strings.Contains(line, ": "+field+": ") {
			return strings.TrimSpace(line)
		}
	}
	return "?"
}

// MoveFixed compares every capture under dir/KIND/ again and moves those
// that no longer show their kind of difference to dir/fixed/KIND/. It
// returns the captures moved.
func MoveFixed(dir string, skip map[string]bool) ([]string, error) {
	pcaps, err := filepath.Glob(filepath.Join(dir, "*", "*.pcap"))
	if err != nil {
		return nil, err
	}
	var moved []string
	for _, p := range pcaps {
		txt := strings.TrimSuffix(p, ".pcap") + ".txt"
		data, err := os.ReadFile(txt)
		if err != nil {
			continue
		}
		kind, _, _ := strings.Cut(strings.TrimPrefix(string(data), "kind: "), "\n")
		diffs, _, err := compareFile(p, skip)
		if err != nil {
			return moved, err
		}
		if slices.ContainsFunc(diffs, func(d Diff) bool { return d.Kind() == kind }) {
			continue
		}
		to := filepath.Join(dir, "fixed", filepath.Base(filepath.Dir(p)))
		if err := os.MkdirAll(to, 0o755); err != nil {
			return moved, err
		}
		for _, f := range []string{p, txt} {
			if err := os.Rename(f, filepath.Join(to, filepath.Base(f))); err != nil {
				return moved, err
			}
		}
		os.Remove(filepath.Dir(p)) // when empty
		moved = append(moved, p)
	}
	return moved, nil
}
