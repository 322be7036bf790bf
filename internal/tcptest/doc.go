// Package tcptest runs throwaway TCP servers on loopback for tests, as
// net/http/httptest does for HTTP: a handler per accepted connection,
// stopped and waited for when the test ends, and a handler's read of a
// request as the lab's server takes it; a client connection that has sent
// its request, or a whole request-reply exchange; and an address that
// refuses connections.
//
// Only tests import it.
package tcptest
