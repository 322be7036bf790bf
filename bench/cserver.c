/*
 * cserver: a minimal epoll server of the lab's exchange, the practical
 * ceiling that bench/exchange.sh measures tcplab's server against.
 *
 * Protocol (the lab's): the client sends "<name>,<number>" without a
 * terminator; for a number in 1..100 the server replies
 * "Server of Nuk,<random 1..100>" and closes, otherwise it closes without a
 * reply. The number is what follows the last comma, with surrounding white
 * space and a sign allowed (as Python's int()).
 *
 * It does the least a correct server can do, so that its cost per exchange
 * is the kernel's: one level-triggered epoll loop per thread, non-blocking
 * accept4 until EAGAIN, ONE read of the request (the bench sends it in one
 * write; a fragmented request is taken as it stands), one write of the
 * reply, close. No deadlines, no connection cap, no logging, no UTF-8
 * check: the features tcplab's server must have cost it something on top.
 *
 * Threads: one per CPU the process may run on (sched_getaffinity), so it
 * uses exactly the cores that a Go server started the same way gets as
 * GOMAXPROCS; the optional second argument overrides the count (0: the
 * default).
 *
 * Listeners (third argument): "reuseport", the default, gives each thread
 * its own listening socket with SO_REUSEPORT, so the kernel spreads
 * connections over the threads by a hash of the 4-tuple with no shared
 * accept queue and no thundering herd; the usual way to scale an epoll
 * server over cores. "shared" has the threads wait on one listener with
 * EPOLLEXCLUSIVE, taking at most 4 connections per wake-up, so an idle
 * thread picks up what a busy (or preempted) one would have delayed, as Go's
 * single listener does. On this 2-core shared machine the two were within
 * run-to-run noise of each other.
 *
 * Usage: cserver PORT [THREADS [reuseport|shared]]   (on 127.0.0.1:PORT)
 * Build: gcc -O2 -pthread -o cserver cserver.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST 1024
#define MAX_EVENTS 256
#define SERVER_NAME "Server of Nuk"

static int port;
static int shared; /* one listener for all threads (EPOLLEXCLUSIVE) */

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* listener opens this thread's SO_REUSEPORT socket on 127.0.0.1:port. */
static int listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("cserver: socket");
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		die("cserver: setsockopt");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("cserver: bind");
	if (listen(fd, SOMAXCONN) < 0)
		die("cserver: listen");
	return fd;
}

/* number parses the text after the last comma as Python's int() would for
 * plain decimals: white space around, an optional sign. It returns 0 (out
 * of range) for anything else. */
static long number(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
		s++;
	while (end > s && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
		end--;
	int neg = 0;
	if (s < end && (*s == '+' || *s == '-'))
		neg = *s++ == '-';
	if (s == end)
		return 0;
	long v = 0;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > 1000)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return neg ? -v : v;
}

/* serve handles a readable connection: one read, reply or not, close. It
 * returns without closing only when the request has not arrived yet. */
static void serve(int fd, uint64_t *rng)
{
	char buf[MAX_REQUEST];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		const char *comma = memrchr(buf, ',', n);
		long v = comma ? number(comma + 1, buf + n) : 0;
		if (v >= 1 && v <= 100) {
			/* xorshift64: cheap, and good enough for the lab's dice. */
			*rng ^= *rng << 13;
			*rng ^= *rng >> 7;
			*rng ^= *rng << 17;
			char reply[64];
			int len = snprintf(reply, sizeof reply, SERVER_NAME ",%d", (int)(*rng % 100) + 1);
			/* A few bytes always fit an empty send buffer; a peer that
			 * is gone makes write fail, which changes nothing. */
			if (write(fd, reply, len) < 0) {
			}
		}
	}
	close(fd); /* also removes fd from the epoll set */
}

static void *loop(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("cserver: epoll_create1");
	struct epoll_event ev = {.events = EPOLLIN | (shared ? EPOLLEXCLUSIVE : 0), .data.fd = lfd};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("cserver: epoll_ctl listener");
	uint64_t rng = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)&rng << 16) ^ 0x9e3779b97f4a7c15ull;
	struct epoll_event events[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(ep, events, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("cserver: epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			if (fd != lfd) {
				serve(fd, &rng);
				continue;
			}
			/* A shared listener wakes one thread per arrival: take a
			 * few, so that a burst is spread over the threads. */
			for (int taken = 0; !shared || taken < 4; taken++) {
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (c < 0) {
					if (errno == EINTR || errno == ECONNABORTED)
						continue;
					if (errno == EMFILE || errno == ENFILE) {
						/* Out of descriptors: back off and let
						 * exchanges in flight release some. */
						struct timespec ts = {0, 5000000};
						nanosleep(&ts, NULL);
					}
					break; /* EAGAIN: queue drained */
				}
				struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
				if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0)
					close(c);
			}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: cserver PORT [THREADS [reuseport|shared]]\n");
		return 2;
	}
	port = atoi(argv[1]);
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "cserver: bad port %s\n", argv[1]);
		return 2;
	}
	cpu_set_t cpus;
	int threads = 1;
	if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
		threads = CPU_COUNT(&cpus);
	if (argc >= 3 && strcmp(argv[2], "0") != 0)
		threads = atoi(argv[2]);
	if (argc == 4) {
		if (strcmp(argv[3], "shared") == 0)
			shared = 1;
		else if (strcmp(argv[3], "reuseport") != 0) {
			fprintf(stderr, "cserver: mode %s: want reuseport or shared\n", argv[3]);
			return 2;
		}
	}
	if (threads < 1 || threads > 1024) {
		fprintf(stderr, "cserver: bad thread count %d\n", threads);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Open every listener before announcing, so that no connection is
	 * refused once "listening" is printed. */
	int *fds = calloc(threads, sizeof *fds);
	if (fds == NULL)
		die("cserver: calloc");
	for (int i = 0; i < threads; i++)
		fds[i] = shared && i > 0 ? fds[0] : listener();
	pthread_t t;
	for (int i = 1; i < threads; i++)
		if (pthread_create(&t, NULL, loop, (void *)(intptr_t)fds[i]) != 0)
			die("cserver: pthread_create");
	printf("listening on 127.0.0.1:%d (%d threads, %s)\n", port, threads, shared ? "shared listener" : "SO_REUSEPORT");
	fflush(stdout);
	loop((void *)(intptr_t)fds[0]);
	return 0;
}
