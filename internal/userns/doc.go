// Package userns runs tcplab again inside namespaces of its own where an
// unprivileged user holds the capabilities the lab needs: a new user
// namespace (the user is root there, and only there), with a new mount
// namespace and a new network namespace owned by it. There the user may
// capture (CAP_NET_RAW), build veths and network namespaces
// (CAP_NET_ADMIN, CAP_SYS_ADMIN) and run the impairing bridge, with no
// sudo, no setcap and nothing changed outside: the namespaces end with
// the process, even after kill -9, and the files it writes belong to the
// user.
//
// The parent calls Run with the same command line; the child, seeing
// Inside, calls Setup before anything else: its mounts become private, a
// tmpfs on /run gives ip netns a place for its namespaces, and loopback
// is brought up. Where the kernel refuses unprivileged user namespaces
// (a sysctl, an AppArmor policy), Run and Setup return a *RefusedError
// naming the switch.
package userns
