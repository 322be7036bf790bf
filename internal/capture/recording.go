package capture

import "context"

// Recording is a Session writing a pcapng file that follows the teardown
// of the TCP connections it records (Teardowns), so that it can be stopped
// after the last packet of each: wait with Teardowns.Wait, then Stop.
type Recording struct {
	*Session
	Teardowns *Teardowns
}

// Record starts capturing as cfg says into a new pcapng file at path
// (StartFile), following the connections it captures.
func Record(ctx context.Context, cfg Config, path string) (*Recording, error) {
	t := NewTeardowns()
	s, err := StartFile(ctx, cfg, path, t.Packet)
	if err != nil {
		return nil, err
	}
	return &Recording{Session: s, Teardowns: t}, nil
}
