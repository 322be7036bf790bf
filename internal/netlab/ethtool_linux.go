//go:build linux

package netlab

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtoolValue is struct ethtool_value of linux/ethtool.h.
type ethtoolValue struct {
	cmd  uint32
	data uint32
}

// ifreqData is struct ifreq with its ifr_data member set.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte // the rest of the ifreq union
}

// offloadsOff turns off segmentation, receive coalescing, scatter-gather
// and checksum offloads on ifname, in the calling thread's namespace, with
// the legacy SIOCETHTOOL commands that ethtool -K uses. With them off, the
// stack sends MTU-sized segments with their checksums computed, so the
// bridge and captures see the frames as they would be on a wire.
func offloadsOff(ifname string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("offloads on %s: socket: %w", ifname, err)
	}
	defer unix.Close(fd)
	// Segmentation first: TSO depends on scatter-gather and checksumming.
	for _, c := range []struct {
		cmd  uint32
		name string
	}{
		{unix.ETHTOOL_STSO, "tso"},
		{unix.ETHTOOL_SGSO, "gso"},
		{unix.ETHTOOL_SGRO, "gro"},
		{unix.ETHTOOL_SSG, "sg"},
		{unix.ETHTOOL_STXCSUM, "tx checksumming"},
		{unix.ETHTOOL_SRXCSUM, "rx checksumming"},
	} {
		if err := ethtoolSet(fd, ifname, c.cmd, 0); err != nil {
			return fmt.Errorf("offloads on %s: turn off %s: %w", ifname, c.name, err)
		}
	}
	return nil
}

// offloadOn reports whether the offload that the get command cmd reads
// (ETHTOOL_GTSO...) is on.
func offloadOn(ifname string, cmd uint32) (bool, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	v := ethtoolValue{cmd: cmd}
	if err := ethtoolIoctl(fd, ifname, &v); err != nil {
		return false, err
	}
	return v.data != 0, nil
}

func ethtoolSet(fd int, ifname string, cmd, data uint32) error {
	v := ethtoolValue{cmd: cmd, data: data}
	return ethtoolIoctl(fd, ifname, &v)
}

func ethtoolIoctl(fd int, ifname string, v *ethtoolValue) error {
	var ifr ifreqData
	if len(ifname) >= len(ifr.name) {
		return fmt.Errorf("interface name %q is too long", ifname)
	}
	copy(ifr.name[:], ifname)
	ifr.data = unsafe.Pointer(v)
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	if e != 0 {
		return e
	}
	return nil
}
