package listing

import "syscall"

// setRecvBuffer sets SO_RCVBUF on a socket from a syscall.RawConn's
// Control: a small buffer makes the kernel advertise a small window.
func setRecvBuffer(fd uintptr, n int) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}
