package difftest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// Tcplab returns tcplab's analysis of file: its ndjson records, run in
// process, and with conv its conversation table.
func Tcplab(file string, conv bool) (*Result, error) {
	out, err := runListing(file, listing.Options{Format: listing.NDJSON, Follow: -1})
	if err != nil {
		return nil, err
	}
	res, err := parseNDJSON(out)
	if err != nil || !conv {
		return res, err
	}
	text, err := runListing(file, listing.Options{Format: listing.Text, Follow: -1})
	if err != nil {
		return nil, err
	}
	table := string(text)
	if i := strings.Index(table, "\n"+convRule); i >= 0 {
		table = table[i+1:]
	} else if !strings.HasPrefix(table, convRule) {
		table = ""
	}
	if i := strings.LastIndex(table, "\n"+convRule); i >= 0 {
		table = table[:i+1+len(convRule)] // not the frames not analysed after it
	}
	res.Conv = strings.Split(strings.TrimRight(table, "\n"), "\n")
	return res, nil
}

// convRule starts the conversation table, in tshark's output and
// tcplab's.
const convRule = "================================================================================\n"

// runListing runs tcplab's listing over file.
func runListing(file string, opts listing.Options) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := pcapio.NewReader(f)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := listing.Run(context.Background(), rd, &buf, opts); err != nil {
		return nil, fmt.Errorf("tcplab on %s: %w", file, err)
	}
	return buf.Bytes(), nil
}

// parseNDJSON reads the packet, stream and summary records of tcplab's
// ndjson.
func parseNDJSON(out []byte) (*Result, error) {
	res := &Result{Packets: map[int]Record{}, Streams: map[int]Record{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var raw map[string]json.RawMessage
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&raw); err != nil {
			return nil, fmt.Errorf("ndjson line %q: %w", sc.Bytes(), err)
		}
		rec, err := normalize(raw)
		if err != nil {
			return nil, fmt.Errorf("ndjson line %q: %w", sc.Bytes(), err)
		}
		res.add(rec)
	}
	return res, sc.Err()
}

// add files a record of tcplab's by its type.
func (res *Result) add(rec Record) {
	keep := func(keys ...string) Record {
		r := Record{}
		for _, k := range keys {
			if v, ok := rec[k]; ok {
				r[k] = v
			}
		}
		return r
	}
	switch rec["type"] {
	case "packet":
		frame, _ := strconv.Atoi(rec["frame"])
		delete(rec, "type")
		delete(rec, "frame")
		res.Packets[frame] = rec
	case "stream":
		stream, _ := strconv.Atoi(rec["stream"])
		res.Streams[stream] = keep("irtt")
	case "summary":
		res.Summary = keep("frames", "packets", "streams", "skipped")
	}
}

// normalize turns a JSON record into a Record.
func normalize(raw map[string]json.RawMessage) (Record, error) {
	rec := Record{}
	for k, v := range raw {
		var x any
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		if err := d.Decode(&x); err != nil {
			return nil, err
		}
		switch x := x.(type) {
		case json.Number:
			rec[k] = x.String()
			if timeFields[k] {
				rec[k] = nanos(x.String())
			}
		case string:
			rec[k] = x
		case []any:
			var names []string
			for _, n := range x {
				names = append(names, fmt.Sprint(n))
			}
			rec[k] = joinFlags(names)
		case map[string]any: // summary.skipped: reason -> count; kept as the total
			total := 0
			for _, n := range x {
				c, _ := n.(json.Number).Int64()
				total += int(c)
			}
			rec[k] = strconv.Itoa(total)
		default:
			rec[k] = fmt.Sprint(x)
		}
	}
	if rec["checksum_status"] == "partial" {
		rec["checksum_status"] = "bad" // deliberate: tshark calls an offloaded checksum bad
	}
	return rec, nil
}
