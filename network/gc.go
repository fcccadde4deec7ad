package network

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// Traces lists the pods that have anything of a network on this host: a
// namespace, a libcni cache entry, a host-local lease or a tagged iptables
// rule. After a crash,
// the pods among them that do not run are what GCPod cleans.
func (c Config) Traces() (map[string]bool, error) {
	out := map[string]bool{}
	ents, err := os.ReadDir(c.NetnsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list network namespaces: %w", err)
	}
	for _, e := range ents {
		out[e.Name()] = true
	}
	cached, err := c.cni().GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("list CNI cache: %w", err)
	}
	for _, a := range cached {
		if p := PodOf(a.ContainerID); p != "" {
			out[p] = true
		}
	}
	leases, err := c.leases()
	if err != nil {
		return nil, err
	}
	for _, l := range leases {
		out[PodOf(l.containerID)] = true
	}
	save, err := iptablesSave(context.Background())
	if err != nil {
		return nil, err
	}
	for p := range RulePods(save) {
		out[p] = true
	}
	return out, nil
}

// GCPod removes every network trace of a pod that does not run: it DELs
// with the pod's record and with libcni's cached attachments (freeing
// addresses, veths, masquerade and port rules), then removes the
// namespace, iptables rules DEL could not reach, and any lease host-local
// still holds for the pod.
func (c Config) GCPod(ctx context.Context, pod, recordPath string) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	var errs []error
	if err := c.release(ctx, pod, recordPath); err != nil {
		errs = append(errs, err)
	}
	cached, err := c.cni().GetCachedAttachments(ContainerID(pod))
	if err != nil {
		errs = append(errs, fmt.Errorf("read CNI cache: %w", err))
	}
	for _, a := range cached {
		if err := c.delCached(ctx, a); err != nil {
			errs = append(errs, fmt.Errorf("CNI DEL of pod %q from network %q: %w", pod, a.Network, err))
		}
	}
	if err := removeNetns(c.NetnsPath(pod)); err != nil {
		errs = append(errs, err)
	}
	// Whatever DEL could not reach (no record, no cache entry).
	if err := removeOrphanRules(ctx, pod); err != nil {
		errs = append(errs, err)
	}
	leases, err := c.leases()
	if err != nil {
		errs = append(errs, err)
	}
	for _, l := range leases {
		if l.containerID == ContainerID(pod) {
			if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove lease: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

// delCached runs DEL for a cached attachment with the configuration and
// arguments its ADD used.
func (c Config) delCached(ctx context.Context, a *libcni.NetworkAttachment) error {
	rt := &libcni.RuntimeConf{
		ContainerID: a.ContainerID, NetNS: a.NetNS, IfName: a.IfName,
		Args: a.CniArgs, CapabilityArgs: a.CapabilityArgs,
	}
	if list, err := libcni.NetworkConfFromBytes(a.Config); err == nil && len(list.Plugins) > 0 {
		return c.cni().DelNetworkList(ctx, list, rt)
	}
	conf, err := libcni.NetworkPluginConfFromBytes(a.Config)
	if err != nil {
		return fmt.Errorf("cached configuration: %w", err)
	}
	return c.cni().DelNetwork(ctx, conf, rt)
}

type lease struct {
	path, containerID string
}

// leases lists host-local's allocations that podunit made: files named
// by address in LeaseDir/<network>/, holding "<container ID>\r\n<ifname>".
func (c Config) leases() ([]lease, error) {
	nets, err := os.ReadDir(c.LeaseDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list host-local leases: %w", err)
	}
	var out []lease
	for _, n := range nets {
		if !n.IsDir() {
			continue
		}
		dir := filepath.Join(c.LeaseDir, n.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("list host-local leases: %w", err)
		}
		for _, f := range files {
			if f.IsDir() || strings.HasPrefix(f.Name(), "last_reserved_ip") || f.Name() == "lock" {
				continue
			}
			path := filepath.Join(dir, f.Name())
			b, err := os.ReadFile(path)
			if err != nil {
				continue // released meanwhile
			}
			id, _, _ := strings.Cut(strings.ReplaceAll(string(b), "\r", ""), "\n")
			if PodOf(strings.TrimSpace(id)) != "" {
				out = append(out, lease{path: path, containerID: strings.TrimSpace(id)})
			}
		}
	}
	return out, nil
}
