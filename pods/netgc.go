package pods

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	sd "github.com/coreos/go-systemd/v22/dbus"

	"github.com/podunit/podunit/units"
)

// GCNetworks removes the network traces (namespaces, CNI attachments with
// their veths, rules and leases) of every pod whose unit is not running,
// as a host crash or a killed podunit leaves them. It returns the pods it
// cleaned.
func (m *Manager) GCNetworks(ctx context.Context) ([]string, error) {
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd: %w", err)
	}
	defer conn.Close()
	candidates, err := m.Net.Traces()
	if err != nil {
		return nil, err
	}
	names, err := m.State.Names()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := os.Stat(m.networkRecord(n)); err == nil {
			candidates[n] = true
		}
	}
	var cleaned []string
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(candidates)) {
		done, err := m.whenStopped(ctx, conn, name, func() error {
			return m.Net.GCPod(ctx, name, m.networkRecord(name))
		})
		if err != nil {
			errs = append(errs, err)
		}
		if done {
			cleaned = append(cleaned, name)
		}
	}
	return cleaned, errors.Join(errs...)
}

// whenStopped runs clean for a pod whose unit is not running, and reports
// whether it did. The pod's lock keeps an apply from starting it
// meanwhile.
func (m *Manager) whenStopped(ctx context.Context, conn *sd.Conn, name string, clean func() error) (bool, error) {
	lock, err := m.State.Lock(name)
	if err != nil {
		return false, err
	}
	unit := units.Name(name)
	applied, err := m.State.Load(name)
	if err == nil && applied.Unit != "" {
		unit = applied.Unit
	}
	defer func() {
		if applied == nil {
			lock.Release() // no pod: no lock file may stay behind
		} else {
			lock.Unlock()
		}
	}()
	st, err := unitStateOf(ctx, conn, unit)
	if err != nil {
		return false, err
	}
	if st.running() || st.Active == "deactivating" {
		return false, nil
	}
	if err := clean(); err != nil {
		return false, fmt.Errorf("pod %q: %w", name, err)
	}
	return true, nil
}
