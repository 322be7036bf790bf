package cli

import (
	"fmt"
	"os"
	"strconv"
)

// giveToInvoker makes the files tcplab wrote belong to the user who ran it
// through sudo: root running with SUDO_UID and SUDO_GID set (sudo(8) sets
// them to the invoking user's ids) chowns each file that exists to them,
// so that the user can move or delete a capture or a report without sudo.
// Without sudo, or not as root, it does nothing.
func giveToInvoker(getenv func(string) string, files ...string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	uid, err1 := strconv.Atoi(getenv("SUDO_UID"))
	gid, err2 := strconv.Atoi(getenv("SUDO_GID"))
	if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return nil
	}
	for _, f := range files {
		if f == "" || f == "-" {
			continue
		}
		if err := os.Chown(f, uid, gid); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("giving %s to the user who ran sudo (uid %d): %w", f, uid, err)
		}
	}
	return nil
}
