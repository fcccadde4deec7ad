package pods

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"

	"github.com/podunit/podunit/units"
)

// Sync makes the running pods match the manifests in the generator's
// directories: it reloads systemd (which reruns the generator), stops and
// forgets every generator pod whose manifest is gone, and starts every
// generated pod unit that is not running. The podunit-sync.path unit runs
// it whenever /etc/podunit/pods changes.
func (m *Manager) Sync(ctx context.Context, report func(name string, what string)) error {
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to systemd: %w", err)
	}
	defer conn.Close()
	if err := conn.ReloadContext(ctx); err != nil {
		return fmt.Errorf("daemon-reload: %w", err)
	}
	var errs []error
	names, err := m.State.Names()
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := m.retireIfOrphaned(ctx, conn, n, report); err != nil {
			errs = append(errs, err)
		}
	}
	files, err := conn.ListUnitFilesByPatternsContext(ctx, nil, []string{"podunit-*.service"})
	if err != nil {
		return fmt.Errorf("list units: %w", err)
	}
	for _, f := range files {
		if f.Type != "generated" {
			continue
		}
		name := filepath.Base(f.Path)
		st, err := unitStateOf(ctx, conn, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.running() {
			continue
		}
		since := time.Now()
		ch := make(chan string, 1)
		if _, err := conn.StartUnitContext(ctx, name, "replace", ch); err != nil {
			errs = append(errs, fmt.Errorf("start %s: %w", name, err))
			continue
		}
		if res := <-ch; res != "done" {
			errs = append(errs, fmt.Errorf("start %s: job %s%s", name, res, explain(ctx, conn, name, since)))
			continue
		}
		report(name, "started")
	}
	return errors.Join(errs...)
}

// retireIfOrphaned removes a generator pod whose unit systemd no longer
// has a file for, exactly as delete removes a pod.
func (m *Manager) retireIfOrphaned(ctx context.Context, conn *sd.Conn, name string, report func(string, string)) error {
	lock, err := m.State.Lock(name)
	if err != nil {
		return err
	}
	applied, err := m.State.Load(name)
	if err != nil || applied.Origin != units.OriginGenerator {
		lock.Unlock()
		return err
	}
	st, err := unitStateOf(ctx, conn, applied.Unit)
	if err != nil || st.Load != "not-found" {
		lock.Unlock()
		return err
	}
	if err := m.remove(ctx, conn, applied); err != nil {
		lock.Unlock()
		return err
	}
	lock.Release()
	report(name, "removed")
	return nil
}
