package main

import (
	"fmt"
	"io"
)

// collectNetworks reconciles pod networks after a crash: every pod whose
// unit is not running loses its namespace, CNI attachments (address,
// veth, masquerade and port rules, through CNI DEL with the recorded or
// cached configuration) and host-local leases.
func collectNetworks(g *globals, _ bool, out io.Writer) error {
	m, err := g.manager()
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	cleaned, err := m.GCNetworks(ctx)
	for _, p := range cleaned {
		fmt.Fprintf(out, "Removed the network of pod %s\n", p)
	}
	return err
}
