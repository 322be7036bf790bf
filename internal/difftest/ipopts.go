package difftest

import "math/rand/v2"

// IPv4 options, per conversation: most segments have none; some
// conversations carry a router alert, a record route or a timestamp
// option in every packet (RFC 791, 2113).

// pickIPOptions returns the IPv4 options of a conversation's packets,
// padded to 4 bytes, or nil.
func pickIPOptions(r *rand.Rand) []byte {
	if r.IntN(8) != 0 {
		return nil
	}
	switch r.IntN(4) {
	case 0: // router alert
		return []byte{0x94, 4, 0, 0}
	case 1: // record route: room for two addresses, one recorded
		return []byte{7, 11, 8, 192, 0, 2, 1, 0, 0, 0, 0, 0}
	case 2: // timestamps only, room for two, one taken
		return []byte{0x44, 12, 9, 0, 0, 0x12, 0x34, 0x56, 0, 0, 0, 0}
	}
	return []byte{1, 1, 1, 0} // NOPs and end of list
}

// copiedOptions returns the options of opts that every fragment carries
// (the copied flag, RFC 791), padded to 4 bytes.
func copiedOptions(opts []byte) []byte {
	var out []byte
	for len(opts) > 0 {
		switch {
		case opts[0] == 0:
			opts = nil
			continue
		case opts[0] == 1:
			opts = opts[1:]
			continue
		case len(opts) < 2 || int(opts[1]) < 2 || int(opts[1]) > len(opts):
			opts = nil
			continue
		}
		if opts[0]&0x80 != 0 {
			out = append(out, opts[:opts[1]]...)
		}
		opts = opts[opts[1]:]
	}
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	return out
}
