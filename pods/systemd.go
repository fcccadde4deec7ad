package pods

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/podunit/podunit/units"
)

// unitState is what podunit reads back from systemd about a pod's unit.
type unitState struct {
	Load     string // loaded, not-found
	Active   string // active, activating, deactivating, inactive, failed
	Sub      string
	Result   string
	Since    time.Time // entered its current active state
	Started  time.Time // main process started (zero when not running)
	Restarts uint32    // NRestarts: how often systemd restarted podinit
	MainPID  uint32
	// ControlGroup is the unit's cgroup path, "" when it has none.
	ControlGroup string
}

func (s unitState) running() bool {
	return s.Active == "active" || s.Active == "activating" || s.Active == "reloading"
}

// unitStateOf reads the few properties podunit needs, each on its own:
// asking for all of them makes systemd serialise hundreds (every Exec
// line, every limit), which `podunit list` would pay for every pod.
func unitStateOf(ctx context.Context, conn *sd.Conn, name string) (unitState, error) {
	var st unitState
	var errs []error
	get := func(service bool, prop string) any {
		get := conn.GetUnitPropertyContext
		if service {
			get = conn.GetServicePropertyContext
		}
		p, err := get(ctx, name, prop)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		return p.Value.Value()
	}
	str := func(v any) string { s, _ := v.(string); return s }
	usec := func(v any) time.Time {
		if v, ok := v.(uint64); ok && v > 0 {
			return time.UnixMicro(int64(v))
		}
		return time.Time{}
	}
	st.Load = str(get(false, "LoadState"))
	st.Active = str(get(false, "ActiveState"))
	st.Sub = str(get(false, "SubState"))
	st.Since = usec(get(false, "StateChangeTimestamp"))
	if st.Load == "loaded" {
		// A unit that is not loaded has no Service interface to ask.
		st.Result = str(get(true, "Result"))
		st.Started = usec(get(true, "ExecMainStartTimestamp"))
		st.Restarts, _ = get(true, "NRestarts").(uint32)
		st.MainPID, _ = get(true, "MainPID").(uint32)
		st.ControlGroup = str(get(true, "ControlGroup"))
	}
	if len(errs) > 0 {
		return unitState{}, fmt.Errorf("read unit %s: %w", name, errors.Join(errs...))
	}
	return st, nil
}

// errUnitExists: a unit of the transient unit's name is loaded already.
var errUnitExists = errors.New("unit exists")

// startUnit starts a transient unit and waits for its job. A job that does
// not end "done" is explained with systemd's own words.
func startUnit(ctx context.Context, conn *sd.Conn, u *units.Unit) error {
	since := time.Now()
	ch := make(chan string, 1)
	if _, err := conn.StartTransientUnitContext(ctx, u.Name, "fail", u.Properties(), ch); err != nil {
		var derr dbus.Error
		if errors.As(err, &derr) && derr.Name == "org.freedesktop.systemd1.UnitExists" {
			err = errors.Join(errUnitExists, err)
		}
		return fmt.Errorf("start %s: %w", u.Name, err)
	}
	select {
	case res := <-ch:
		if res == "done" {
			return nil
		}
		return fmt.Errorf("start %s: job %s%s", u.Name, res, explain(ctx, conn, u.Name, since))
	case <-ctx.Done():
		return fmt.Errorf("start %s: %w", u.Name, ctx.Err())
	}
}

// explain gathers why a unit failed: its result, its main process's exit
// and its last journal lines since the start attempt.
func explain(ctx context.Context, conn *sd.Conn, name string, since time.Time) string {
	var b strings.Builder
	if st, err := unitStateOf(ctx, conn, name); err == nil {
		fmt.Fprintf(&b, " (unit %s/%s, result %s)", st.Active, st.Sub, st.Result)
	}
	lines := journalTail(ctx, name, since, 15)
	if lines != "" {
		b.WriteString("; last log lines:\n")
		b.WriteString(lines)
	}
	return b.String()
}

func journalTail(ctx context.Context, unit string, since time.Time, n int) string {
	// The journal may take a moment to have the unit's last lines.
	time.Sleep(200 * time.Millisecond)
	out, err := exec.CommandContext(ctx, "journalctl", "--no-pager", "-q", "-o", "short-iso",
		"-u", unit, "--since", "@"+fmt.Sprint(since.Unix()), "-n", fmt.Sprint(n)).Output()
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			b.WriteString("  " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// stopUnit stops a unit, waits for it, and forgets a failed state so the
// name is free for the next transient unit. A unit that does not exist is
// already stopped.
func stopUnit(ctx context.Context, conn *sd.Conn, name string) error {
	st, err := unitStateOf(ctx, conn, name)
	if err != nil {
		return err
	}
	// A unit whose file is gone ("not-found") can still be running.
	if st.Active != "inactive" && st.Active != "failed" {
		ch := make(chan string, 1)
		if _, err := conn.StopUnitContext(ctx, name, "replace", ch); err != nil {
			return fmt.Errorf("stop %s: %w", name, err)
		}
		select {
		case res := <-ch:
			if res != "done" {
				return fmt.Errorf("stop %s: job %s", name, res)
			}
		case <-ctx.Done():
			return fmt.Errorf("stop %s: %w", name, ctx.Err())
		}
	}
	// A stopped transient unit can linger as "failed" (or, during a
	// restart back-off, as "activating"); resetting it unloads it.
	if err := conn.ResetFailedUnitContext(ctx, name); err != nil && !strings.Contains(err.Error(), "not loaded") {
		return fmt.Errorf("reset %s: %w", name, err)
	}
	return nil
}
