// Command bench measures podunit against the floor — systemd-run +
// systemd-nspawn started by hand on the same rootfs with the same command —
// side by side in one run inside a booted systemd test host, and prints
// the ratios. `make bench` runs it; BENCHMARKS.md records its output.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/podunit/podunit/e2e/testhost"
	"github.com/podunit/podunit/images/imagetest"
)

const command = `echo ready; exec sleep 1000`

func main() {
	bin := flag.String("binary", "bin/podunit", "podunit binary to run in the test host")
	runs := flag.Int("runs", 20, "runs of each contender")
	idle := flag.Int("idle", 5, "idle pods for the memory figure")
	flag.Parse()
	if err := run(*bin, *runs, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	ctx context.Context
	h   *testhost.Host
}

func (b *bench) sh(script string) (string, error) { return b.h.Shell(b.ctx, script) }

func run(bin string, runs, idle int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	h, err := testhost.Start(ctx, testhost.WithBinary(bin), testhost.WithRecipe(benchRecipe()))
	if err != nil {
		return err
	}
	defer h.Shutdown()
	b := &bench{ctx: ctx, h: h}
	if err := imagetest.BusyboxArchive(filepath.Join(h.Scratch(), "busybox.tar"), "localhost/busybox:1.35"); err != nil {
		return err
	}
	// The floor runs the same busybox binary in a plain directory tree.
	floor := filepath.Join(h.Scratch(), "floor")
	for _, d := range []string{"bin", "usr", "tmp"} {
		if err := os.MkdirAll(filepath.Join(floor, d), 0o755); err != nil {
			return err
		}
	}
	bb, err := os.ReadFile(imagetest.HostBusybox)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(floor, "bin/busybox"), bb, 0o755); err != nil {
		return err
	}
	for _, a := range []string{"sh", "echo", "sleep"} {
		if err := os.Symlink("busybox", filepath.Join(floor, "bin", a)); err != nil {
			return err
		}
	}
	if _, err := b.sh("podunit image load /scratch/busybox.tar >/dev/null && systemctl start systemd-machined && " + podman + " load -i /scratch/busybox.tar >/dev/null"); err != nil {
		return err
	}

	var fl, flNoSC, pm []time.Duration
	pu := make([][]time.Duration, len(variants))
	for i := range runs {
		// Interleaved, so drift in the machine's load hits all alike.
		for k, v := range variants {
			d, err := b.podunitStart(v, i)
			if err != nil {
				return err
			}
			pu[k] = append(pu[k], d)
		}
		d, err := b.floorStart(i, true)
		if err != nil {
			return err
		}
		fl = append(fl, d)
		if d, err = b.floorStart(i, false); err != nil {
			return err
		}
		flNoSC = append(flNoSC, d)
		if d, err = b.podmanStart(i); err != nil {
			return err
		}
		pm = append(pm, d)
	}
	podinitRSS, nspawnRSS, err := b.idleMemory(idle)
	if err != nil {
		return err
	}

	fmt.Printf("podunit bench: %d runs each, interleaved, in one booted test host (systemd %s)\n\n", runs, strings.TrimSpace(b.version()))
	fmt.Println("start to first output line in the journal")
	fmt.Printf("  %-52s %10s %10s %8s %8s\n", "", "median", "p90", "/floor", "p90/floor")
	fmt.Printf("  %-52s %10s %10s\n", "floor (systemd-run + systemd-nspawn)", ms(pct(fl, 50)), ms(pct(fl, 90)))
	for k, v := range variants {
		fmt.Printf("  %-52s %10s %10s %7.2fx %7.2fx\n", v.label, ms(pct(pu[k], 50)), ms(pct(pu[k], 90)),
			ratio(pct(pu[k], 50), pct(fl, 50)), ratio(pct(pu[k], 90), pct(fl, 90)))
	}
	fmt.Printf("  %-52s %10s %10s %7.2fx %7.2fx\n", "podman run (peer; hostNetwork, vfs, no cgroups)", ms(pct(pm, 50)), ms(pct(pm, 90)),
		ratio(pct(pm, 50), pct(fl, 50)), ratio(pct(pm, 90), pct(fl, 90)))
	fmt.Printf("  %-52s %10s %10s %7.2fx %7.2fx\n", "floor without nspawn's seccomp (SYSTEMD_SECCOMP=0)", ms(pct(flNoSC, 50)), ms(pct(flNoSC, 90)),
		ratio(pct(flNoSC, 50), pct(fl, 50)), ratio(pct(flNoSC, 90), pct(fl, 90)))
	fmt.Printf("  %-52s %9.2fx %9.2fx\n", "podunit floor's isolation / podman", ratio(pct(pu[0], 50), pct(pm, 50)), ratio(pct(pu[0], 90), pct(pm, 90)))
	fmt.Printf("  %-52s %9.2fx %9.2fx\n", "podunit floor's isolation / floor without seccomp", ratio(pct(pu[0], 50), pct(flNoSC, 50)), ratio(pct(pu[0], 90), pct(flNoSC, 90)))
	fmt.Printf("  %-52s %9.2fx %9.2fx\n", "default network / hostNetwork", ratio(pct(pu[2], 50), pct(pu[1], 50)), ratio(pct(pu[2], 90), pct(pu[1], 90)))
	fmt.Printf("\nresident memory per idle pod (mean of %d pods)\n", idle)
	fmt.Printf("  podinit (pod PID 1)  %6.1f MiB\n", podinitRSS)
	fmt.Printf("  systemd-nspawn       %6.1f MiB\n", nspawnRSS)
	return nil
}

