package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/internal/golden"
	"github.com/podunit/podunit/nspawn"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

var testDirs = []string{"testdata/etc", "testdata/run"}

// TestGolden generates the units of testdata/{etc,run} and compares each,
// and the list of skipped manifests, with testdata/golden.
func TestGolden(t *testing.T) {
	res := Generate(testDirs, units.DefaultHost)
	var names []string
	for _, u := range res.Units {
		names = append(names, u.Unit.Name)
		golden.Check(t, filepath.Join("testdata/golden", u.Unit.Name), u.Text)
	}
	if got := strings.Join(names, " "); got != "podunit-replaced.service podunit-web.service podunit-worker.service" {
		t.Fatalf("generated %s", got)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, e.Error())
	}
	golden.Check(t, "testdata/golden/errors.txt", strings.Join(errs, "\n")+"\n")
}

// TestSameModel: a generated unit is its pod's transient unit plus exactly
// what only a file can carry. Three checks, each complete:
//   - the models: the generator's units.Unit equals units.Compile's for the
//     same pod in every field, once the file-only fields are accounted for;
//   - the texts: the generator's whole unit file, parsed, is the unit file
//     rendering of the transient model with exactly the file-only options
//     added (After=/Wants=network-online.target, --origin=generator on the
//     prepare line, [Install], [X-Fleet]) and nothing else;
//   - the D-Bus properties apply sends: every property of the transient
//     unit has its option in the generator's file with the same value as
//     systemd reads it back, and every [Unit]/[Service] option of the file
//     that is not file-only comes from one of those properties; for the
//     Exec lines, what systemd runs from the file and from D-Bus (after
//     its exec-time expansion) is the model's command line, word for word.
func TestSameModel(t *testing.T) {
	res := Generate(testDirs, units.DefaultHost)
	if len(res.Units) != len(testdataFileOnly) {
		t.Fatalf("generated %d units, want one for each of %d pods", len(res.Units), len(testdataFileOnly))
	}
	for _, g := range res.Units {
		t.Run(g.Pod, func(t *testing.T) {
			want, ok := testdataFileOnly[g.Pod]
			if !ok {
				t.Fatalf("no expected file-only options for pod %s", g.Pod)
			}
			checkSameModel(t, g, want)
		})
	}
}

// TestSameModelQuoting runs the same checks on a pod whose unit has words
// systemd would split, unquote or resolve (a hostPath with spaces, quotes,
// a backslash, a semicolon and %), every optional setting (limits, extra
// capabilities, tasks-max, a grace period) and several WantedBy targets.
func TestSameModelQuoting(t *testing.T) {
	path := `/srv/my data/100%/"q"/back\slash/it's;x`
	u := generateOdd(t, path)
	if !strings.Contains(u.Text, ` "--bind=/srv/my data/100%%/\"q\"/back\\slash/it's;x:`) {
		t.Fatalf("the unit does not quote the hostPath as this test expects:\n%s", u.Text)
	}
	if !strings.Contains(u.Text, ` "--bind=/srv/two words:`) {
		t.Fatalf("the unit does not quote a word with a space:\n%s", u.Text)
	}
	checkSameModel(t, u, oddFileOnly)
}

// TestSameModelDollar: "$" in a word (here a hostPath) reaches nspawn
// literally from the generator's unit and from the transient unit alike.
// systemd expands "$$" and "${NAME}" in the command lines of transient
// units at exec time as it does in files, so the D-Bus argv needs the same
// escaping as the file's.
func TestSameModelDollar(t *testing.T) {
	u := generateOdd(t, `/srv/a$$b/${HOME}/$HOME`)
	if !strings.Contains(u.Text, " --bind=/srv/a$$$$b/$${HOME}/$$HOME:") {
		t.Fatalf("the unit does not escape the hostPath as this test expects:\n%s", u.Text)
	}
	checkSameModel(t, u, oddFileOnly)
}

var oddFileOnly = fileOnly{
	network:  true,
	wantedBy: "graphical.target multi-user.target",
	fleet:    []units.FleetOption{{Key: "MachineOf", Value: "podunit-db.service"}, {Key: "Global", Value: "true"}},
}

