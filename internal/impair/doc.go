// Package impair is the model of an impaired network link, with no I/O:
// it decides, for each frame handed to it, whether the frame is lost,
// duplicated, queued behind a rate limit, marked with ECN CE, delayed or
// reordered, and when each surviving copy leaves the link.
//
// A Link models one direction. Frames go in with Push and come out with Pop
// when their release time has come; Next says when that is, so the caller
// sleeps on its own timer. The model never reads the clock: every method
// takes the current time, so tests drive it with made-up times and need no
// sleeping. All randomness comes from a seeded generator, so a Link given
// the same seed and the same frames at the same times makes the same
// decisions.
//
// # Spec syntax
//
// Users describe the impairment with a comma-separated list of terms,
// parsed by Parse:
//
//	loss=5%,delay=20ms,jitter=5ms,reorder=2%,dup=1%,rate=10mbit,queue=100,ecn=1%
//
// A term applies to both directions unless it starts with "c2s:" (client
// to server only) or "s2c:" (server to client only). Terms are applied left
// to right, so a later term overrides an earlier one:
//
//	delay=20ms,s2c:delay=50ms,c2s:loss=10%
//
// The terms are:
//
//	loss=P          drop each frame with probability P (a percentage, 0% to 100%)
//	ge=P/R[/B[/G]]  Gilbert–Elliott burst loss instead: each frame, a link in the
//	                good state turns bad with probability P and a bad link turns
//	                good with probability R; a frame is lost with probability B in
//	                the bad state (default 100%) and G in the good one (default 0%).
//	                Mean loss is (P·B + R·G)/(P+R); a bad spell lasts 1/R frames on
//	                average. loss and ge replace each other: the last one wins.
//	delay=D         hold each frame for D (a Go duration: 20ms, 1.5s; at most 10s)
//	jitter=J        add a uniformly random -J to +J to each delay, never below zero;
//	                jitter alone does not reorder (frames keep their order)
//	reorder=P[/GAP] hold a frame back for an extra GAP (default 10ms) with
//	                probability P, letting the frames behind it overtake it
//	dup=P           send a second copy of a frame with probability P
//	rate=R          serialize frames at R bits per second: bit, kbit, mbit, gbit
//	                (powers of 1000; decimals allowed, 1.5mbit)
//	queue=N         frames that may wait for the rate limiter (default 100); a
//	                frame arriving at a full queue is dropped (tail drop)
//	limit=N         frames the link holds in all (delay line and queue, default
//	                10000); beyond it frames are dropped
//	ecn=P           set CE on an ECN-capable IP packet (ECT(0) or ECT(1)) with
//	                probability P; other frames are never marked. The IPv4 header
//	                checksum is fixed.
//	seed=N          seed for the random choices (both directions; 0: caller picks)
//
// The stages apply in this order: loss, duplication (the copy skips the
// loss stage), the rate limiter's queue, ECN marking, delay with jitter,
// reordering. Frame lengths for the rate are those of the link-layer frame
// as given (no preamble or FCS).
package impair
