// Package generator is podunit's systemd generator: at boot and on every
// daemon-reload, systemd runs it to turn the pod manifests in
// /etc/podunit/pods (and /run/podunit/pods) into podunit-<pod>.service
// units, compiled by the same units package that makes apply's transient
// units. It follows systemd.generator(7): no D-Bus, only its output
// directories written, fast, and it never fails the boot: a bad manifest is
// reported and skipped, and every other pod is still generated.
package generator

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// Dirs are read in order; a pod in a later directory replaces the pod of
// the same name from an earlier one.
var Dirs = []string{"/etc/podunit/pods", "/run/podunit/pods"}

// Unit is one generated unit and the manifest it came from.
type Unit struct {
	Pod    string
	Source string // manifest file
	Unit   *units.Unit
	Text   string
}

// Result is everything one run produces: the units, and the errors of the
// manifests it skipped.
type Result struct {
	Units  []Unit
	Errors []error
}

// Generate reads the manifests in dirs and compiles their units. It does
// not fail as a whole: each problem is one entry of Result.Errors.
func Generate(dirs []string, h units.Host) Result {
	var res Result
	byName := map[string]int{} // pod name -> index in res.Units
	for _, dir := range dirs {
		files, err := manifests(dir)
		if err != nil {
			res.Errors = append(res.Errors, err)
			continue
		}
		seen := map[string]string{} // names from this directory -> file
		for _, f := range files {
			for _, u := range compileFile(f, h, &res) {
				if prev, ok := seen[u.Pod]; ok {
					res.Errors = append(res.Errors, fmt.Errorf("%s: pod %q is already defined in %s; skipped", f, u.Pod, prev))
					continue
				}
				seen[u.Pod] = f
				if i, ok := byName[u.Pod]; ok {
					res.Units[i] = u // a later directory overrides
					continue
				}
				byName[u.Pod] = len(res.Units)
				res.Units = append(res.Units, u)
			}
		}
	}
	sort.Slice(res.Units, func(i, j int) bool { return res.Units[i].Pod < res.Units[j].Pod })
	return res
}

func manifests(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var files []string
	for _, e := range ents {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

func compileFile(file string, h units.Host, res *Result) []Unit {
	b, err := os.ReadFile(file)
	if err != nil {
		res.Errors = append(res.Errors, fmt.Errorf("%s: %w; skipped", file, err))
		return nil
	}
	pods, err := pod.Decode(file, bytes.NewReader(b))
	if err != nil {
		res.Errors = append(res.Errors, fmt.Errorf("%w\n%s: skipped", err, file))
		return nil
	}
	var out []Unit
	for _, p := range pods {
		u, err := units.CompileFile(p, h, units.FileOptions{Origin: units.OriginGenerator})
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("%s:%d: pod %q: %w; skipped", file, p.Source.Line, p.Metadata.Name, err))
			continue
		}
		text, err := u.File()
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("%s: pod %q: %w; skipped", file, p.Metadata.Name, err))
			continue
		}
		text = strings.Replace(text, "\n", "\n# Source: "+file+"\n", 1)
		out = append(out, Unit{Pod: p.Metadata.Name, Source: file, Unit: u, Text: text})
	}
	return out
}

// Write puts the units into the generator's normal-priority output
// directory and enables each for its WantedBy targets with a .wants link,
// since generated units are not installed by `systemctl enable`.
func Write(res Result, dir string) error {
	for _, u := range res.Units {
		path := filepath.Join(dir, u.Unit.Name)
		if err := os.WriteFile(path, []byte(u.Text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		for _, target := range u.Unit.WantedBy {
			wants := filepath.Join(dir, target+".wants")
			if err := os.MkdirAll(wants, 0o755); err != nil {
				return fmt.Errorf("enable %s: %w", u.Unit.Name, err)
			}
			link := filepath.Join(wants, u.Unit.Name)
			if err := os.Symlink(path, link); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("enable %s: %w", u.Unit.Name, err)
			}
		}
	}
	return nil
}

// Fingerprint summarises the manifests in dirs (names, sizes, mtimes), so a
// caller can tell whether they changed while it worked.
func Fingerprint(dirs []string) string {
	var b strings.Builder
	for _, dir := range dirs {
		files, _ := manifests(dir)
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				fmt.Fprintf(&b, "%s %d %d\n", f, fi.Size(), fi.ModTime().UnixNano())
			}
		}
	}
	return b.String()
}
