package podinit

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/podunit/podunit/contract"
	"golang.org/x/sys/unix"
)

// ctr is one container's supervision state.
type ctr struct {
	spec    contract.Container
	init    bool
	st      contract.Status
	pid     int // running main process, 0 if none
	lastPID int // main process of the latest instance, for late reports
	started time.Time
	delay   time.Duration // last back-off delay, 0 if none yet
	// restartPending: a back-off timer will restart it.
	restartPending bool
	timer          *time.Timer
	killed         bool // got SIGKILL during stop
	startError     bool // the helper gave up before execve
	done           bool // terminated and will not run again
	// settled: its first instance reported (it runs its command, or
	// failed to start) or ended.
	settled bool
	// gen counts instances, so that probe and timer events of an ended
	// one are dropped; timers are the instance's probe and kill timers.
	gen    int
	timers []stopper
	// unhealthy says why podinit is killing the instance (a failed
	// liveness or startup probe), "" otherwise.
	unhealthy string
	// startedOnce: a sidecar's first start let the next init container
	// go.
	startedOnce bool
}

// supervisor runs the pod. All state lives in one goroutine (run's
// loop); the reaper, report readers, timers and signals feed it through
// channels, so no locking is needed and a PID is always registered
// before its exit can be processed.
type supervisor struct {
	plan    *contract.Plan
	backoff backoffPolicy
	grace   time.Duration
	logs    *logSink
	logWG   sync.WaitGroup

	inits, apps []*ctr
	byPID       map[int]*ctr

	reaped   chan reaped
	reports  chan reportMsg
	restarts chan *ctr
	// events are results of probes, hooks and their timers, run in the
	// loop (see probes_run.go).
	events chan func()
	execs  map[int]*execRun
	podIP  string
	after  afterFunc
	// statusDir holds the status records (contract.StatusDir).
	statusDir string
	stop      <-chan os.Signal
	graceC    <-chan time.Time
	killC     <-chan time.Time

	pod      contract.PodStatus
	running  bool   // every app container settled: phase Running
	ready    bool   // READY=1 sent
	status   string // the last STATUS= text sent
	nextInit int
	stopping bool
	// completion is the pod's exit code once its main containers all
	// ended and only sidecars are left to stop.
	completion       *int
	sidecarsStopping bool
	fatal            error
	finished         bool
	exitCode         int
}

func newSupervisor(plan *contract.Plan, stop <-chan os.Signal) *supervisor {
	s := &supervisor{
		plan:      plan,
		backoff:   backoffFromPlan(plan),
		grace:     time.Duration(plan.GracePeriodSeconds) * time.Second,
		logs:      newLogSink(plan),
		byPID:     map[int]*ctr{},
		reaped:    make(chan reaped, 64),
		reports:   make(chan reportMsg, 16),
		events:    make(chan func(), 16),
		execs:     map[int]*execRun{},
		after:     realAfter,
		statusDir: contract.StatusDir,
		stop:      stop,
	}
	waiting := contract.ReasonContainerCreating
	if len(plan.InitContainers) > 0 {
		waiting = contract.ReasonPodInitializing
	}
	for _, c := range plan.InitContainers {
		s.inits = append(s.inits, &ctr{spec: c, init: true,
			st: contract.Status{Name: c.Name, Init: true, State: contract.StateWaiting, Reason: contract.ReasonContainerCreating}})
	}
	for _, c := range plan.Containers {
		s.apps = append(s.apps, &ctr{spec: c,
			st: contract.Status{Name: c.Name, State: contract.StateWaiting, Reason: waiting}})
	}
	s.restarts = make(chan *ctr, len(s.inits)+len(s.apps))
	return s
}

// members are the containers that make the pod ready: the main
// containers and the sidecars.
func (s *supervisor) members() []*ctr {
	out := append([]*ctr(nil), s.apps...)
	for _, c := range s.inits {
		if c.spec.Sidecar {
			out = append(out, c)
		}
	}
	return out
}

func (s *supervisor) all() []*ctr {
	return append(append([]*ctr(nil), s.inits...), s.apps...)
}

