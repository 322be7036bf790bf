// Package privtest lets tests run code without a capability, to check
// what tcplab tells a user who lacks it (CAP_NET_RAW for capturing,
// CAP_NET_ADMIN for the impaired network).
//
// Capabilities are per thread on Linux, so WithoutCap drops one on a
// locked OS thread that is thrown away afterwards, for code that runs on
// the calling goroutine. Code that starts goroutines of its own (a whole
// tcplab subcommand) needs a process without the capability: Rerun runs
// one test again in a child copy of the test binary under setpriv(1),
// with the capability removed from its bounding set, so that even root
// does not get it back at exec.
//
// Both need root to begin with (there is nothing to drop otherwise):
// Rerun skips the test without it, naming the remedy.
package privtest
