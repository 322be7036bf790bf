package privtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// modeEnv carries the mode from Rerun to the child.
const modeEnv = "TCPLAB_PRIVTEST_MODE"

// Mode returns the mode Rerun started this test binary with, or "" when
// Rerun did not start it: a test that is rerun checks Mode first and, in
// the child, does the unprivileged part and prints what the parent checks.
func Mode() string { return os.Getenv(modeEnv) }

// Rerun runs the test named test (an exact top-level test name) again in
// a child copy of the running test binary, with Mode returning mode and
// with the capability bounding set changed by bounding in setpriv's syntax
// ("-net_raw" drops one, "-all,+net_raw" keeps only one) and no
// inheritable capabilities. It returns the child's combined output and
// error: an *exec.ExitError when the child exited with a non-zero status,
// which the caller may expect. ctx bounds the child's run.
//
// Rerun skips the test when not running as root or when setpriv is not
// installed.
func Rerun(ctx context.Context, t testing.TB, bounding, test, mode string) ([]byte, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop a capability in a child process (run the tests as root, as CI does)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv not installed (apt-get install util-linux)")
	}
	cmd := exec.CommandContext(ctx, setpriv, "--inh-caps=-all", "--bounding-set="+bounding, os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), modeEnv+"="+mode)
	return cmd.CombinedOutput()
}
