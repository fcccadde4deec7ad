package initramfs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ModuleName is the name modprobe and /proc/modules use for a module
// file: its base name without ".ko" and compression suffix, dashes as
// underscores.
func ModuleName(path string) string {
	base := filepath.Base(path)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// modIndex is a kernel's modules.dep and modules.builtin.
type modIndex struct {
	deps    map[string][]string // module file (relative to the modules dir) -> the files it needs
	byName  map[string]string   // module name -> its file
	builtin map[string]bool
}

func readModIndex(dir string) (*modIndex, error) {
	idx := &modIndex{deps: map[string][]string{}, byName: map[string]string{}, builtin: map[string]bool{}}
	err := eachLine(filepath.Join(dir, "modules.dep"), func(line string) error {
		file, rest, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("no ':' in %q", line)
		}
		idx.deps[file] = strings.Fields(rest)
		idx.byName[ModuleName(file)] = file
		return nil
	})
	if err != nil {
		return nil, err
	}
	// modules.builtin is optional: a kernel built without modules has none.
	err = eachLine(filepath.Join(dir, "modules.builtin"), func(line string) error {
		idx.builtin[ModuleName(line)] = true
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return idx, nil
}

func eachLine(path string, fn func(string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// resolve returns the module files to load, every dependency before its
// users, for the required and optional module names. A required module
// that is neither a module nor built in is an error; a missing optional
// one is left out. Built-in modules need no file.
func (idx *modIndex) resolve(required, optional []string) ([]string, error) {
	var order []string
	seen := map[string]bool{}
	var visit func(file string, chain []string) error
	visit = func(file string, chain []string) error {
		if seen[file] {
			return nil
		}
		for _, c := range chain {
			if c == file {
				return fmt.Errorf("dependency cycle: %s", strings.Join(append(chain, file), " -> "))
			}
		}
		deps, ok := idx.deps[file]
		if !ok {
			return fmt.Errorf("%s is named in modules.dep as a dependency but has no entry", file)
		}
		for _, d := range deps {
			if err := visit(d, append(chain, file)); err != nil {
				return err
			}
		}
		seen[file] = true
		order = append(order, file)
		return nil
	}
	want := func(name string, must bool) error {
		name = strings.ReplaceAll(name, "-", "_")
		file, ok := idx.byName[name]
		switch {
		case ok:
			return visit(file, nil)
		case idx.builtin[name] || !must:
			return nil
		}
		return fmt.Errorf("kernel module %s: neither a module in modules.dep nor built in", name)
	}
	for _, n := range required {
		if err := want(n, true); err != nil {
			return nil, err
		}
	}
	for _, n := range optional {
		if err := want(n, false); err != nil {
			return nil, err
		}
	}
	return order, nil
}