// generateOdd generates the unit of a pod with every optional setting and
// a hostPath volume at path.
func generateOdd(t *testing.T, path string) Unit {
	t.Helper()
	dir := t.TempDir()
	manifest := `apiVersion: v1
kind: Pod
metadata:
  name: odd
  namespace: team-a
  annotations:
    podunit.io/wanted-by: "graphical.target  multi-user.target"
    podunit.io/tasks-max: "99"
    podunit.io/fleet-global: "true"
    podunit.io/fleet-machine-of: podunit-db.service
spec:
  terminationGracePeriodSeconds: 7
  volumes:
  - name: data
    hostPath: {path: '` + strings.ReplaceAll(path, "'", "''") + `', type: DirectoryOrCreate}
  - name: plain
    hostPath: {path: /srv/two words, type: DirectoryOrCreate}
  containers:
  - name: app
    image: localhost/busybox:1.35
    securityContext: {capabilities: {add: [NET_ADMIN]}}
    resources: {limits: {memory: 32Mi, cpu: 1500m}}
    volumeMounts: [{name: data, mountPath: /data}]
`
	if err := os.WriteFile(filepath.Join(dir, "odd.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	res := Generate([]string{dir}, units.DefaultHost)
	if len(res.Errors) != 0 || len(res.Units) != 1 {
		t.Fatalf("generate: %d units, errors %v", len(res.Units), res.Errors)
	}
	u := res.Units[0]
	// The checks must see every optional setting.
	if u.Unit.MemoryMax == 0 || u.Unit.CPUQuotaPercent == 0 || !slices.Contains(u.Unit.ExecStart.Argv, "--bind="+path+":"+contract.HostPathDir("data")) {
		t.Fatalf("the odd pod's unit lacks what this test is about: %+v", u.Unit)
	}
	return u
}

// fileOnly is what a generated unit carries beyond its transient unit.
type fileOnly struct {
	network  bool   // After= and Wants=network-online.target: an image may be pulled
	wantedBy string // [Install] WantedBy=, "" for no [Install]
	fleet    []units.FleetOption
}

// testdataFileOnly lists, from the manifests in testdata, what each
// generated pod must carry beyond its transient unit.
var testdataFileOnly = map[string]fileOnly{
	// No imagePullPolicy, a tag: IfNotPresent, so it may pull.
	"web": {network: true, wantedBy: "multi-user.target"},
	// imagePullPolicy Never and podunit.io/wanted-by: "".
	"worker": {},
	// run/override.yaml's version, with its fleet annotations.
	"replaced": {network: true, wantedBy: "multi-user.target", fleet: []units.FleetOption{
		{Key: "MachineMetadata", Value: "region=eu-west"},
		{Key: "MachineMetadata", Value: "disk=ssd"},
		{Key: "Conflicts", Value: "podunit-replaced*.service"},
	}},
}

func checkSameModel(t *testing.T, g Unit, want fileOnly) {
	t.Helper()
	// The pod as apply would read it: decoded afresh from its manifest.
	pods, err := pod.DecodeFiles([]string{g.Source}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var p *pod.Pod
	for _, q := range pods {
		if q.Metadata.Name == g.Pod {
			p = q
		}
	}
	if p == nil {
		t.Fatalf("pod %s is not in %s", g.Pod, g.Source)
	}
	tu, err := units.Compile(p, units.DefaultHost)
	if err != nil {
		t.Fatal(err)
	}

	// 1. The models.
	gen := *g.Unit
	if gen.Name != tu.Name || gen.Name != "podunit-"+g.Pod+".service" {
		t.Errorf("unit name %s, transient %s", gen.Name, tu.Name)
	}
	if len(gen.ExecStartPre) != len(tu.ExecStartPre) || len(tu.ExecStartPre) == 0 {
		t.Fatalf("ExecStartPre: generated %d commands, transient %d", len(gen.ExecStartPre), len(tu.ExecStartPre))
	}
	pre := tu.ExecStartPre[0].Argv
	wantPre := append(append(slices.Clone(pre[:len(pre)-1]), "--origin="+units.OriginGenerator), pre[len(pre)-1])
	if !slices.Equal(gen.ExecStartPre[0].Argv, wantPre) {
		t.Errorf("prepare command differs beyond --origin:\ngenerated %q\ntransient %q", gen.ExecStartPre[0].Argv, pre)
	}
	var wantNet []string
	if want.network {
		wantNet = []string{"network-online.target"}
	}
	if !slices.Equal(gen.After, wantNet) || !slices.Equal(gen.Wants, wantNet) {
		t.Errorf("After=%q Wants=%q, want %q", gen.After, gen.Wants, wantNet)
	}
	if !slices.Equal(gen.WantedBy, strings.Fields(want.wantedBy)) {
		t.Errorf("WantedBy=%q, want %q", gen.WantedBy, want.wantedBy)
	}
	if !slices.Equal(gen.Fleet, want.fleet) {
		t.Errorf("fleet %v, want %v", gen.Fleet, want.fleet)
	}
	if len(tu.After)+len(tu.Wants)+len(tu.WantedBy)+len(tu.Fleet) != 0 {
		t.Errorf("the transient unit has file-only settings: %+v", tu)
	}
	gen.ExecStartPre = slices.Clone(gen.ExecStartPre)
	gen.ExecStartPre[0] = tu.ExecStartPre[0]
	gen.After, gen.Wants, gen.WantedBy, gen.Fleet = tu.After, tu.Wants, tu.WantedBy, tu.Fleet
	if !reflect.DeepEqual(gen, *tu) {
		t.Errorf("generated model differs from the transient one beyond the file-only settings:\ngenerated %+v\ntransient %+v", gen, *tu)
	}

	// 2. The texts.
	genOpts, comments := parseUnitFile(t, g.Text)
	if want := []string{
		"# Generated by podunit from the same model as its transient unit. Do not edit.",
		"# Source: " + g.Source,
	}; !slices.Equal(comments, want) || !strings.HasPrefix(g.Text, want[0]+"\n"+want[1]+"\n[Unit]\n") {
		t.Errorf("comments %q, want %q at the top", comments, want)
	}
	tuText, err := tu.File()
	if err != nil {
		t.Fatal(err)
	}
	tuOpts, _ := parseUnitFile(t, tuText)
	if diff := diffOptions(genOpts, addFileOnly(t, tuOpts, want)); diff != "" {
		t.Errorf("generated unit file is not the transient unit's file plus the file-only options:\n%s", diff)
	}

	// 3. The D-Bus properties against the generator's file.
	checkProperties(t, tu, stripFileOnly(genOpts))
}

type option struct{ Section, Key, Value string }

func (o option) String() string { return "[" + o.Section + "] " + o.Key + "=" + o.Value }

// parseUnitFile reads unit file text strictly: every line is blank, a
// comment, a section header or Key=Value inside a section (no
// continuation lines: podunit never writes them).
func parseUnitFile(t *testing.T, text string) (opts []option, comments []string) {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Errorf("unit file does not end in a newline")
	}
	section := ""
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			comments = append(comments, line)
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
		case strings.HasSuffix(line, "\\"):
			t.Errorf("line %d continues: %q", i+1, line)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || k == "" || strings.TrimSpace(k) != k {
				t.Errorf("line %d is not an option in a section: %q", i+1, line)
				continue
			}
			opts = append(opts, option{section, k, v})
		}
	}
	return opts, comments
}

