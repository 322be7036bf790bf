package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/userns"
)

// Executable is the tcplab binary that demo runs again inside namespaces
// of its own when it lacks the privileges it needs; main sets it. Empty
// (as in tests that run commands in-process) means never.
var Executable string

// usernsEnv, set to "off", keeps demo from running itself in a user
// namespace: it then says what privilege is missing, as before.
const usernsEnv = "TCPLAB_USERNS"

// demoNeedsNamespaces reports whether the demo f describes needs
// privileges this process lacks: capturing needs CAP_NET_RAW, the
// impaired network CAP_NET_ADMIN and CAP_SYS_ADMIN as well.
func (f *demoFlags) needsNamespaces() bool {
	if f.impairSpec != "" {
		return !userns.HasCaps(userns.CapNetAdmin, userns.CapNetRaw, userns.CapSysAdmin)
	}
	return !f.noCapture && !userns.HasCaps(userns.CapNetRaw)
}

// mayUseNamespaces reports whether demoInNamespaces will try to run the
// demo f describes in namespaces of its own.
func (f *demoFlags) mayUseNamespaces() bool {
	return Executable != "" && !userns.Inside() && userns.Supported() && os.Getenv(usernsEnv) != "off" && f.needsNamespaces()
}

// demoInNamespaces runs the demo again inside a user namespace with its
// own mount and network namespaces, where this user holds the
// capabilities, when that is needed and possible. ran reports whether it
// did: then err carries the child's exit status. When the kernel refuses
// the namespaces it says why and returns ran false, and the demo goes on
// without (naming the missing privilege and the remedy, as before).
func demoInNamespaces(ctx context.Context, env *Env, f *demoFlags, args []string, lang i18n.Lang) (ran bool, err error) {
	if !f.mayUseNamespaces() {
		return false, nil
	}
	fmt.Fprintf(env.Stderr, "tcplab demo: %s\n", i18n.Msg(lang, "demo.progress.userns"))
	code, err := userns.Run(ctx, Executable, append([]string{"demo"}, args...), env.Stdin, env.Stdout, env.Stderr)
	var refused *userns.RefusedError
	switch {
	case errors.As(err, &refused):
		fmt.Fprintf(env.Stderr, "tcplab demo: %s\n", i18n.Msg(lang, "demo.progress.userns.refused", "why", refused.Error()))
		return false, nil
	case err != nil:
		return true, err
	case code == userns.SetupFailed:
		// The child said why; go on without the namespaces.
		fmt.Fprintf(env.Stderr, "tcplab demo: %s\n", i18n.Msg(lang, "demo.progress.userns.refused", "why", "see above"))
		return false, nil
	case code == 0:
		return true, nil
	}
	return true, silentError{code: code}
}
