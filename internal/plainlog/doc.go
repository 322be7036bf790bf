// Package plainlog is a log/slog handler that writes each record as one
// plain line for a terminal: the time, the level, the message and the
// attributes as key=value, quoted only where needed.
package plainlog