func prepareLine(o option) bool {
	return o.Section == "Service" && o.Key == "ExecStartPre" && strings.Contains(o.Value, " internal prepare ")
}

// addFileOnly turns the options of the transient unit's file into the
// options the generator must write.
func addFileOnly(t *testing.T, opts []option, want fileOnly) []option {
	t.Helper()
	var out []option
	lastUnit := -1
	for _, o := range opts {
		if prepareLine(o) {
			i := strings.LastIndex(o.Value, " ")
			o.Value = o.Value[:i] + " --origin=" + units.OriginGenerator + o.Value[i:]
		}
		out = append(out, o)
		if o.Section == "Unit" {
			lastUnit = len(out) - 1
		}
	}
	if lastUnit < 0 {
		t.Fatal("the transient unit's file has no [Unit] section")
	}
	if want.network {
		net := []option{{"Unit", "After", "network-online.target"}, {"Unit", "Wants", "network-online.target"}}
		out = slices.Insert(out, lastUnit+1, net...)
	}
	if want.wantedBy != "" {
		out = append(out, option{"Install", "WantedBy", want.wantedBy})
	}
	for _, f := range want.fleet {
		out = append(out, option{"X-Fleet", f.Key, f.Value})
	}
	return out
}

// stripFileOnly removes from a generated file's options what no transient
// unit has; addFileOnly and the comparison with it have checked them.
func stripFileOnly(opts []option) []option {
	var out []option
	for _, o := range opts {
		switch {
		case o.Section != "Unit" && o.Section != "Service":
			continue
		case o.Section == "Unit" && (o.Key == "After" || o.Key == "Wants") && o.Value == "network-online.target":
			continue
		case prepareLine(o):
			o.Value = strings.Replace(o.Value, " --origin="+units.OriginGenerator+" ", " ", 1)
		}
		out = append(out, o)
	}
	return out
}

