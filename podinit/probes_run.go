package podinit

import (
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/contract"
)

// This file is the supervisor's side of probes and hooks. Everything here
// runs in the supervisor's loop: timers, probe goroutines and the reaper
// hand their results back as events (closures run by the loop), so probe
// state needs no locks. Every event carries the container instance it was
// for (gen) and is dropped once that instance is gone.

// execRun is a probe's or hook's command running in a container.
type execRun struct {
	done     func(fail string)
	exited   bool
	code     int
	out      []byte
	gotOut   bool
	finished bool
}

func (r *execRun) finish(fail string) {
	if !r.finished {
		r.finished = true
		r.done(fail)
	}
}

// tryFinish reports once both the exit and the output are in.
func (r *execRun) tryFinish() {
	if !r.exited || !r.gotOut {
		return
	}
	if r.code == 0 {
		r.finish("")
		return
	}
	out := strings.TrimSpace(string(r.out))
	if out != "" {
		out = ": " + out
	}
	r.finish(fmt.Sprintf("command exited with code %d%s", r.code, out))
}

// runAction does a, giving up after timeout (0: no limit), and calls done
// in the loop with "" on success or why it failed.
//
// An exec action runs through a fresh container-start helper rather than
// by joining the running container: podinit is a multithreaded Go
// process, which may not enter a mount or user namespace. The helper
// starts in the container's PID namespace (see forkIn), builds the
// container's view again on the container's mounted overlay (the same
// rootfs, volumes, /dev, masks, and a /proc of that PID namespace), and
// then runs the command as `podunit exec` would, in a user namespace
// with the container's mapping: the user, groups, environment and
// working directory the container's process got, its capabilities,
// no_new_privs, seccomp filter and SELinux label. Like a kubelet exec
// probe, the command sees the container's processes and they see it.
func (s *supervisor) runAction(c *ctr, a *contract.Action, timeout time.Duration, done func(fail string)) {
	switch {
	case len(a.Exec) > 0:
		s.runExec(c, a.Exec, timeout, done)
	case a.SleepSeconds > 0:
		s.after(time.Duration(a.SleepSeconds)*time.Second, func() { s.events <- func() { done("") } })
	default:
		if s.podIP == "" {
			s.podIP = podIP()
		}
		host := s.podIP
		go func() {
			fail := checkNetwork(a, host, timeout)
			s.events <- func() { done(fail) }
		}()
	}
}

func (s *supervisor) runExec(c *ctr, argv []string, timeout time.Duration, done func(string)) {
	if len(c.st.Env) == 0 {
		done("the container has not started its command yet")
		return
	}
	run := &execRun{done: done}
	spec := &contract.ExecSpec{Argv: argv, Env: c.st.Env, Cwd: c.st.Cwd, UID: c.st.UID, GID: c.st.GID, Groups: c.st.Groups, Security: c.spec.Security}
	join := c.pid
	if s.plan.SharePIDNamespace {
		join = 0 // podinit's namespace is the container's
	}
	pid, err := spawnRun(&c.spec, join, spec, func(out *os.File) {
		go func() {
			data, _ := io.ReadAll(io.LimitReader(out, maxProbeBody))
			io.Copy(io.Discard, out)
			out.Close()
			s.events <- func() {
				run.out, run.gotOut = data, true
				run.tryFinish()
			}
		}()
	})
	if err != nil {
		done(err.Error())
		return
	}
	s.execs[pid] = run
	if timeout > 0 {
		s.after(timeout, func() {
			s.events <- func() {
				if run.finished {
					return
				}
				unix.Kill(-pid, unix.SIGKILL)
				unix.Kill(pid, unix.SIGKILL)
				run.finish(fmt.Sprintf("command timed out after %v", timeout))
			}
		})
	}
}

// onExecExit: a probe's or hook's command ended.
func (s *supervisor) onExecExit(pid int, ws unix.WaitStatus) bool {
	run := s.execs[pid]
	if run == nil {
		return false
	}
	delete(s.execs, pid)
	// Whatever it left behind goes with it.
	unix.Kill(-pid, unix.SIGKILL)
	code, _ := exitOf(ws)
	run.exited, run.code = true, code
	if !run.gotOut {
		// Output still on its way, or a writer that escaped the kill
		// (its own session) holds the pipe: wait a moment, not forever.
		s.after(time.Second, func() {
			s.events <- func() {
				run.gotOut = true
				run.tryFinish()
			}
		})
	}
	run.tryFinish()
	return true
}

// stopper is a pending timer: a *time.Timer, or a fake clock's in tests.
type stopper interface{ Stop() bool }

// afterFunc is time.AfterFunc's shape; the supervisor's probe and hook
// timers go through one, so tests can run them on a fake clock.
type afterFunc func(time.Duration, func()) stopper

func realAfter(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }

// current reports whether instance gen of c is still the running one.
func (s *supervisor) current(c *ctr, gen int) bool {
	return c.gen == gen && c.pid != 0 && !s.stopping && !s.finished
}

// startProbes begins probing a container instance that runs its command
// (and whose postStart hook returned). Without a startup probe it has
// started at once; without a readiness probe it is ready once started.
func (s *supervisor) startProbes(c *ctr) {
	pr := c.spec.Probes
	if pr == nil || pr.Startup == nil {
		s.started(c)
		return
	}
	s.write(c)
	s.schedule(c, newProbeState(kindStartup, pr.Startup, c.started), 0)
}

