package proc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoCommand means the command line is empty.
var ErrNoCommand = errors.New("no command given")

// Placeholders a command line may hold.
const (
	// PortWord is replaced by the port the program is to use.
	PortWord = "{port}"
	// NumberWord is replaced by the number a client is to send.
	NumberWord = "{number}"
)

// Expand returns args with every PortWord replaced by port and every
// NumberWord by number (when number is not empty).
func Expand(args []string, port int, number string) []string {
	out := make([]string, len(args))
	p := strconv.Itoa(port)
	for i, a := range args {
		a = strings.ReplaceAll(a, PortWord, p)
		if number != "" {
			a = strings.ReplaceAll(a, NumberWord, number)
		}
		out[i] = a
	}
	return out
}

// HasPort reports whether a command line mentions PortWord.
func HasPort(args []string) bool {
	for _, a := range args {
		if strings.Contains(a, PortWord) {
			return true
		}
	}
	return false
}

// Spec is how to run a program.
type Spec struct {
	// Args is the command line, already expanded; Args[0] is looked up in
	// PATH.
	Args []string
	// Dir is the working directory; empty means the current one.
	Dir string
	// Stdin is given to the program; nil means none (end of file).
	Stdin io.Reader
	// Limit is the longest the program may run before Stop is forced on
	// it; zero means no limit other than the caller's Stop.
	Limit time.Duration
	// Env is added to the environment tcplab runs in.
	Env []string
}

// Process is a running program. Its methods are safe for concurrent use.
type Process struct {
	cmd    *exec.Cmd
	pgid   int
	stdout Buffer
	stderr Buffer
	done   chan struct{}
	start  time.Time

	mu       sync.Mutex
	state    *os.ProcessState
	waitErr  error
	killed   bool // by Stop or the limit
	timedOut bool
	timer    *time.Timer
	end      time.Time

	readers []*os.File
	drains  []chan struct{}
}

// drainLimit bounds the wait for the end of the output after the
// program's group is gone.
const drainLimit = 2 * time.Second

// drain copies r into buf until the end and then closes the channel it
// returns.
func drain(r io.Reader, buf *Buffer) chan struct{} {
	done := make(chan struct{})
	go func() {
		io.Copy(buf, r)
		close(done)
	}()
	return done
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// Start starts the program in a process group of its own.
func Start(s Spec) (*Process, error) {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return nil, ErrNoCommand
	}
	cmd := exec.Command(s.Args[0], s.Args[1:]...)
	cmd.Dir = s.Dir
	cmd.Stdin = s.Stdin
	cmd.Env = append(os.Environ(), s.Env...)
	p := &Process{cmd: cmd, done: make(chan struct{})}
	// The program writes into pipes of tcplab's own rather than through
	// exec's copying goroutines, whose Wait would hang on a background
	// child that holds them: wait kills the group first, then drains.
	var files []*os.File
	for _, buf := range []*Buffer{&p.stdout, &p.stderr} {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(files)
			return nil, err
		}
		files = append(files, r, w)
		p.drains = append(p.drains, drain(r, buf))
	}
	cmd.Stdout, cmd.Stderr = files[1], files[3]
	setGroup(cmd)
	err := cmd.Start()
	// The child has its copies of the write ends; tcplab's must go, or
	// the readers would never see the end of the output.
	files[1].Close()
	files[3].Close()
	if err != nil {
		files[0].Close()
		files[2].Close()
		return nil, fmt.Errorf("starting %s: %w", s.Args[0], err)
	}
	p.readers = []*os.File{files[0], files[2]}
	p.start = time.Now()
	p.pgid = cmd.Process.Pid
	go p.wait()
	if s.Limit > 0 {
		p.mu.Lock()
		p.timer = time.AfterFunc(s.Limit, func() {
			p.mu.Lock()
			p.timedOut = true
			p.mu.Unlock()
			p.Stop()
		})
		p.mu.Unlock()
	}
	return p, nil
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	// The program is gone; whatever it started in its group goes too, so
	// that nothing outlives it even when the caller never calls Stop.
	killGroup(p.pgid)
	// Then the output: every byte written is read, unless a process that
	// left the group still holds a pipe, which is given up after a while.
	t := time.AfterFunc(drainLimit, func() { closeAll(p.readers) })
	for _, d := range p.drains {
		<-d
	}
	t.Stop()
	closeAll(p.readers)
	p.mu.Lock()
	p.end = time.Now()
	p.state = p.cmd.ProcessState
	if err != nil && !errors.As(err, new(*exec.ExitError)) {
		p.waitErr = err
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	close(p.done)
}

// Pid returns the program's process id, which is also its group's id.
func (p *Process) Pid() int { return p.pgid }

// Done is closed when the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the program has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the program to exit, at most d, and reports whether it
// did.
func (p *Process) Wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// Stop kills the program's whole process group (SIGTERM, then SIGKILL
// after grace) and waits for the program to exit. It may be called more
// than once.
func (p *Process) Stop() {
	p.mu.Lock()
	p.killed = p.killed || !p.Exited()
	p.mu.Unlock()
	termGroup(p.pgid)
	if !p.Wait(200 * time.Millisecond) {
		killGroup(p.pgid)
		<-p.done
	}
	killGroup(p.pgid)
	// SIGKILL is delivered asynchronously: wait, briefly, until the
	// group's processes are gone, so that nothing is left when Stop
	// returns.
	for end := time.Now().Add(time.Second); GroupAlive(p.pgid) && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
}

// Stdout and Stderr return what the program has printed so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr returns what the program has printed on standard error so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Exit is how a program ended.
type Exit struct {
	// Code is the exit status, or -1 when a signal ended it.
	Code int
	// Signal names the signal that ended it, if one did.
	Signal string
	// Killed means tcplab stopped it (Stop, or the time limit).
	Killed bool
	// TimedOut means the time limit stopped it.
	TimedOut bool
	// Err is set when waiting for it failed.
	Err error
	// Took is how long it ran.
	Took time.Duration
}

// String says how the program ended, as "exit status 1" or "killed by
// signal SIGSEGV".
func (e Exit) String() string {
	if e.Signal != "" {
		return "killed by signal " + e.Signal
	}
	return "exit status " + strconv.Itoa(e.Code)
}

// Exit returns how the program ended; call it after Done is closed.
func (p *Process) Exit() Exit {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	e := Exit{Code: p.state.ExitCode(), Killed: p.killed, TimedOut: p.timedOut, Err: p.waitErr}
	e.Signal = signalName(p.state)
	e.Took = p.end.Sub(p.start)
	return e
}

// Buffer is a bytes buffer safe for concurrent use, with a cap so that a
// program printing without end cannot exhaust memory.
type Buffer struct {
	mu      sync.Mutex
	b       []byte
	dropped int
}

// MaxOutput is how much of each output stream is kept.
const MaxOutput = 1 << 20

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := MaxOutput - len(b.b)
	if room < len(p) {
		b.b = append(b.b, p[:max(room, 0)]...)
		b.dropped += len(p) - max(room, 0)
		return len(p), nil
	}
	b.b = append(b.b, p...)
	return len(p), nil
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.b)
}