func diffOptions(got, want []option) string {
	if slices.Equal(got, want) {
		return ""
	}
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		if g != w {
			fmt.Fprintf(&b, "option %d:\n  got  %s\n  want %s\n", i, g, w)
		}
	}
	return b.String()
}

// D-Bus shapes of the properties, as systemd's own types: (sasb), (sb),
// (aiai).
type execCommand struct {
	Path          string
	Argv          []string
	IgnoreFailure bool
}

type environmentFile struct {
	Path          string
	IgnoreMissing bool
}

type exitStatusSet struct {
	Codes   []int32
	Signals []int32
}

// credential is SetCredential's (say): id, data.
type credential struct {
	ID   string
	Data []byte
}

// fromFile is how systemd turns a unit file's options into one property:
// the values of every option with that key, in order, become the value.
type fromFile struct {
	section, key string
	decode       func(t *testing.T, values []string) any
}

var propertyOptions = map[string]fromFile{
	"Description":              {"Unit", "Description", one(specifiers)},
	"Documentation":            {"Unit", "Documentation", func(t *testing.T, vs []string) any { return fieldsOf(t, vs) }},
	"After":                    {"Unit", "After", func(t *testing.T, vs []string) any { return fieldsOf(t, vs) }},
	"Wants":                    {"Unit", "Wants", func(t *testing.T, vs []string) any { return fieldsOf(t, vs) }},
	"Type":                     {"Service", "Type", one(plain)},
	"Slice":                    {"Service", "Slice", one(plain)},
	"Delegate":                 {"Service", "Delegate", one(yesNo)},
	"KillMode":                 {"Service", "KillMode", one(plain)},
	"Environment":              {"Service", "Environment", environment},
	"EnvironmentFiles":         {"Service", "EnvironmentFile", environmentFiles},
	"SetCredential":            {"Service", "SetCredential", credentials},
	"ExecStartPre":             {"Service", "ExecStartPre", execs},
	"ExecStart":                {"Service", "ExecStart", execs},
	"ExecStopPost":             {"Service", "ExecStopPost", execs},
	"Restart":                  {"Service", "Restart", one(plain)},
	"RestartUSec":              {"Service", "RestartSec", one(seconds)},
	"RestartPreventExitStatus": {"Service", "RestartPreventExitStatus", one(exitCodes)},
	"TimeoutStartUSec":         {"Service", "TimeoutStartSec", one(seconds)},
	"TimeoutStopUSec":          {"Service", "TimeoutStopSec", one(seconds)},
	"TasksMax":                 {"Service", "TasksMax", one(unsigned)},
	"MemoryMax":                {"Service", "MemoryMax", one(unsigned)},
	"MemoryLow":                {"Service", "MemoryLow", one(unsigned)},
	"CPUWeight":                {"Service", "CPUWeight", one(unsigned)},
	"CPUQuotaPerSecUSec":       {"Service", "CPUQuota", one(percent)},
	"LogRateLimitIntervalUSec": {"Service", "LogRateLimitIntervalSec", one(timeSpan)},
	"LogRateLimitBurst":        {"Service", "LogRateLimitBurst", one(unsigned32)},
}

