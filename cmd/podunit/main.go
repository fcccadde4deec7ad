package main

import (
	_ "github.com/containernetworking/cni/libcni"
	_ "github.com/coreos/go-systemd/v22/dbus"
	_ "github.com/coreos/go-systemd/v22/journal"
	_ "github.com/coreos/go-systemd/v22/unit"
	_ "github.com/creack/pty"
	_ "github.com/godbus/dbus/v5"
	_ "github.com/google/go-containerregistry/pkg/v1/layout"
	_ "github.com/google/go-containerregistry/pkg/v1/tarball"
	_ "github.com/opencontainers/selinux/go-selinux"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
)

func main() {}
