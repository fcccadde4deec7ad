package kvm

import (
	"fmt"
	"strconv"
	"strings"
)

// VM is what the qemu command line is made from.
type VM struct {
	// Binary is qemu-system-<arch>.
	Binary string
	// Machine is microvm (x86: no PCI, no firmware, virtio-mmio devices)
	// or a PCI machine (q35, pc, virt), whose devices are virtio-*-pci.
	Machine        string
	Accel          Accel
	MemoryMiB      int
	CPUs           int
	Kernel, Initrd string
	// Cmdline is the kernel command line.
	Cmdline string
	// Shares are 9p exports (see README, kvm stage, for why not
	// virtiofs).
	Shares []Share
	// Ports are virtio-serial ports, each backed by a connected unix
	// socket that qemu inherits as FD.
	Ports []Port
	// Tap is a tap device in qemu's network namespace for the guest's
	// NIC, with MAC; none if empty.
	Tap, MAC string
}

// Share is a host directory exported under Tag. ReadOnly is enforced by
// qemu: a guest that remounts it read-write still cannot write.
type Share struct {
	Tag, HostPath string
	ReadOnly      bool
}

// Port is a virtio-serial port named Name whose host end is FD.
type Port struct {
	Name string
	FD   int
}

// device names a virtio device for the machine's bus.
func (v *VM) device(kind string) string {
	if v.Machine == "microvm" {
		return kind + "-device"
	}
	return kind + "-pci"
}

// Argv is qemu's argument vector (without the binary). Pure: the
// caller owns every file and socket it names.
func (v *VM) Argv() []string {
	args := []string{
		"-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
		"-machine", v.Machine, "-accel", string(v.Accel),
		"-m", strconv.Itoa(v.MemoryMiB), "-smp", strconv.Itoa(v.CPUs),
		"-kernel", v.Kernel, "-initrd", v.Initrd, "-append", v.Cmdline,
		// The console (kernel messages, podinit's own log) is qemu's
		// stdout: the unit's journal. signal=off: a ^C on a terminal
		// is the guest's, qemu stops through SIGTERM.
		"-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
	}
	switch v.Accel {
	case TCG:
		// Every feature TCG emulates; qemu's default model lacks some
		// (e.g. x2apic) that a modern kernel uses.
		args = append(args, "-cpu", "max")
	case KVM:
		args = append(args, "-cpu", "host")
	}
	for i, s := range v.Shares {
		id := fmt.Sprintf("fs%d", i)
		// passthrough: files keep the guest's owners and modes on
		// the host, as an nspawn pod's do.
		opts := "local,id=" + id + ",path=" + optEscape(s.HostPath) + ",security_model=passthrough"
		if s.ReadOnly {
			opts += ",readonly=on"
		}
		args = append(args, "-fsdev", opts,
			"-device", v.device("virtio-9p")+",fsdev="+id+",mount_tag="+s.Tag)
	}
	if len(v.Ports) > 0 {
		args = append(args, "-device", v.device("virtio-serial")+",id=vser")
		for i, p := range v.Ports {
			id := fmt.Sprintf("port%d", i)
			args = append(args,
				"-chardev", fmt.Sprintf("socket,id=%s,fd=%d", id, p.FD),
				"-device", "virtserialport,bus=vser.0,chardev="+id+",name="+p.Name)
		}
	}
	if v.Tap != "" {
		args = append(args,
			"-netdev", "tap,id=net0,ifname="+v.Tap+",script=no,downscript=no",
			"-device", v.device("virtio-net")+",netdev=net0,mac="+v.MAC)
	}
	return args
}

// optEscape doubles commas, qemu's escape inside an option value.
func optEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }
