package podinit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/userns"
)

// reportMsg is a helper's report (or the failure to read one) for the
// instance with main PID pid.
type reportMsg struct {
	pid int
	rep helperReport
	err error
}

// spawn starts one instance of c (restart: how many ran before it, for
// its journal lines) through the helper and returns its PID.
// The caller must register the PID before it handles the next reaped
// child: the reaper may collect a fast-exiting container at any time.
// The output pipes are pumped by logs until the last writer closes them,
// which may be after the main process exited (its children may linger).
func spawn(c *contract.Container, restart int, hostname string, ownPID bool, logs *logSink, logWG *sync.WaitGroup, reports chan<- reportMsg) (int, error) {
	return startHelper(helperSpec{Container: *c, Hostname: hostname, OwnPIDNamespace: ownPID}, reports,
		func(stdout, stderr *os.File) {
			logWG.Add(2)
			go logs.pump(c.Name, restart, false, stdout, logWG.Done)
			go logs.pump(c.Name, restart, true, stderr, logWG.Done)
		})
}

// spawnRun starts a probe's or hook's command in c (see helperSpec.Run);
// its stdout and stderr are one pipe, handed to output. containerPID, if
// not 0, is the container's main process, whose PID namespace the command
// joins.
func spawnRun(c *contract.Container, containerPID int, run *contract.ExecSpec, output func(*os.File)) (int, error) {
	return startHelper(helperSpec{Container: *c, JoinPID: containerPID, Run: run}, nil,
		func(stdout, stderr *os.File) {
			stderr.Close()
			output(stdout)
		})
}

// startHelper forks the helper into new namespaces with h on its spec
// pipe; output gets the read ends of its stdout and stderr; the report,
// if reports is not nil, goes there.
func startHelper(h helperSpec, reports chan<- reportMsg, output func(stdout, stderr *os.File)) (int, error) {
	c := &h.Container
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer devnull.Close()
	var parent, child []*os.File
	defer func() {
		for _, f := range child {
			f.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			for _, f := range parent {
				f.Close()
			}
			return 0, fmt.Errorf("pipe: %w", err)
		}
		if i == 2 { // spec: the helper reads, podinit writes
			parent, child = append(parent, w), append(child, r)
		} else { // stdout, stderr, report: the helper writes
			parent, child = append(parent, r), append(child, w)
		}
	}
	stdoutR, stderrR, specW, reportR := parent[0], parent[1], parent[2], parent[3]
	stderrW := child[1]
	if h.Run != nil {
		stderrW = child[0] // one stream: a probe's output is one message
	}

	attr := &syscall.ProcAttr{
		Dir: "/",
		Env: []string{},
		Files: []uintptr{
			devnull.Fd(),
			child[0].Fd(), stderrW.Fd(), // stdout, stderr
			child[2].Fd(), // helperSpecFD
			child[3].Fd(), // helperReportFD
		},
		Sys: &syscall.SysProcAttr{
			// Own session and process group, so a stop signal reaches the
			// container's whole group and nothing of nspawn's console.
			Setsid:     true,
			Cloneflags: unix.CLONE_NEWNS,
		},
	}
	if h.OwnPIDNamespace {
		attr.Sys.Cloneflags |= unix.CLONE_NEWPID
	}
	// Born in its container's cgroup (clone3's CLONE_INTO_CGROUP): no
	// moment in the pod's, none for the container's limits to miss.
	if fd := cgroups.fd(c.Name); fd >= 0 {
		attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, fd
	}
	// Joining a container's PID namespace, the helper stays in podinit's
	// user namespace to mount that namespace's /proc, and runs the
	// command through a second helper in a user namespace (runInUserNS).
	if c.Security != nil && c.Security.UIDBase != 0 && h.JoinPID == 0 {
		attr.Sys.Cloneflags |= unix.CLONE_NEWUSER
		attr.Sys.UidMappings = userns.Mappings(c.Security.UIDBase)
		attr.Sys.GidMappings = userns.Mappings(c.Security.UIDBase)
		attr.Sys.GidMappingsEnableSetgroups = true
		// Become the namespace's root: the host's root, whose ids the
		// mapping leaves out, would be nobody there, without capabilities
		// after execve.
		attr.Sys.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	}
	pid, err := forkIn(h.JoinPID, []string{helperName}, attr)
	if err != nil {
		for _, f := range parent {
			f.Close()
		}
		return 0, fmt.Errorf("start helper for container %s: %w", c.Name, err)
	}

	go func() {
		json.NewEncoder(specW).Encode(h)
		specW.Close()
	}()
	if reports == nil {
		reportR.Close()
	} else {
		go func() {
			defer reportR.Close()
			var m reportMsg
			m.pid = pid
			data, err := io.ReadAll(reportR)
			switch {
			case err != nil:
				m.err = err
			case len(data) == 0:
				m.err = fmt.Errorf("helper exited without a report")
			default:
				m.err = json.Unmarshal(data, &m.rep)
			}
			reports <- m
		}()
	}
	output(stdoutR, stderrR)
	return pid, nil
}

// forkIn starts the helper, in the PID namespace of process target if
// that is not 0. setns(CLONE_NEWPID) only changes where the calling
// thread's children go, which a multithreaded process may do: the fork
// runs on a thread of its own that is never unlocked, so the runtime
// ends it with its goroutine and no other goroutine inherits it.
func forkIn(target int, argv []string, attr *syscall.ProcAttr) (int, error) {
	if target == 0 {
		return syscall.ForkExec("/proc/self/exe", argv, attr)
	}
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/pid", target), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- result{err: fmt.Errorf("PID namespace of %d: %w", target, err)}
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWPID)
		unix.Close(fd)
		if err != nil {
			done <- result{err: fmt.Errorf("enter the PID namespace of %d: %w", target, err)}
			return
		}
		pid, err := syscall.ForkExec("/proc/self/exe", argv, attr)
		done <- result{pid, err}
	}()
	r := <-done
	return r.pid, r.err
}
