package kvm

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavaliergopher/cpio"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/images/imagetest"
)

// The kvm stage's boot benchmarks, side by side under TCG with the same
// machine, memory and CPUs (as root, no systemd needed):
//
//	make build && PODUNIT_BIN=$PWD/bin/podunit go test ./kvm -run NONE -bench VM -benchtime 3x
//
// BenchmarkVMFloor is the floor: qemu with the same kernel and an
// initramfs of busybox whose /init prints one line.
func BenchmarkVMFloor(b *testing.B) {
	f := newVMFixture(b)
	img := filepath.Join(b.TempDir(), "floor.img")
	writeFloorInitramfs(b, img)
	vm := f.runner(&contract.Plan{}, nil).VM
	vm.Initrd, vm.Shares, vm.Cmdline = img, nil, "console=ttyS0 quiet panic=-1"
	var total time.Duration
	defer func() { b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-line") }()
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(vm.Binary, vm.Argv()...)
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		seen := false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), "floor: first line") {
				seen = true
				total += time.Since(start)
			}
		}
		cmd.Wait()
		if !seen {
			b.Fatal("the floor guest printed no line")
		}
	}
}

// BenchmarkVMFirstLine is a pod: qemu start to the container's first
// line in the host's log sink.
func BenchmarkVMFirstLine(b *testing.B) {
	f := newVMFixture(b)
	plan := &contract.Plan{Pod: "bench", Hostname: "bench", RestartPolicy: contract.RestartNever,
		Containers: []contract.Container{container("c", "echo", "first line")}}
	writeJSON(b, filepath.Join(f.run, "plan.json"), plan)
	var total time.Duration
	defer func() { b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-line") }()
	for b.Loop() {
		start := time.Now()
		done := make(chan error, 1)
		go func() { _, err := f.runner(plan, nil).Run(); done <- err }()
		select {
		case <-f.logs.lines:
			total += time.Since(start)
		case err := <-done:
			b.Fatalf("pod ended without a line: %v\n%s", err, f.console.String())
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

func writeFloorInitramfs(b *testing.B, path string) {
	bb, err := os.ReadFile(imagetest.HostBusybox)
	if err != nil {
		b.Skip(err)
	}
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	w := cpio.NewWriter(out)
	for _, e := range []struct {
		name string
		mode cpio.FileMode
		data string
	}{
		{"bin", cpio.TypeDir | 0o755, ""},
		{"bin/busybox", cpio.TypeReg | 0o755, string(bb)},
		{"init", cpio.TypeReg | 0o755, "#!/bin/busybox sh\necho floor: first line\n/bin/busybox poweroff -f\n"},
	} {
		if err := w.WriteHeader(&cpio.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Links: 1}); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
