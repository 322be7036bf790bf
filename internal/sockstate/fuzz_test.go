package sockstate

import "testing"

// FuzzParse checks that no table makes parse panic, and that what it
// accepts has as many sockets as lines after the heading.
func FuzzParse(f *testing.F) {
	// A listener and an established connection, as Linux prints them.
	f.Add([]byte("heading\n   0: 0100007F:07D0 00000000:0000 0A 00000000:00000002 00:00000000 00000000 0 0 1\n   1: 0100007F:07D0 0100007F:C350 01 00000000:0000000F\n"))
	// An IPv6 line.
	f.Add([]byte("h\n0: 00000000000000000000000001000000:07D0 0000000000000000FFFF00000100007F:A410 06 00000003:00000000\n"))
	// A heading alone, and a line too short.
	f.Add([]byte("h\n"))
	f.Add([]byte("h\n0: 0100007F:07D0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := parse(b, "fuzz")
		if err == nil && len(ss) > len(b) {
			t.Fatalf("%d sockets from %d bytes", len(ss), len(b))
		}
	})
}
