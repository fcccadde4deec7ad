// Package machined is a small client of systemd-machined
// (org.freedesktop.machine1): the registry where every running pod appears
// as a machine, so that podunit reads what machinectl shows.
package machined

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	dest          = "org.freedesktop.machine1"
	managerPath   = "/org/freedesktop/machine1"
	managerIface  = "org.freedesktop.machine1.Manager"
	machineIface  = "org.freedesktop.machine1.Machine"
	errNoSuchName = "org.freedesktop.machine1.NoSuchMachine"
)

// ErrNotFound is returned for a machine machined does not know.
var ErrNotFound = errors.New("no such machine")

// Machine is what machined knows of one registered machine.
type Machine struct {
	Name          string
	Class         string
	Service       string
	Unit          string
	Leader        uint32 // host PID of the machine's init (podinit)
	RootDirectory string
	State         string
	Since         time.Time
}

// Client talks to machined on the system bus.
type Client struct {
	conn *dbus.Conn
}

// New connects to the system bus. Close the client when done.
func New() (*Client, error) {
	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		return nil, fmt.Errorf("connect to the system bus: %w", err)
	}
	return &Client{conn: conn}, nil
}

// Close closes the bus connection.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) manager() dbus.BusObject { return c.conn.Object(dest, managerPath) }

// Ping reports whether machined answers (it is bus-activated, so this also
// starts it).
func (c *Client) Ping(ctx context.Context) error {
	var list []listEntry
	if err := c.manager().CallWithContext(ctx, managerIface+".ListMachines", 0).Store(&list); err != nil {
		return fmt.Errorf("machined: %w", err)
	}
	return nil
}

type listEntry struct {
	Name    string
	Class   string
	Service string
	Path    dbus.ObjectPath
}

// List returns every registered machine, not only pods.
func (c *Client) List(ctx context.Context) ([]Machine, error) {
	var list []listEntry
	if err := c.manager().CallWithContext(ctx, managerIface+".ListMachines", 0).Store(&list); err != nil {
		return nil, fmt.Errorf("list machines: %w", err)
	}
	out := make([]Machine, 0, len(list))
	for _, e := range list {
		m, err := c.machine(ctx, e.Path)
		if err != nil {
			// A machine can vanish between the list and the read.
			continue
		}
		out = append(out, *m)
	}
	return out, nil
}

// Get returns one machine by name, or an error wrapping ErrNotFound.
func (c *Client) Get(ctx context.Context, name string) (*Machine, error) {
	var path dbus.ObjectPath
	if err := c.manager().CallWithContext(ctx, managerIface+".GetMachine", 0, name).Store(&path); err != nil {
		return nil, wrap(name, err)
	}
	m, err := c.machine(ctx, path)
	if err != nil {
		return nil, wrap(name, err)
	}
	return m, nil
}

// Terminate kills every process of the machine, as machinectl terminate.
func (c *Client) Terminate(ctx context.Context, name string) error {
	if err := c.manager().CallWithContext(ctx, managerIface+".TerminateMachine", 0, name).Err; err != nil {
		return wrap(name, err)
	}
	return nil
}

// Unregister makes machined forget a machine without touching its
// processes or unit.
func (c *Client) Unregister(ctx context.Context, name string) error {
	if err := c.manager().CallWithContext(ctx, managerIface+".UnregisterMachine", 0, name).Err; err != nil {
		return wrap(name, err)
	}
	return nil
}

func (c *Client) machine(ctx context.Context, path dbus.ObjectPath) (*Machine, error) {
	var props map[string]dbus.Variant
	err := c.conn.Object(dest, path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0, machineIface).Store(&props)
	if err != nil {
		return nil, err
	}
	m := &Machine{}
	str := func(k string) string { s, _ := props[k].Value().(string); return s }
	m.Name, m.Class, m.Service = str("Name"), str("Class"), str("Service")
	m.Unit, m.RootDirectory, m.State = str("Unit"), str("RootDirectory"), str("State")
	m.Leader, _ = props["Leader"].Value().(uint32)
	if ts, ok := props["Timestamp"].Value().(uint64); ok && ts > 0 {
		m.Since = time.UnixMicro(int64(ts))
	}
	return m, nil
}

func wrap(name string, err error) error {
	var de dbus.Error
	if errors.As(err, &de) && de.Name == errNoSuchName {
		return fmt.Errorf("machine %q: %w", name, ErrNotFound)
	}
	return fmt.Errorf("machine %q: %w", name, err)
}
