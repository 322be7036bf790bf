// Package cli implements tcplab's subcommands. Each subcommand lives in a
// file of its own with its own flag.FlagSet; Run dispatches to them. Nothing
// here calls os.Exit: errors are returned and main turns them into exit
// codes with ExitCode, so every command can be tested with buffers.
package cli