func (s *supervisor) run() int {
	s.pod = contract.PodStatus{Phase: contract.PhasePending, StartedAt: timestamp(time.Now())}
	s.writePod()
	for _, c := range s.all() {
		s.write(c)
	}
	if s.logs.useJournal {
		log.Printf("pod %s: container output goes to the journal", s.plan.Pod)
	}
	startReaper(s.reaped)
	s.startNextInit()

	for !s.finished {
		select {
		case r := <-s.reaped:
			s.onExit(r)
		case m := <-s.reports:
			s.onReport(m)
		case c := <-s.restarts:
			s.onRestartDue(c)
		case ev := <-s.events:
			ev()
		case sig := <-s.stop:
			log.Printf("got %v: stopping the pod", sig)
			s.beginStop()
		case <-s.graceC:
			s.graceC = nil
			log.Printf("grace period of %v over: killing what is left", s.grace)
			s.killAll()
		case <-s.killC:
			log.Printf("containers still running after SIGKILL; exiting anyway")
			s.finishStop()
		}
	}
	s.waitLogs(2 * time.Second)
	s.pod.Phase = s.finalPhase()
	s.pod.Stopped = s.stopping && s.completion == nil
	s.writePod()
	log.Printf("pod %s ended: %s, exit code %d", s.plan.Pod, s.pod.Phase, s.exitCode)
	return s.exitCode
}

// startNextInit runs init containers one after the other, then the app
// containers.
func (s *supervisor) startNextInit() {
	if s.stopping || s.finished {
		return
	}
	if s.nextInit < len(s.inits) {
		c := s.inits[s.nextInit]
		s.nextInit++
		notify("STATUS=Running init container " + c.spec.Name)
		s.start(c)
		return
	}
	for _, c := range s.apps {
		if c.st.Reason == contract.ReasonPodInitializing {
			c.st.Reason = contract.ReasonContainerCreating
		}
		s.start(c)
		if s.stopping || s.finished {
			return
		}
	}
}

// settle marks c's first instance as started (or ended). Once every app
// container is, the pod is Running; see checkReady for READY=1.
func (s *supervisor) settle(c *ctr) {
	if (c.init && !c.spec.Sidecar) || c.settled {
		return
	}
	c.settled = true
	s.checkReady()
}

// readyForUnit: a container counts towards the unit's READY=1 once it
// will not run again, or has started and is ready; one without startup
// and readiness probes once its first instance settled, so that
// `podunit exec` right after apply finds it running its own command, not
// podinit's helper still building it.
func (s *supervisor) readyForUnit(c *ctr) bool {
	if c.done {
		return true
	}
	pr, h := c.spec.Probes, c.spec.Hooks
	if (pr != nil && (pr.Startup != nil || pr.Readiness != nil)) || (h != nil && h.PostStart != nil) {
		return c.st.Started && c.st.Ready
	}
	return c.settled
}

// checkReady sends READY=1 once every app container counts as ready: only
// then does the unit become active, apply return, and units ordered
// After= it start. Later readiness changes only change STATUS=.
func (s *supervisor) checkReady() {
	if s.stopping || s.finished {
		return
	}
	all, ready := true, 0
	members := s.members()
	for _, a := range members {
		all = all && a.settled
		if a.st.Ready {
			ready++
		}
	}
	if !all {
		return
	}
	if !s.running {
		s.running = true
		s.pod.Phase = contract.PhaseRunning
		s.writePod()
	}
	state := ""
	if !s.ready {
		for _, a := range members {
			if !s.readyForUnit(a) {
				return
			}
		}
		s.ready = true
		s.pod.ReadyAt = timestamp(time.Now())
		s.writePod()
		state = "READY=1\n"
	}
	status := fmt.Sprintf("Running %d container(s), %d ready", len(members), ready)
	if status != s.status {
		s.status = status
		notify(state + "STATUS=" + status)
	}
}

// start starts one instance of c. A rootfs that cannot be mounted is
// podinit's failure, not the container's, and stops the pod; a helper
// that cannot be started counts as a failed instance and is retried.
func (s *supervisor) start(c *ctr) {
	if err := prepareRootfs(&c.spec); err != nil {
		s.fail(err)
		return
	}
	c.started = time.Now()
	c.killed, c.startError = false, false
	c.gen++
	c.unhealthy = ""
	c.st.Started, c.st.Ready = false, false
	pid, err := spawn(&c.spec, c.st.RestartCount, s.plan.Hostname, !s.plan.SharePIDNamespace, s.logs, &s.logWG, s.reports)
	if err != nil {
		log.Print(err)
		c.startError = true
		s.recordExit(c, exitStartFailed, "", time.Now())
		s.afterExit(c)
		return
	}
	c.pid, c.lastPID = pid, pid
	s.byPID[pid] = c
	// Running once the helper reports that it execs the container's
	// command (onReport); until then podinit is still building it.
	c.st.State, c.st.Reason = contract.StateWaiting, contract.ReasonContainerCreating
	c.st.PID = pid
	c.st.StartedAt = timestamp(c.started)
	s.write(c)
	log.Printf("container %s started (pid %d, restart %d)", c.spec.Name, pid, c.st.RestartCount)
}

