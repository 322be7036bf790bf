// Package bench is tcplab's load generator for the lab's exchange: each
// exchange connects to a server, sends "<name>,<number>", reads the reply
// until the server closes, validates it and closes.
//
// A run is either closed loop (Concurrency workers, each starting its next
// exchange as soon as the previous one ends) or open loop (exchanges started
// on a fixed schedule of Rate per second, at most Concurrency in flight, as
// vegeta does). The schedule is the pure function Pacer.Pace, so it is
// tested without a clock. In open loop a latency is measured from the time
// the exchange was due, not from when a worker got to it, so a saturated
// generator does not hide the server's queueing (coordinated omission).
//
// Every run stops by itself: after Duration, or after Count exchanges if
// that comes first. Latencies go into a fixed-size histogram of logarithmic
// buckets (HDR-like, under 0.4% relative error) and failures are counted by
// kind: connect refused or timed out, reset, timeout, short reply, wrong
// reply.
package bench
