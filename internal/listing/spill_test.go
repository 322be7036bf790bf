package listing

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSpillOrders stores records of random lengths in a random stream
// order, enough for several runs in the temporary file, into spills
// sorted either way, and checks both output orders against a sort of the
// records.
func TestSpillOrders(t *testing.T) {
	type rec struct {
		idx uint32
		tap uint64
		b   []byte
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100000
	recs := make([]rec, n)
	for i := range recs {
		b := fmt.Appendf(nil, "stream %d ", i)
		b = append(b, bytes.Repeat([]byte{'x'}, rng.IntN(400))...)
		tap := uint64(rng.IntN(20))
		if i == 7 {
			tap = 1 << 40 // beyond 32 bits: counts as the most
		}
		recs[i] = rec{uint32(i), tap, append(b, '\n')}
	}
	put := slices.Clone(recs)
	rng.Shuffle(len(put), func(i, j int) { put[i], put[j] = put[j], put[i] })
	byIndex := bytes.Join(func() [][]byte {
		var out [][]byte
		for _, r := range recs {
			out = append(out, r.b)
		}
		return out
	}(), nil)
	tapOrder := slices.Clone(recs)
	slices.SortStableFunc(tapOrder, func(a, b rec) int { return cmp.Compare(b.tap, a.tap) })
	var byTap []byte
	for _, r := range tapOrder {
		byTap = append(byTap, r.b...)
	}
	for _, sorted := range []bool{false, true} {
		t.Run(fmt.Sprintf("byTap=%v", sorted), func(t *testing.T) {
			s := spill{byTap: sorted}
			defer s.close()
			for _, r := range put {
				if err := s.put(r.idx, r.tap, r.b); err != nil {
					t.Fatal(err)
				}
			}
			if len(s.runs) < 2 {
				t.Fatalf("%d runs in the temporary file, want at least 2", len(s.runs))
			}
			for _, order := range []bool{sorted, !sorted, sorted} {
				var out bytes.Buffer
				if err := s.writeTo(&out, order); err != nil {
					t.Fatal(err)
				}
				want := byIndex
				if order {
					want = byTap
				}
				if !bytes.Equal(out.Bytes(), want) {
					t.Errorf("writeTo(byTap=%v): output differs from the records sorted (%d bytes, want %d)", order, out.Len(), len(want))
				}
			}
		})
	}
}

// TestSpillEmpty writes nothing for a spill without records.
func TestSpillEmpty(t *testing.T) {
	var s spill
	var out bytes.Buffer
	if err := s.writeTo(&out, true); err != nil || out.Len() != 0 {
		t.Errorf("writeTo = %q, %v; want nothing", out.String(), err)
	}
}

// TestRadixSort compares radixSort with a comparison sort on keys that
// differ in few bytes, in all bytes, and not at all.
func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 255, 256, 1000, 70000} {
		for name, key := range map[string]func(i int) uint64{
			"conversation table": func(i int) uint64 { return uint64(^uint32(rng.IntN(20)))<<32 | uint64(rng.IntN(1<<22)) },
			"random":             func(int) uint64 { return rng.Uint64() },
			"equal":              func(int) uint64 { return 42 },
		} {
			refs := make([]spillRef, n)
			for i := range refs {
				refs[i] = spillRef{key: key(i), off: uint32(i)}
			}
			want := slices.Clone(refs)
			slices.SortStableFunc(want, func(a, b spillRef) int { return cmp.Compare(a.key, b.key) })
			radixSort(refs, make([]spillRef, n))
			if !slices.Equal(refs, want) {
				t.Errorf("%d %s keys: radixSort differs from a stable comparison sort", n, name)
			}
		}
	}
}