func (s *supervisor) onExit(r reaped) {
	c := s.byPID[r.pid]
	if c == nil {
		// A probe's or hook's command, or an orphan reparented to us
		// (reaping it was the job).
		s.onExecExit(r.pid, r.ws)
		return
	}
	delete(s.byPID, r.pid)
	// The main process is gone: so is the container, as with a cgroup
	// kill in other runtimes. Its session's process group goes too.
	unix.Kill(-r.pid, unix.SIGKILL)
	c.pid = 0
	code, sig := exitOf(r.ws)
	s.recordExit(c, code, sig, time.Now())
	if sig != "" {
		log.Printf("container %s (pid %d) killed by %s", c.spec.Name, r.pid, sig)
	} else {
		log.Printf("container %s (pid %d) exited with code %d", c.spec.Name, r.pid, code)
	}
	s.afterExit(c)
}

func (s *supervisor) recordExit(c *ctr, code int, sig string, at time.Time) {
	c.st.State = contract.StateTerminated
	c.st.ExitCode = &code
	c.st.Signal = sig
	c.st.FinishedAt = timestamp(at)
	c.st.PID = 0
	c.st.Started, c.st.Ready = false, false
	c.stopTimers()
	c.st.Message = ""
	switch {
	case sig == "SIGKILL" && cgroups.oomKilled(c.spec.Name):
		c.st.Reason = contract.ReasonOOMKilled
	case strings.HasPrefix(c.unhealthy, contract.ReasonPostStartHookError):
		c.st.Reason, c.st.Message = contract.ReasonPostStartHookError, c.unhealthy
	case c.unhealthy != "":
		c.st.Reason, c.st.Message = contract.ReasonUnhealthy, c.unhealthy
	case c.killed:
		c.st.Reason = contract.ReasonKilled
	case c.startError && code != 0:
		c.st.Reason = contract.ReasonStartError
	default:
		c.st.Reason = reasonFor(code)
	}
	s.settle(c)
}

// afterExit decides what follows an instance's end.
func (s *supervisor) afterExit(c *ctr) {
	if s.stopping {
		s.write(c)
		if len(s.byPID) == 0 {
			s.finishStop()
		} else {
			s.terminateSidecars()
		}
		return
	}
	failed := *c.st.ExitCode != 0
	if c.init {
		switch {
		case c.spec.Sidecar:
			// Restarted whatever the pod's restartPolicy, as Kubernetes
			// does with sidecars.
			s.scheduleRestart(c)
		case !failed:
			c.done = true
			s.write(c)
			s.startNextInit()
		case s.plan.RestartPolicy == contract.RestartNever:
			c.done = true
			s.write(c)
			log.Printf("init container %s failed and restartPolicy is Never: the pod failed", c.spec.Name)
			code := contract.ExitPodFailed
			s.completion = &code
			s.beginStop() // the sidecars started so far
		default:
			s.scheduleRestart(c)
		}
		return
	}
	if shouldRestart(s.plan.RestartPolicy, failed) {
		s.scheduleRestart(c)
		return
	}
	c.done = true
	s.write(c)
	anyFailed := false
	for _, a := range s.apps {
		if !a.done {
			return
		}
		anyFailed = anyFailed || *a.st.ExitCode != 0
	}
	code := contract.ExitSucceeded
	if anyFailed {
		code = contract.ExitPodFailed
	}
	// Sidecars do not keep a completed pod alive: they are stopped, and
	// the main containers' result is the pod's.
	s.completion = &code
	s.beginStop()
}

func (s *supervisor) scheduleRestart(c *ctr) {
	c.delay = s.backoff.next(c.delay, time.Since(c.started))
	c.st.State, c.st.Reason = contract.StateWaiting, contract.ReasonCrashLoopBackOff
	s.write(c)
	c.restartPending = true
	c.timer = time.AfterFunc(c.delay, func() { s.restarts <- c })
	log.Printf("container %s: restarting in %v", c.spec.Name, c.delay)
}

func (s *supervisor) onRestartDue(c *ctr) {
	if !c.restartPending || s.stopping || s.finished {
		return
	}
	c.restartPending = false
	restarted(&c.st)
	s.start(c)
}

