package server

import (
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"
)

// The fast path's system calls, made with syscall.RawSyscall: without
// telling the runtime a system call is in progress, as syscall.Read and
// the others do. Each is on a non-blocking socket or epoll set (accept4,
// read and write return EAGAIN rather than wait; epoll_pwait has a zero
// timeout; close of a socket without SO_LINGER does not wait for the
// peer), so none can hold its thread for long, and telling the runtime is
// pure cost: every such call wakes the runtime's monitor thread (sysmon)
// if it sleeps, which then polls every 20 µs for a while, looking for
// threads blocked in system calls. Measured at concurrency 128, that
// monitor was an eighth of the server's CPU (see docs/BENCHMARKS.md).

// rawRead is read(2) on a non-blocking descriptor.
func rawRead(fd int, p []byte) (int, syscall.Errno) { return rawIO(syscall.SYS_READ, fd, p) }

// rawWrite is write(2) on a non-blocking descriptor.
func rawWrite(fd int, p []byte) (int, syscall.Errno) { return rawIO(syscall.SYS_WRITE, fd, p) }

// rawIO makes the system call trap, read(2) or write(2), on fd and p.
func rawIO(trap uintptr, fd int, p []byte) (int, syscall.Errno) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	for {
		n, _, errno := syscall.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		if errno != syscall.EINTR {
			return int(n), errno
		}
	}
}

// rawClose is close(2) of a socket without SO_LINGER. It is not retried
// on EINTR: on Linux the descriptor is released whatever close returns.
func rawClose(fd int) syscall.Errno {
	_, _, errno := syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(fd), 0, 0)
	return errno
}

// rawAccept4 is accept4(2) on a non-blocking listener, giving a
// non-blocking, close-on-exec socket and its peer's address; it retries
// when interrupted or when a queued connection was reset (as package net
// does).
func rawAccept4(lfd int) (int, netip.AddrPort, syscall.Errno) {
	var rsa syscall.RawSockaddrAny
	for {
		l := uint32(syscall.SizeofSockaddrAny)
		fd, _, errno := syscall.RawSyscall6(syscall.SYS_ACCEPT4, uintptr(lfd),
			uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)),
			syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
		switch errno {
		case syscall.EINTR, syscall.ECONNABORTED:
			continue
		case 0:
			return int(fd), rawPeer(&rsa), 0
		}
		return -1, netip.AddrPort{}, errno
	}
}

// rawPeer returns the address accept4 stored in rsa as a netip.AddrPort,
// as net.TCPAddr.AddrPort would: an IPv4 peer on an IPv6 socket stays
// IPv4-mapped, and an IPv6 zone is the interface's name.
func rawPeer(rsa *syscall.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			zone := strconv.FormatUint(uint64(sa.Scope_id), 10)
			if ifi, err := net.InterfaceByIndex(int(sa.Scope_id)); err == nil {
				zone = ifi.Name
			}
			a = a.WithZone(zone)
		}
		return netip.AddrPortFrom(a, ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

// ntohs converts a port as the kernel stores it in a sockaddr (network
// byte order, read as a native uint16) to its value.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// rawEpollCtl is epoll_ctl(2).
func rawEpollCtl(ep, op, fd int, ev *syscall.EpollEvent) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(ep), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errno
}

// rawEpollPoll is epoll_pwait(2) with a zero timeout: the set's ready
// events, without waiting.
func rawEpollPoll(ep int, events []syscall.EpollEvent) (int, syscall.Errno) {
	if len(events) == 0 {
		return 0, 0
	}
	for {
		n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
		if errno != syscall.EINTR {
			return int(n), errno
		}
	}
}