// checkProperties: each property of the transient unit is what systemd
// stores from the file's options for it, and each option serves a
// property. For the Exec lines, what systemd then runs (after its
// exec-time variable expansion) must be the model's command line.
func checkProperties(t *testing.T, tu *units.Unit, opts []option) {
	t.Helper()
	used := make([]bool, len(opts))
	seen := map[string]bool{}
	for _, p := range tu.Properties() {
		if seen[p.Name] {
			t.Errorf("property %s twice", p.Name)
		}
		seen[p.Name] = true
		m, ok := propertyOptions[p.Name]
		if !ok {
			t.Errorf("property %s = %s has no unit file option in this test's table: the file may lack it", p.Name, p.Value)
			continue
		}
		var values []string
		for i, o := range opts {
			if o.Section == m.section && o.Key == m.key {
				values = append(values, o.Value)
				used[i] = true
			}
		}
		fromFile := m.decode(t, values)
		got := dbus.MakeVariant(fromFile)
		if got.Signature() != p.Value.Signature() {
			t.Errorf("property %s: D-Bus signature %s, file %s", p.Name, p.Value.Signature(), got.Signature())
			continue
		}
		if cmds, ok := fromFile.([]execCommand); ok {
			// What runs counts, in both: the two may store "$" differently.
			checkExecution(t, p.Name+" from the unit file", tu, cmds)
			checkExecution(t, p.Name+" from D-Bus", tu, execCommandsOf(p.Value.Value()))
			continue
		}
		if got.String() != p.Value.String() {
			t.Errorf("property %s:\n  D-Bus %s\n  file  %s (from %s=%q)", p.Name, p.Value, got, m.key, values)
		}
	}
	for i, o := range opts {
		if !used[i] {
			t.Errorf("option %s is in the generated file but no transient unit property carries it", o)
		}
	}
}

// checkExecution: the commands systemd stored from the file run as the
// model's commands: every word literal, but for the one variable the model
// means systemd to expand (nspawn.SELinuxArgsVar).
func checkExecution(t *testing.T, what string, tu *units.Unit, stored []execCommand) {
	t.Helper()
	property, _, _ := strings.Cut(what, " ")
	model := map[string][]units.Command{
		"ExecStartPre": tu.ExecStartPre,
		"ExecStart":    {tu.ExecStart},
		"ExecStopPost": tu.ExecStopPost,
	}[property]
	if len(model) != len(stored) {
		t.Errorf("%s: %d commands, %d in the model", what, len(stored), len(model))
		return
	}
	env := map[string]string{nspawn.SELinuxArgsVar: "--selinux-context=a:b:c:s0 --selinux-apifs-context=d:e:f:s0"}
	for _, e := range tu.Environment {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	for i, c := range model {
		var want []string
		for _, w := range c.Argv {
			if w == "$"+nspawn.SELinuxArgsVar {
				want = append(want, strings.Fields(env[nspawn.SELinuxArgsVar])...)
			} else {
				want = append(want, w)
			}
		}
		got := expandArgv(stored[i].Argv, env)
		if !slices.Equal(got, want) {
			t.Errorf("%s: systemd runs\n  %q\nfor the model's\n  %q%s", what, got, want, wordDiff(got, want))
		}
		if stored[i].Path != c.Argv[0] || stored[i].IgnoreFailure != c.IgnoreFailure {
			t.Errorf("%s: path %s, ignore-failure %v; model %s, %v", what, stored[i].Path, stored[i].IgnoreFailure, c.Argv[0], c.IgnoreFailure)
		}
	}
}

func wordDiff(got, want []string) string {
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "\n  word %d: %q, want %q", i, g, w)
		}
	}
	return b.String()
}