func (b *bench) version() string {
	out, _ := b.sh("systemctl --version | head -1 | cut -d' ' -f2")
	return out
}

// firstLine waits for the unit's first journal line "ready" and returns
// its journal timestamp in nanoseconds. The message is compared trimmed:
// Podman's journald driver keeps the line's newline.
func (b *bench) firstLine(match string) (int64, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := b.sh("journalctl -q -o json --output-fields=MESSAGE " + match)
		for _, line := range strings.Split(out, "\n") {
			var e struct {
				TS  string `json:"__REALTIME_TIMESTAMP"`
				Msg string `json:"MESSAGE"`
			}
			if json.Unmarshal([]byte(line), &e) == nil && strings.TrimSpace(e.Msg) == "ready" {
				us, err := strconv.ParseInt(e.TS, 10, 64)
				return us * 1000, err
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("no ready line for %s", match)
}

func (b *bench) timed(start, match string) (time.Duration, error) {
	out, err := b.sh("date +%s%N; " + start)
	if err != nil {
		return 0, err
	}
	t0, err := strconv.ParseInt(strings.SplitN(out, "\n", 2)[0], 10, 64)
	if err != nil {
		return 0, err
	}
	t1, err := b.firstLine(match)
	if err != nil {
		return 0, err
	}
	return time.Duration(t1 - t0), nil
}

func podYAML(name string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: localhost/busybox:1.35
    command: ["sh", "-c", %q]
`, name, command)
}

// variant is one way of running the same pod: extra spec lines under
// spec:, so each measures exactly what those settings cost.
type variant struct {
	name, label, spec string
}

var variants = []variant{
	// The floor's isolation: the host's network and users.
	{"same", "podunit, floor's isolation (hostNetwork, hostUsers)", "  hostNetwork: true\n  hostUsers: true\n"},
	{"hostnet", "podunit, hostNetwork", "  hostNetwork: true\n"},
	{"default", "podunit, defaults (CNI network, user namespace)", ""},
}

func (b *bench) podunitStart(v variant, i int) (time.Duration, error) {
	name := fmt.Sprintf("bench-%s%d", v.name, i)
	y := strings.Replace(podYAML(name), "spec:\n", "spec:\n"+v.spec, 1)
	if err := os.WriteFile(filepath.Join(b.h.Scratch(), name+".yaml"), []byte(y), 0o644); err != nil {
		return 0, err
	}
	d, err := b.timed("podunit apply -f /scratch/"+name+".yaml >/dev/null", "_SYSTEMD_UNIT=podunit-"+name+".service")
	if err != nil {
		return 0, err
	}
	_, err = b.sh("podunit delete " + name + " >/dev/null")
	return d, err
}

// benchRecipe is the test host plus Debian's Podman, the peer. It is its
// own cached rootfs, so the e2e tests' host stays small.
func benchRecipe() testhost.Recipe {
	r := testhost.DefaultRecipe
	r.Packages = append(append([]string{}, r.Packages...), "podman", "crun")
	return r
}

// podman runs Debian's Podman in the test host. vfs storage and no cgroups:
// inside the test host the cgroup v1 controllers are read-only, and
// Podman's overlay driver falls back to fuse-overlayfs, which has no
// /dev/fuse there. For a one-layer busybox image vfs copies about 1 MB.
const podman = "podman --root /var/lib/podunit/podman --storage-driver vfs"

func (b *bench) podmanStart(i int) (time.Duration, error) {
	name := fmt.Sprintf("pm%d", i)
	start := fmt.Sprintf("%s run -d --name %s --cgroups=disabled --network host --log-driver journald localhost/busybox:1.35 sh -c '%s' >/dev/null", podman, name, command)
	d, err := b.timed(start, "CONTAINER_NAME="+name)
	if err != nil {
		diag, _ := b.sh(podman + " ps -a; " + podman + " logs " + name + " 2>&1; journalctl -q --no-pager -n 15")
		return 0, fmt.Errorf("%w\n%s", err, diag)
	}
	_, err = b.sh(podman + " rm -f -t 0 " + name + " >/dev/null")
	return d, err
}

// floorStart starts the floor; without seccomp, nspawn installs no filter
// of its own, as in podunit's units, where each container has its own.
func (b *bench) floorStart(i int, seccomp bool) (time.Duration, error) {
	unit, env := fmt.Sprintf("floor%d", i), ""
	if !seccomp {
		unit, env = fmt.Sprintf("floornosc%d", i), "-E SYSTEMD_SECCOMP=0 "
	}
	start := fmt.Sprintf("systemd-run -q --unit=%s %s-p Slice=machine.slice -p Delegate=yes -p KillMode=mixed "+
		"systemd-nspawn -q --keep-unit --register=yes --machine=%s --directory=/scratch/floor /bin/sh -c '%s'", unit, env, unit, command)
	d, err := b.timed(start, "_SYSTEMD_UNIT="+unit+".service")
	if err != nil {
		return 0, err
	}
	_, err = b.sh("systemctl stop " + unit + " && systemctl reset-failed " + unit + " 2>/dev/null; true")
	return d, err
}

// idleMemory starts n idle pods and reports the mean VmRSS of their
// podinit and nspawn processes, in MiB.
func (b *bench) idleMemory(n int) (float64, float64, error) {
	var pi, ns float64
	for i := range n {
		name := fmt.Sprintf("idle%d", i)
		if err := os.WriteFile(filepath.Join(b.h.Scratch(), name+".yaml"), []byte(podYAML(name)), 0o644); err != nil {
			return 0, 0, err
		}
		if _, err := b.sh("podunit apply -f /scratch/" + name + ".yaml >/dev/null"); err != nil {
			return 0, 0, err
		}
	}
	time.Sleep(2 * time.Second)
	for i := range n {
		name := fmt.Sprintf("idle%d", i)
		out, err := b.sh(fmt.Sprintf(`leader=$(machinectl show %s -p Leader --value)
main=$(systemctl show podunit-%s.service -p MainPID --value)
grep VmRSS /proc/$leader/status | tr -s ' ' | cut -d' ' -f2
grep VmRSS /proc/$main/status | tr -s ' ' | cut -d' ' -f2`, name, name))
		if err != nil {
			return 0, 0, err
		}
		f := strings.Fields(out)
		if len(f) != 2 {
			return 0, 0, fmt.Errorf("rss of %s: %q", name, out)
		}
		a, _ := strconv.ParseFloat(f[0], 64)
		c, _ := strconv.ParseFloat(f[1], 64)
		pi += a / 1024
		ns += c / 1024
	}
	for i := range n {
		if _, err := b.sh(fmt.Sprintf("podunit delete idle%d >/dev/null", i)); err != nil {
			return 0, 0, err
		}
	}
	return pi / float64(n), ns / float64(n), nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
