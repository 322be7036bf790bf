package userns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// SetupFailed is the exit status of a child whose Setup failed (it said
// why on its standard error): the caller goes on without the namespaces.
const SetupFailed = 125

// insideEnv marks the child Run starts.
const insideEnv = "TCPLAB_USERNS_CHILD"

// Inside reports whether this process is the child of Run.
func Inside() bool { return os.Getenv(insideEnv) == "1" }

// Supported reports whether the system has user namespaces at all.
func Supported() bool {
	_, err := os.Stat("/proc/self/ns/user")
	return err == nil
}

// The capabilities the lab needs, as bits of /proc/self/status's CapEff.
const (
	CapNetAdmin = unix.CAP_NET_ADMIN
	CapNetRaw   = unix.CAP_NET_RAW
	CapSysAdmin = unix.CAP_SYS_ADMIN
)

// HasCaps reports whether this process's effective set holds every one
// of caps.
func HasCaps(caps ...int) bool {
	b, err := os.ReadFile("/proc/thread-self/status") // capabilities are per thread
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		hex, ok := strings.CutPrefix(line, "CapEff:")
		if !ok {
			continue
		}
		var eff uint64
		if _, err := fmt.Sscanf(strings.TrimSpace(hex), "%x", &eff); err != nil {
			return false
		}
		for _, c := range caps {
			if eff&(1<<c) == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// RefusedError says that the kernel would not give an unprivileged user
// the namespaces, and which switch refuses them, when one is known.
type RefusedError struct {
	Why string // the sysctl or policy, "" when none explains it
	Err error
}

func (e *RefusedError) Error() string {
	if e.Why != "" {
		return "user namespaces refused: " + e.Why
	}
	return "user namespaces refused: " + e.Err.Error()
}

func (e *RefusedError) Unwrap() error { return e.Err }

// refused builds the RefusedError for err from the switches that refuse
// unprivileged user namespaces on Linux distributions.
func refused(err error) *RefusedError {
	read := func(path string) string {
		b, _ := os.ReadFile(path)
		return strings.TrimSpace(string(b))
	}
	why := ""
	switch {
	case read("/proc/sys/user/max_user_namespaces") == "0":
		why = "the sysctl user.max_user_namespaces is 0"
	case read("/proc/sys/kernel/unprivileged_userns_clone") == "0":
		why = "the sysctl kernel.unprivileged_userns_clone is 0 (Debian's switch: sysctl -w kernel.unprivileged_userns_clone=1 allows them)"
	case read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1":
		why = "AppArmor restricts them (kernel.apparmor_restrict_unprivileged_userns is 1, as on Ubuntu 23.10 and later)"
	}
	return &RefusedError{Why: why, Err: err}
}

// Run runs exe with args as a child in a new user, mount, network and
// PID namespace, the calling user mapped to root there, with stdin,
// stdout and stderr, and returns its exit status. The child is the first
// process of its PID namespace: when it ends, however it ends, the kernel
// ends every process it started (tcpdump, ip netns exec), and the
// namespaces go with them. Signals that would stop
// tcplab (interrupt, terminate, hang-up) are passed on to the child, which
// ends its run cleanly; the child is killed if this process dies. A
// *RefusedError means the kernel refused the namespaces.
func Run(ctx context.Context, exe string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Env = append(os.Environ(), insideEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		GidMappingsEnableSetgroups: false,
		Pdeathsig:                  syscall.SIGKILL,
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EINVAL) {
			return 0, refused(err)
		}
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			cmd.Process.Signal(s)
		case <-ctx.Done():
			// The context ends with a signal main caught: the child had
			// it too, or has it now.
			cmd.Process.Signal(os.Interrupt)
			ctx = context.Background()
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 128 + int(ws.Signal()), nil
				}
				return ee.ExitCode(), nil
			}
			return 0, err
		}
	}
}

// Setup prepares the child's namespaces: its mounts stop propagating
// outside, a tmpfs on /run holds ip netns's namespace files (so nothing is
// left in the real /run), /proc shows the new PID namespace, and loopback
// comes up. A *RefusedError means the
// kernel gave the namespace but not the capabilities in it (an AppArmor
// policy does that).
func Setup() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return refused(fmt.Errorf("making the mounts private: %w", err))
	}
	if err := unix.Mount("tcplab", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
		return refused(fmt.Errorf("mounting a tmpfs on /run: %w", err))
	}
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		return err
	}
	// /proc for the new PID namespace, so that its processes see
	// themselves there.
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return refused(fmt.Errorf("mounting /proc: %w", err))
	}
	return loopbackUp()
}

// loopbackUp brings up lo in this network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bringing up loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up loopback: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return refused(fmt.Errorf("bringing up loopback: %w", err))
	}
	return nil
}