func (s *supervisor) onReport(m reportMsg) {
	var c *ctr
	for _, x := range s.all() {
		if x.lastPID == m.pid {
			c = x
		}
	}
	if c == nil {
		return
	}
	defer s.settle(c)
	if m.err != nil {
		// The helper died before reporting; its own stderr says why.
		return
	}
	if m.rep.Error != "" {
		c.startError = true
		if c.pid == 0 && c.st.Reason == contract.ReasonError {
			c.st.Reason = contract.ReasonStartError
			s.write(c)
		}
		log.Printf("container %s failed to start: %s", c.spec.Name, m.rep.Error)
		return
	}
	c.st.UID, c.st.GID, c.st.Groups = m.rep.UID, m.rep.GID, m.rep.Groups
	c.st.Env, c.st.Cwd = m.rep.Env, m.rep.Cwd
	if c.pid == 0 {
		s.write(c) // it ended already
		return
	}
	c.st.State, c.st.Reason = contract.StateRunning, ""
	if c.init && !c.spec.Sidecar {
		s.write(c)
		return
	}
	// postStart and the probes write the record, with Started and Ready
	// as they are by then, so no reader sees a running container that is
	// not ready for no reason.
	s.postStart(c)
}

// fail handles podinit's own failures: stop everything, exit 3.
func (s *supervisor) fail(err error) {
	log.Print(err)
	if s.fatal == nil {
		s.fatal = err
	}
	s.beginStop()
}

// beginStop: no more restarts, SIGTERM to every container, SIGKILL after
// the grace period. A second stop signal skips the rest of the grace.
func (s *supervisor) beginStop() {
	if s.stopping {
		s.killAll()
		return
	}
	s.stopping = true
	if s.completion == nil {
		notify("STOPPING=1\nSTATUS=Stopping containers")
	}
	for _, c := range s.all() {
		if c.restartPending {
			c.restartPending = false
			c.timer.Stop()
			c.st.State, c.st.Reason = contract.StateTerminated, reasonFor(*c.st.ExitCode)
			s.write(c)
		}
	}
	if len(s.byPID) == 0 {
		s.finishStop()
		return
	}
	for _, c := range s.byPID {
		if !c.spec.Sidecar {
			s.terminate(c)
		}
	}
	s.terminateSidecars()
	if s.grace <= 0 {
		s.killAll()
		return
	}
	s.graceC = time.After(s.grace)
}

// terminateSidecars stops the sidecars once nothing else runs: they
// serve the main containers to the end, as in Kubernetes.
func (s *supervisor) terminateSidecars() {
	if s.sidecarsStopping {
		return
	}
	for _, c := range s.byPID {
		if !c.spec.Sidecar {
			return
		}
	}
	s.sidecarsStopping = true
	// Reverse order of definition, as the kubelet does.
	for i := len(s.inits) - 1; i >= 0; i-- {
		if c := s.inits[i]; c.spec.Sidecar && c.pid != 0 {
			s.terminate(c)
		}
	}
}

func (s *supervisor) killAll() {
	for pid, c := range s.byPID {
		c.killed = true
		unix.Kill(-pid, unix.SIGKILL)
		unix.Kill(pid, unix.SIGKILL)
	}
	if s.killC == nil {
		s.killC = time.After(5 * time.Second)
	}
}

func (s *supervisor) finishStop() {
	if s.fatal != nil {
		s.finish(contract.ExitSetupError)
		return
	}
	if s.completion != nil {
		s.finish(*s.completion)
		return
	}
	s.finish(contract.ExitSucceeded)
}

func (s *supervisor) finish(code int) {
	s.finished = true
	s.exitCode = code
}

func (s *supervisor) finalPhase() string {
	if s.exitCode != contract.ExitSucceeded {
		return contract.PhaseFailed
	}
	for _, c := range s.apps {
		if c.st.ExitCode == nil || *c.st.ExitCode != 0 {
			return contract.PhaseFailed
		}
	}
	return contract.PhaseSucceeded
}

// waitLogs gives the log pumps a moment to forward what the containers
// wrote last; lingering writers (orphans still holding a pipe) must not
// keep the pod from ending.
func (s *supervisor) waitLogs(limit time.Duration) {
	done := make(chan struct{})
	go func() {
		s.logWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
	}
}

func (s *supervisor) write(c *ctr) {
	if err := writeJSONAtomic(filepath.Join(s.statusDir, contract.StatusFileName(c.spec.Name)), &c.st); err != nil {
		log.Print(err)
	}
}

func (s *supervisor) writePod() {
	if err := writeJSONAtomic(filepath.Join(s.statusDir, contract.PodStatusFile), &s.pod); err != nil {
		log.Print(err)
	}
}