// execCommandsOf reads a D-Bus exec property's Go value, whose element
// type the units package keeps to itself.
func execCommandsOf(v any) []execCommand {
	rv := reflect.ValueOf(v)
	out := make([]execCommand, rv.Len())
	for i := range out {
		e := rv.Index(i)
		out[i] = execCommand{
			Path:          e.FieldByName("Path").String(),
			Argv:          e.FieldByName("Argv").Interface().([]string),
			IgnoreFailure: e.FieldByName("IgnoreFailure").Bool(),
		}
	}
	return out
}

// expandArgv is systemd's exec-time expansion of a stored command line
// (replace_env_argv): a word "$NAME" becomes the variable's words (none if
// unset); in other words "${NAME}" becomes its value and "$$" one "$"; any
// other "$" stays.
func expandArgv(argv []string, env map[string]string) []string {
	var out []string
	for _, w := range argv {
		if len(w) > 1 && w[0] == '$' && w[1] != '{' && w[1] != '$' {
			out = append(out, strings.Fields(env[w[1:]])...)
			continue
		}
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			switch {
			case w[i] != '$' || i+1 == len(w):
				b.WriteByte(w[i])
			case w[i+1] == '$':
				b.WriteByte('$')
				i++
			case w[i+1] == '{' && strings.Contains(w[i+2:], "}"):
				end := i + 2 + strings.Index(w[i+2:], "}")
				b.WriteString(env[w[i+2:end]])
				i = end
			default:
				b.WriteByte('$')
			}
		}
		out = append(out, b.String())
	}
	return out
}

func one(f func(t *testing.T, v string) any) func(*testing.T, []string) any {
	return func(t *testing.T, vs []string) any {
		t.Helper()
		if len(vs) != 1 {
			t.Errorf("want exactly one value, got %q", vs)
			return nil
		}
		return f(t, vs[0])
	}
}

func plain(t *testing.T, v string) any {
	if strings.ContainsAny(v, `%$\"' `) {
		t.Errorf("%q: want a plain word", v)
	}
	return v
}

func yesNo(t *testing.T, v string) any {
	switch v {
	case "yes":
		return true
	case "no":
		return false
	}
	t.Errorf("%q: want yes or no", v)
	return nil
}

func unsigned(t *testing.T, v string) any {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Error(err)
	}
	return n
}

func unsigned32(t *testing.T, v string) any { return uint32(unsigned(t, v).(uint64)) }

// timeSpan: a time span with a unit (30s, 1500ms), as µs.
func timeSpan(t *testing.T, v string) any {
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Error(err)
	}
	return uint64(d.Microseconds())
}

// seconds: a time span without a unit is seconds; the property is in µs.
func seconds(t *testing.T, v string) any { return unsigned(t, v).(uint64) * 1e6 }

// percent: CPUQuota=N% is N% of one CPU's time per second, in µs.
func percent(t *testing.T, v string) any {
	n, ok := strings.CutSuffix(v, "%")
	if !ok {
		t.Errorf("CPUQuota=%s: want a percentage", v)
	}
	return unsigned(t, n).(uint64) * 10000
}

func exitCodes(t *testing.T, v string) any {
	s := exitStatusSet{Codes: []int32{}, Signals: []int32{}}
	for _, f := range strings.Fields(v) {
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			t.Error(err)
		}
		s.Codes = append(s.Codes, int32(n))
	}
	return s
}

func fieldsOf(t *testing.T, vs []string) any {
	out := []string{}
	for _, v := range vs {
		out = append(out, strings.Fields(specifiers(t, v).(string))...)
	}
	return out
}

// specifiers resolves what systemd resolves in most settings at load
// time: %% is %, and any other % would be a specifier, which podunit never
// means to write.
func specifiers(t *testing.T, v string) any {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+1 < len(v) && v[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		t.Errorf("%q: unescaped specifier at %d", v, i)
	}
	return b.String()
}

