//go:build linux

package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/impair"
)

// netnsDir is where ip netns keeps named namespaces.
const netnsDir = "/run/netns"

// Fixed MAC addresses of the client's and server's interfaces, locally
// administered (RFC 7042): they never leave the namespaces.
const (
	clientMAC = "02:74:63:70:00:01"
	serverMAC = "02:74:63:70:00:02"
)

// permissionHint names the remedy for a missing privilege.
const permissionHint = "netlab needs root (CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN for network namespaces): run tcplab with sudo"

// seq numbers the networks of this process.
var seq atomic.Uint64

// testHook, when set by a test, is called after each step of New; an error
// makes New fail there.
var testHook func(step string) error

// Network is a running impaired network. Its methods are safe for
// concurrent use.
type Network struct {
	names  [3]string
	spec   impair.Spec
	bridge *bridge

	mu        sync.Mutex
	nsfds     [3]int      // open namespace files, for Do; -1 once closed
	stopWatch func() bool // stops watching New's context

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// New builds the network described by cfg and starts its bridge. It first
// removes any network left behind by a process that no longer runs. The
// network is removed when ctx ends or Close is called; if New fails, it
// removes what it made before returning.
func New(ctx context.Context, cfg Config) (n *Network, err error) {
	for _, p := range []impair.Params{cfg.Impair.C2S, cfg.Impair.S2C} {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("netlab: impairment: %w", err)
		}
	}
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.MTU < 1280 || cfg.MTU > 9000 {
		return nil, fmt.Errorf("netlab: MTU %d is out of range 1280 to 9000", cfg.MTU)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("netlab: the ip command (iproute2) is needed: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("netlab: %w", err)
	}
	if err := checkPrivileges(); err != nil {
		return nil, err
	}
	if err := RemoveLeftovers(ctx); err != nil {
		return nil, err
	}
	spec := cfg.Impair
	if spec.Seed == 0 {
		spec.Seed = rand.Uint64() | 1
	}
	id := fmt.Sprintf("tcplab-%d-%d", os.Getpid(), seq.Add(1))
	n = &Network{
		names: [3]string{id + "-c", id + "-m", id + "-s"},
		nsfds: [3]int{-1, -1, -1},
		spec:  spec,
		done:  make(chan struct{}),
	}
	defer func() {
		if err != nil {
			if cerr := n.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
			n = nil
		}
	}()
	if err := n.setup(ctx, cfg.MTU); err != nil {
		return n, err
	}
	stop := context.AfterFunc(ctx, func() { n.Close() })
	n.mu.Lock()
	n.stopWatch = stop
	n.mu.Unlock()
	return n, nil
}

func (n *Network) step(name string) error {
	if testHook != nil {
		return testHook(name)
	}
	return nil
}

// setup makes the namespaces, links, addresses and bridge.
func (n *Network) setup(ctx context.Context, mtu int) error {
	c, m, s := n.names[0], n.names[1], n.names[2]
	for h, name := range n.names {
		if err := ipCmd(ctx, "netns", "add", name); err != nil {
			return err
		}
		fd, err := unix.Open(netnsDir+"/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("netlab: open namespace %s: %w", name, err)
		}
		n.nsfds[h] = fd
	}
	if err := n.step("namespaces"); err != nil {
		return err
	}
	mtuS := strconv.Itoa(mtu)
	cmds := [][]string{
		{"-n", c, "link", "add", ClientIf, "address", clientMAC, "mtu", mtuS, "type", "veth", "peer", "name", MiddleClientIf, "mtu", mtuS, "netns", m},
		{"-n", s, "link", "add", ServerIf, "address", serverMAC, "mtu", mtuS, "type", "veth", "peer", "name", MiddleServerIf, "mtu", mtuS, "netns", m},
		// No IPv6 link-local addresses: no router or neighbour
		// solicitations cross the bridge, only the caller's traffic.
		{"-n", c, "link", "set", ClientIf, "addrgenmode", "none"},
		{"-n", s, "link", "set", ServerIf, "addrgenmode", "none"},
		{"-n", m, "link", "set", MiddleClientIf, "addrgenmode", "none"},
		{"-n", m, "link", "set", MiddleServerIf, "addrgenmode", "none"},
		{"-n", c, "addr", "add", ClientAddr.String() + "/24", "dev", ClientIf},
		{"-n", s, "addr", "add", ServerAddr.String() + "/24", "dev", ServerIf},
		{"-n", c, "addr", "add", ClientAddr6.String() + "/64", "dev", ClientIf, "nodad"},
		{"-n", s, "addr", "add", ServerAddr6.String() + "/64", "dev", ServerIf, "nodad"},
		{"-n", c, "neigh", "replace", ServerAddr.String(), "lladdr", serverMAC, "dev", ClientIf, "nud", "permanent"},
		{"-n", c, "neigh", "replace", ServerAddr6.String(), "lladdr", serverMAC, "dev", ClientIf, "nud", "permanent"},
		{"-n", s, "neigh", "replace", ClientAddr.String(), "lladdr", clientMAC, "dev", ServerIf, "nud", "permanent"},
		{"-n", s, "neigh", "replace", ClientAddr6.String(), "lladdr", clientMAC, "dev", ServerIf, "nud", "permanent"},
	}
	for _, args := range cmds {
		if err := ipCmd(ctx, args...); err != nil {
			return err
		}
	}
	if err := n.step("links"); err != nil {
		return err
	}
	for _, x := range []struct {
		h      Host
		ifname string
	}{{Client, ClientIf}, {Middle, MiddleClientIf}, {Middle, MiddleServerIf}, {Server, ServerIf}} {
		if err := n.Do(x.h, func() error { return offloadsOff(x.ifname) }); err != nil {
			return fmt.Errorf("netlab: %s: %w", n.Name(x.h), err)
		}
	}
	if err := n.Do(Middle, func() error {
		for _, ifname := range []string{MiddleClientIf, MiddleServerIf} {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+ifname+"/disable_ipv6", []byte("1"), 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("netlab: %s: disable IPv6 on the bridge: %w", m, err)
	}
	if err := n.step("offloads"); err != nil {
		return err
	}
	b, err := n.startBridge()
	if err != nil {
		return err
	}
	n.bridge = b
	if err := n.step("bridge"); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"-n", c, "link", "set", "lo", "up"},
		{"-n", s, "link", "set", "lo", "up"},
		{"-n", m, "link", "set", MiddleClientIf, "up"},
		{"-n", m, "link", "set", MiddleServerIf, "up"},
		{"-n", c, "link", "set", ClientIf, "up"},
		{"-n", s, "link", "set", ServerIf, "up"},
	} {
		if err := ipCmd(ctx, args...); err != nil {
			return err
		}
	}
	// Until the kernel's link watcher has seen the carrier, a veth keeps
	// the noop qdisc, which drops every frame sent: wait for it.
	for _, x := range []struct{ ns, ifname string }{{c, ClientIf}, {m, MiddleClientIf}, {m, MiddleServerIf}, {s, ServerIf}} {
		if err := waitOperational(ctx, x.ns, x.ifname); err != nil {
			return err
		}
	}
	return n.step("up")
}

// waitOperational polls until ifname in namespace ns is up with a real
// qdisc attached, for at most 10 seconds.
func waitOperational(ctx context.Context, ns, ifname string) error {
	var last string
	for range 500 {
		out, err := exec.CommandContext(ctx, "ip", "-n", ns, "-o", "link", "show", "dev", ifname).Output()
		if err != nil {
			return fmt.Errorf("netlab: ip -n %s link show dev %s: %w", ns, ifname, err)
		}
		last = strings.TrimSpace(string(out))
		if strings.Contains(last, " state UP ") && !strings.Contains(last, " qdisc noop ") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("netlab: wait for %s in %s: %w", ifname, ns, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("netlab: %s in %s not operational after 10s: %s", ifname, ns, last)
}

// ipCmd runs ip with args, returning its diagnostics on failure.
func ipCmd(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "ip", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "Operation not permitted") || strings.Contains(msg, "Permission denied") {
			return fmt.Errorf("netlab: ip %s: %s: %w (%s)", strings.Join(args, " "), msg, os.ErrPermission, permissionHint)
		}
		if msg != "" {
			return fmt.Errorf("netlab: ip %s: %s: %w", strings.Join(args, " "), msg, err)
		}
		return fmt.Errorf("netlab: ip %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Name returns the name of host h's namespace, for ip netns exec NAME.
func (n *Network) Name(h Host) string {
	if !h.valid() {
		return ""
	}
	return n.names[h-1]
}

// Names returns the names of the three namespaces: client, middle, server.
func (n *Network) Names() []string { return n.names[:] }

// Spec returns the impairment the bridge applies, with the seed it uses.
func (n *Network) Spec() impair.Spec { return n.spec }

// Stats returns the bridge's counters so far.
func (n *Network) Stats() Stats {
	if n.bridge == nil {
		return Stats{}
	}
	return n.bridge.stats()
}

// Fates returns what the bridge did to each frame so far, in the order
// frames arrived at it in each direction, and how many frames it did not
// log (past its bound of about 260,000).
func (n *Network) Fates() (fates []FrameFate, unlogged uint64) {
	if n.bridge == nil {
		return nil, 0
	}
	return n.bridge.fates()
}

// Done returns a channel closed once the network has been removed, by
// Close or because New's context ended.
func (n *Network) Done() <-chan struct{} { return n.done }

// Do runs fn on an OS thread that has entered host h's network namespace,
// so that sockets fn creates (net.Listen, net.Dial, afpacket.Listen) belong
// to that host; they stay there after Do returns. fn runs on a goroutine of
// its own; goroutines it starts run in the process's own namespace. Do
// returns fn's error.
func (n *Network) Do(h Host, fn func() error) error {
	if !h.valid() {
		return fmt.Errorf("netlab: no host %v", h)
	}
	// A duplicate of the namespace file, so that Close may run meanwhile.
	n.mu.Lock()
	nsfd := -1
	var err error
	if n.nsfds[h-1] >= 0 {
		nsfd, err = unix.FcntlInt(uintptr(n.nsfds[h-1]), unix.F_DUPFD_CLOEXEC, 0)
	}
	n.mu.Unlock()
	if err != nil {
		return fmt.Errorf("netlab: %v namespace: %w", h, err)
	}
	if nsfd < 0 {
		return fmt.Errorf("netlab: %v namespace: %w", h, ErrClosed)
	}
	defer unix.Close(nsfd)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: open own namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			if errors.Is(err, unix.EPERM) {
				err = fmt.Errorf("%w (%s)", err, permissionHint)
			}
			errc <- fmt.Errorf("netlab: enter %s: %w", n.names[h-1], err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// The thread stays locked and is discarded when this
			// goroutine ends: it must not run other goroutines.
			errc <- errors.Join(ferr, fmt.Errorf("netlab: return from %s: %w", n.names[h-1], err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Command returns a command that runs name with args in host h's
// namespace, through ip netns exec. ctx kills it as in exec.CommandContext,
// and it receives SIGTERM if tcplab dies without stopping it (SIGKILL), so
// that it cannot run on in, and keep alive, a namespace already removed
// (prctl PR_SET_PDEATHSIG, which outlives ip's exec; it follows the OS
// thread that starts the command, which Go keeps unless a goroutine locked
// to it exits).
func (n *Network) Command(ctx context.Context, h Host, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Name(h), name}, args...)...)
	cmd.SysProcAttr = &unix.SysProcAttr{Pdeathsig: unix.SIGTERM}
	return cmd
}

// Close stops the bridge and removes the namespaces, with their veths. It
// is safe to call more than once; later calls return the first result.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		stop := n.stopWatch
		n.mu.Unlock()
		if stop != nil {
			stop()
		}
		var errs []error
		if n.bridge != nil {
			n.bridge.close()
		}
		n.mu.Lock()
		for h, fd := range n.nsfds {
			if fd >= 0 {
				unix.Close(fd)
				n.nsfds[h] = -1
			}
		}
		n.mu.Unlock()
		for _, name := range n.names {
			if err := removeNetns(name); err != nil {
				errs = append(errs, err)
			}
		}
		n.closeErr = errors.Join(errs...)
		close(n.done)
	})
	return n.closeErr
}

// removeNetns deletes a named namespace if it exists. It uses a fresh
// context: cleanup must run even when the caller's context has ended.
func removeNetns(name string) error {
	path := netnsDir + "/" + name
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	err := ipCmd(context.Background(), "netns", "delete", name)
	if _, serr := os.Stat(path); err != nil && errors.Is(serr, os.ErrNotExist) {
		return nil // another process removed the same leftover meanwhile
	}
	return err
}

// The capabilities New needs (linux/capability.h).
var neededCaps = []struct {
	bit  int
	name string
}{
	{unix.CAP_NET_ADMIN, "CAP_NET_ADMIN"},
	{unix.CAP_NET_RAW, "CAP_NET_RAW"},
	{unix.CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
}

// checkPrivileges returns an error naming the capabilities the calling
// thread lacks, wrapping os.ErrPermission.
func checkPrivileges() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return nil // cannot tell: let the first operation report
	}
	var missing []string
	for _, c := range neededCaps {
		if data[c.bit/32].Effective&(1<<(c.bit%32)) == 0 {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("netlab: %s missing: %w (%s)", strings.Join(missing, ", "), os.ErrPermission, permissionHint)
	}
	return nil
}

var leftoverName = regexp.MustCompile(`^tcplab-([0-9]+)-[0-9]+-[cms]$`)

// RemoveLeftovers removes the namespaces of networks whose creating
// process no longer runs (it was killed before it could clean up). New
// calls it; tcplab may call it on its own.
func RemoveLeftovers(ctx context.Context) error {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netlab: list leftover namespaces: %w", err)
	}
	var errs []error
	for _, e := range entries {
		m := leftoverName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid <= 0 || processRuns(pid) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("netlab: %w", err)
		}
		if err := removeNetns(e.Name()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// processRuns reports whether a process with this pid exists and is not
// a zombie (killed, not yet reaped by its parent).
func processRuns(pid int) bool {
	if err := unix.Kill(pid, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // cannot tell: assume it runs
	}
	// The state follows the command name, which is in parentheses and may
	// itself contain them.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
