package network

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// Network is one CNI network a pod can join.
type Network struct {
	Name string `json:"name"`
	// File is the conflist it was read from; "" for the built-in default.
	File    string   `json:"file,omitempty"`
	Plugins []string `json:"plugins"`
	Bytes   []byte   `json:"-"`
	// Err says why a conflist cannot be used; such files are listed so
	// that `podunit network list` shows what is wrong with them.
	Err string `json:"error,omitempty"`

	list *libcni.NetworkConfigList
}

// Networks lists the conflists in ConfDir, sorted by file name as libcni
// reads them, and the default network unless a conflist takes its name.
func (c Config) Networks() ([]*Network, error) {
	ents, err := os.ReadDir(c.ConfDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read CNI configuration directory: %w", err)
	}
	var out []*Network
	seen := map[string]bool{}
	for _, e := range ents {
		if e.IsDir() || filepath.Ext(e.Name()) != ".conflist" {
			continue
		}
		path := filepath.Join(c.ConfDir, e.Name())
		n := &Network{File: path}
		b, err := os.ReadFile(path)
		if err == nil {
			n.Bytes = b
			err = n.parse()
		}
		if err != nil {
			n.Err = err.Error()
		} else if seen[n.Name] {
			// libcni takes the first file of a name; later ones never apply.
			n.Err = fmt.Sprintf("network %q is already defined by an earlier file", n.Name)
		}
		seen[n.Name] = seen[n.Name] || n.Err == ""
		out = append(out, n)
	}
	if !seen[DefaultName] {
		n := &Network{Bytes: DefaultConflist()}
		if err := n.parse(); err != nil {
			return nil, fmt.Errorf("built-in network: %w", err)
		}
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File != "" && out[j].File == "" })
	return out, nil
}

func (n *Network) parse() error {
	list, err := libcni.NetworkConfFromBytes(n.Bytes)
	if err != nil {
		return err
	}
	n.Name, n.list = list.Name, list
	if len(list.Plugins) == 0 {
		return errors.New("no plugins")
	}
	for _, p := range list.Plugins {
		if p.Network.Type == "" {
			return errors.New("a plugin has no type")
		}
		n.Plugins = append(n.Plugins, p.Network.Type)
	}
	return nil
}

// Find returns the usable network called name.
func (c Config) Find(name string) (*Network, error) {
	all, err := c.Networks()
	if err != nil {
		return nil, err
	}
	var broken []string
	for _, n := range all {
		if n.Err == "" && n.Name == name {
			return n, nil
		}
		if n.Err != "" && (n.Name == name || n.Name == "") {
			broken = append(broken, fmt.Sprintf("%s: %s", n.File, n.Err))
		}
	}
	msg := fmt.Sprintf("CNI network %q not found in %s", name, c.ConfDir)
	if len(broken) > 0 {
		msg += " (unusable: " + strings.Join(broken, "; ") + ")"
	}
	return nil, errors.New(msg)
}

// Check makes sure a pod can join the network: it exists, parses, and
// every plugin binary is there and speaks the conflist's CNI version. It
// runs each plugin's VERSION command only, so it changes nothing.
func (c Config) Check(ctx context.Context, name string) (*Network, error) {
	n, err := c.Find(name)
	if err != nil {
		return nil, err
	}
	cni := libcni.NewCNIConfigWithCacheDir(c.PluginDirs, c.CacheDir, nil)
	if _, err := cni.ValidateNetworkList(ctx, n.list); err != nil {
		return nil, fmt.Errorf("CNI network %q (%s): %w (plugins are searched in %s)", name, n.source(), err, strings.Join(c.PluginDirs, ", "))
	}
	return n, nil
}

func (n *Network) source() string {
	if n.File == "" {
		return "built-in"
	}
	return n.File
}