// words splits a value as systemd splits command lines and Environment=
// (extract_first_word with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE|EXTRACT_RELAX),
// after specifier resolution.
func words(t *testing.T, v string) []string {
	t.Helper()
	v = specifiers(t, v).(string)
	var out []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			if i+1 >= len(v) {
				t.Errorf("%q: trailing backslash", v)
				break
			}
			i++
			switch e := v[i]; e {
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case '\\', '"', '\'', ' ', ';':
				cur.WriteByte(e)
			default:
				t.Errorf("%q: escape \\%c this test does not know", v, e)
			}
			inWord = true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Errorf("%q: unterminated quote", v)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// environment: Environment= takes words literally, $ included (systemd
// expands no variables there).
func environment(t *testing.T, vs []string) any {
	out := []string{}
	for _, v := range vs {
		out = append(out, words(t, v)...)
	}
	return out
}

// credentials: SetCredential=ID:DATA, where systemd 252 C-unescapes DATA
// and resolves no specifiers. podunit writes only \\ and \xNN escapes.
func credentials(t *testing.T, vs []string) any {
	out := []credential{}
	for _, v := range vs {
		id, text, ok := strings.Cut(v, ":")
		if !ok || id == "" {
			t.Errorf("SetCredential=%q has no id", v)
			continue
		}
		var data []byte
		for i := 0; i < len(text); i++ {
			switch {
			case text[i] != '\\':
				data = append(data, text[i])
			case strings.HasPrefix(text[i:], `\\`):
				data = append(data, '\\')
				i++
			case strings.HasPrefix(text[i:], `\x`) && i+4 <= len(text):
				b, err := strconv.ParseUint(text[i+2:i+4], 16, 8)
				if err != nil {
					t.Errorf("SetCredential %s: bad escape %q", id, text[i:i+4])
				}
				data = append(data, byte(b))
				i += 3
			default:
				t.Errorf("SetCredential %s: escape podunit does not write at %q", id, text[i:min(i+4, len(text))])
			}
		}
		out = append(out, credential{ID: id, Data: data})
	}
	return out
}

func environmentFiles(t *testing.T, vs []string) any {
	out := []environmentFile{}
	for _, v := range vs {
		path, missingOK := strings.CutPrefix(specifiers(t, v).(string), "-")
		out = append(out, environmentFile{Path: path, IgnoreMissing: missingOK})
	}
	return out
}

// execs: each Exec line is one command, stored as its unquoted words;
// "$" is left for exec time (see expandArgv).
func execs(t *testing.T, vs []string) any {
	out := []execCommand{}
	for _, v := range vs {
		line, ignore := strings.CutPrefix(v, "-")
		argv := words(t, line)
		if len(argv) == 0 {
			t.Errorf("empty command line %q", v)
			continue
		}
		out = append(out, execCommand{Path: argv[0], Argv: argv, IgnoreFailure: ignore})
	}
	return out
}

func TestWrite(t *testing.T) {
	res := Generate(testDirs, units.DefaultHost)
	dir := t.TempDir()
	if err := Write(res, dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"podunit-web.service", "multi-user.target.wants/podunit-web.service", "multi-user.target.wants/podunit-replaced.service", "podunit-worker.service"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("missing %s: %v", want, err)
		}
	}
	// wanted-by "" leaves the pod disabled.
	if _, err := os.Lstat(filepath.Join(dir, "multi-user.target.wants/podunit-worker.service")); err == nil {
		t.Error("podunit-worker.service enabled despite podunit.io/wanted-by: \"\"")
	}
}

func TestMissingDirs(t *testing.T) {
	res := Generate([]string{filepath.Join(t.TempDir(), "none")}, units.DefaultHost)
	if len(res.Units) != 0 || len(res.Errors) != 0 {
		t.Fatalf("missing directory: %+v", res)
	}
}

// TestWarnings: a manifest the generator accepts with warnings yields its
// unit and the warnings, for the journal.
func TestWarnings(t *testing.T) {
	dir := t.TempDir()
	m := "apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec:\n  nodeName: n1\n  containers: [{name: c, image: localhost/busybox:1.35}]\n"
	if err := os.WriteFile(filepath.Join(dir, "w.yaml"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	res := Generate([]string{dir}, units.DefaultHost)
	if len(res.Units) != 1 || len(res.Errors) != 0 {
		t.Fatalf("units %d, errors %v", len(res.Units), res.Errors)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0].String(), filepath.Join(dir, "w.yaml")+":5:13: spec.nodeName: ") {
		t.Errorf("warnings %v", res.Warnings)
	}
}