// started: the startup probe passed (or there is none); liveness and
// readiness probes begin.
func (s *supervisor) started(c *ctr) {
	c.st.Started = true
	pr := c.spec.Probes
	if pr != nil && pr.Liveness != nil {
		s.schedule(c, newProbeState(kindLiveness, pr.Liveness, c.started), 0)
	}
	if pr != nil && pr.Readiness != nil {
		s.schedule(c, newProbeState(kindReadiness, pr.Readiness, c.started), 0)
	} else {
		c.st.Ready = true
	}
	s.write(c)
	if c.spec.Sidecar && !c.startedOnce {
		// The next init container waits for the sidecar to start.
		c.startedOnce = true
		s.startNextInit()
	}
	s.checkReady()
}

// schedule runs p after d, or after its initial delay if that is later.
func (s *supervisor) schedule(c *ctr, p *probeState, d time.Duration) {
	if first := p.firstDelay(time.Now()); first > d {
		d = first
	}
	gen := c.gen
	c.timers = append(c.timers, s.after(d, func() {
		s.events <- func() {
			if s.current(c, gen) {
				s.runAction(c, &p.spec.Action, p.timeout(), func(fail string) { s.probed(c, gen, p, fail) })
			}
		}
	}))
}

// probed acts on one probe result as the kubelet does.
func (s *supervisor) probed(c *ctr, gen int, p *probeState, fail string) {
	if !s.current(c, gen) {
		return
	}
	changed := p.observe(fail == "")
	if fail != "" {
		log.Printf("container %s: %s probe failed: %s", c.spec.Name, strings.ToLower(string(p.kind)), fail)
	}
	switch {
	case p.kind == kindStartup && p.result == resultSuccess:
		s.started(c)
		return
	case p.kind != kindReadiness && p.result == resultFailure:
		grace := s.grace
		if g := p.spec.GracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		s.killUnhealthy(c, fmt.Sprintf("%s probe failed: %s", p.kind, fail), grace)
		return
	case p.kind == kindReadiness && changed:
		c.st.Ready = p.result == resultSuccess
		log.Printf("container %s: ready: %v", c.spec.Name, c.st.Ready)
		s.write(c)
		s.checkReady()
	}
	s.schedule(c, p, p.period())
}

// killUnhealthy stops a container instance podinit gave up on; its exit
// then restarts it as restartPolicy says.
func (s *supervisor) killUnhealthy(c *ctr, msg string, grace time.Duration) {
	log.Printf("container %s: %s; stopping it (grace %v)", c.spec.Name, msg, grace)
	c.unhealthy = msg
	s.stopContainer(c, grace)
}

// stopContainer stops one container instance: terminate, SIGKILL after
// grace.
func (s *supervisor) stopContainer(c *ctr, grace time.Duration) {
	pid, gen := c.pid, c.gen
	s.terminate(c)
	c.timers = append(c.timers, s.after(grace, func() {
		s.events <- func() {
			if c.gen == gen && c.pid != 0 {
				unix.Kill(-pid, unix.SIGKILL)
				unix.Kill(pid, unix.SIGKILL)
			}
		}
	}))
}

// terminate runs the preStop hook, then sends the stop signal
// (lifecycle.stopSignal, SIGTERM by default) to the container's process
// group. The hook's time counts against the grace period, whose SIGKILL
// the caller arranges.
func (s *supervisor) terminate(c *ctr) {
	pid, gen := c.pid, c.gen
	sig := unix.SIGTERM
	if c.spec.StopSignal != 0 {
		sig = unix.Signal(c.spec.StopSignal)
	}
	signal := func(string) {
		if c.gen == gen && c.pid != 0 {
			unix.Kill(-pid, sig)
			unix.Kill(pid, sig)
		}
	}
	h := c.spec.Hooks
	if h == nil || h.PreStop == nil {
		signal("")
		return
	}
	s.runAction(c, h.PreStop, 0, func(fail string) {
		if fail != "" {
			log.Printf("container %s: preStop hook failed: %s", c.spec.Name, fail)
		}
		signal(fail)
	})
}

// postStart runs the postStart hook once the container runs its command:
// until it returns the container is not Running and has not started; if
// it fails, the container is killed and restarts as restartPolicy says.
func (s *supervisor) postStart(c *ctr) {
	h := c.spec.Hooks
	if h == nil || h.PostStart == nil {
		s.startProbes(c)
		return
	}
	gen := c.gen
	c.st.State, c.st.Reason = contract.StateWaiting, contract.ReasonContainerCreating
	s.write(c)
	s.runAction(c, h.PostStart, 0, func(fail string) {
		if !s.current(c, gen) {
			return
		}
		if fail != "" {
			log.Printf("container %s: postStart hook failed: %s; killing it", c.spec.Name, fail)
			c.unhealthy = "PostStartHookError: " + fail
			s.stopContainer(c, s.grace)
			return
		}
		c.st.State, c.st.Reason = contract.StateRunning, ""
		s.startProbes(c)
	})
}

// stopTimers drops an ended instance's probe and kill timers.
func (c *ctr) stopTimers() {
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
}
