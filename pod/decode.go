package pod

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// maxErrors bounds the errors reported per document: past that the user
// is better served fixing the first ones than reading a wall of text.
const maxErrors = 50

// Decode reads a multi-document YAML (or JSON) stream of Pods named file
// (used only in messages), applies defaults and validates each pod. Empty
// documents are skipped. On any problem it returns no pods and every error
// found, each an *Error with file:line:column and field path.
func Decode(file string, r io.Reader) ([]*Pod, error) {
	docs, errs := decodeStream(file, r, nil)
	errs = append(errs, duplicates(docs)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	pods, _ := split(docs)
	return pods, nil
}

// DecodeFiles decodes the pods named by paths, as kubectl apply -f does:
// each path is a file, a directory (its *.yaml, *.yml and *.json files in
// name order, not recursive), or "-" for stdin. A pod name defined twice,
// in one file or across files, is an error. On any problem it returns no
// pods and all errors.
func DecodeFiles(paths []string, stdin io.Reader) ([]*Pod, error) {
	pods, _, err := DecodeAll(paths, stdin, nil)
	return pods, err
}

// DecodeAll is DecodeFiles for streams that mix pods with objects of the
// given kinds, in any order. An object's name may be defined once per
// kind and namespace.
func DecodeAll(paths []string, stdin io.Reader, kinds Kinds) ([]*Pod, []Object, error) {
	var docs []decoded
	var errs []error
	add := func(ds []decoded, es []error) {
		docs = append(docs, ds...)
		errs = append(errs, es...)
	}
	for _, path := range paths {
		if path == "-" {
			if stdin == nil {
				errs = append(errs, &Error{File: "-", Msg: "standard input is not available"})
				continue
			}
			add(decodeStream("-", stdin, kinds))
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !fi.IsDir() {
			add(decodeFile(path, kinds))
			continue
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		found := false
		for _, e := range entries {
			switch filepath.Ext(e.Name()) {
			case ".yaml", ".yml", ".json":
				if !e.IsDir() {
					found = true
					add(decodeFile(filepath.Join(path, e.Name()), kinds))
				}
			}
		}
		if !found {
			errs = append(errs, &Error{File: path, Msg: "directory has no *.yaml, *.yml or *.json files"})
		}
	}
	errs = append(errs, duplicates(docs)...)
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	pods, objs := split(docs)
	return pods, objs, nil
}

func decodeFile(path string, kinds Kinds) ([]decoded, []error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, []error{err}
	}
	defer f.Close()
	return decodeStream(path, f, kinds)
}

// decoded is a valid pod or object with where its name was written, so a
// duplicate can point at both definitions.
type decoded struct {
	pod    *Pod
	obj    Object
	file   string
	nameAt position
}

type position struct{ line, column int }

func split(docs []decoded) ([]*Pod, []Object) {
	var pods []*Pod
	var objs []Object
	for _, d := range docs {
		if d.pod != nil {
			pods = append(pods, d.pod)
		} else {
			objs = append(objs, d.obj)
		}
	}
	return pods, objs
}

func duplicates(docs []decoded) []error {
	var errs []error
	first := map[string]decoded{}
	for _, d := range docs {
		key, what := d.identity()
		if prev, ok := first[key]; ok {
			errs = append(errs, &Error{
				File: d.file, Line: d.nameAt.line, Column: d.nameAt.column,
				Field: "metadata.name",
				Msg:   fmt.Sprintf("%s is already defined at %s", what, location(prev.file, prev.nameAt.line, prev.nameAt.column)),
			})
			continue
		}
		first[key] = d
	}
	return errs
}

// identity is what must be unique among documents: a pod's name (unit and
// machine names carry no namespace), an object's kind, namespace and name.
func (d decoded) identity() (key, what string) {
	if d.obj != nil {
		m := d.obj.Meta()
		return d.obj.Kind() + " " + m.Namespace + "/" + m.Name, fmt.Sprintf("%s %q in namespace %q", d.obj.Kind(), m.Name, m.Namespace)
	}
	return "Pod " + d.pod.Metadata.Name, fmt.Sprintf("pod %q", d.pod.Metadata.Name)
}

var yamlLineError = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are the yaml.v3 parser (not scanner) errors. yaml.v3
// reports their line 0-based, and not at all when it is 0; scanner errors
// come 1-based.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// syntaxError turns a yaml.v3 message ("yaml: line 3: did not find
// expected key") into an *Error carrying the file and line.
func syntaxError(file string, err error) *Error {
	m := yamlLineError.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: file, Msg: "invalid YAML: " + err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	if parserProblems[m[2]] {
		line++
	}
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
}

// decodeStream decodes every document; it returns the valid pods and the
// errors of the others.
func decodeStream(file string, r io.Reader, kinds Kinds) ([]decoded, []error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []error{&Error{File: file, Msg: err.Error()}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []decoded
	var errs []error
	for {
		var doc yaml.Node
		if err := parseDocument(dec, &doc); err != nil {
			if err != io.EOF {
				errs = append(errs, syntaxError(file, err))
			}
			// The parser cannot resynchronise after a syntax error.
			break
		}
		dd, derrs := decodeDocument(file, &doc, kinds)
		if len(derrs) > 0 {
			errs = append(errs, derrs...)
			continue
		}
		if dd.pod != nil || dd.obj != nil {
			docs = append(docs, dd)
		}
	}
	return docs, errs
}

// parseDocument guards against a panic in the YAML parser: a manifest is
// untrusted input and must never crash the caller.
func parseDocument(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	return dec.Decode(doc)
}

// decodeDocument decodes, defaults and validates one document: a Pod, or
// an object of one of kinds. It returns neither and no errors for an
// empty document.
func decodeDocument(file string, doc *yaml.Node, kinds Kinds) (decoded, []error) {
	root := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return decoded{}, nil
		}
		root = doc.Content[0]
	}
	if isNull(root) {
		return decoded{}, nil
	}
	d := &decoder{file: file, pos: map[string]position{}, merging: map[*yaml.Node]bool{}}
	d.budget = max(10000, 10*countNodes(root))
	if root.Kind != yaml.MappingNode {
		d.errorAt(root, "", "expected a "+kindNames(kinds)+" manifest (a mapping), got "+describe(root))
		return decoded{}, d.errs
	}
	var obj Object
	if kind := peekKind(root); kind != nil && kind.Value != "Pod" {
		newObj, ok := kinds[kind.Value]
		if !ok {
			// Anything else would drown this one error in unknown fields.
			d.errorAt(kind, "kind", fmt.Sprintf("unsupported value %q (want %s)", truncate(kind.Value), kindNames(kinds)))
			return decoded{}, d.errs
		}
		obj = newObj()
	}
	src := Source{File: file, Line: root.Line, pos: d.pos}
	v := &validator{file: file, line: root.Line, pos: d.pos}
	out := decoded{file: file}
	if obj != nil {
		obj.SetSource(src)
		d.value(root, "", reflect.ValueOf(obj).Elem(), false)
		if !d.exhausted {
			obj.Default()
			obj.Check(&Checker{v: v})
		}
		out.obj = obj
	} else {
		p := &Pod{Source: src}
		d.value(root, "", reflect.ValueOf(p).Elem(), false)
		if !d.exhausted {
			p.Default()
			p.validate(v)
		}
		out.pod = p
	}
	if d.exhausted {
		// A partial expansion: validating it reports noise.
		return decoded{}, mergeErrors(d.errs, nil)
	}
	errs := mergeErrors(d.errs, v.errs)
	if len(errs) > 0 {
		return decoded{}, errs
	}
	if out.pod != nil {
		slices.SortStableFunc(v.warnings, func(a, b *Warning) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		out.pod.Warnings = v.warnings
	}
	out.nameAt = d.pos["metadata.name"]
	return out, nil
}

// mergeErrors combines decoding and validation errors in document order.
// A validation error at or below a field that failed to decode is a
// consequence of that failure (a mistyped list then looks empty), so it
// is dropped.
func mergeErrors(decodeErrs, validateErrs []error) []error {
	errs := slices.Clone(decodeErrs)
	for _, ve := range validateErrs {
		if !coveredBy(ve.(*Error).Field, decodeErrs) {
			errs = append(errs, ve)
		}
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		ea, eb := a.(*Error), b.(*Error)
		if (ea.Line == 0) != (eb.Line == 0) {
			return cmp.Compare(eb.Line, ea.Line) // unknown positions last
		}
		return cmp.Or(cmp.Compare(ea.Line, eb.Line), cmp.Compare(ea.Column, eb.Column))
	})
	// A mapping merged (<<) into several places repeats its errors.
	errs = slices.CompactFunc(errs, func(a, b error) bool { return a.Error() == b.Error() })
	if len(errs) > maxErrors {
		first := errs[0].(*Error)
		errs = append(errs[:maxErrors], &Error{File: first.File, Msg: "too many errors"})
	}
	return errs
}

func coveredBy(field string, errs []error) bool {
	for _, e := range errs {
		f := e.(*Error).Field
		if field == f || strings.HasPrefix(field, f+".") || strings.HasPrefix(field, f+"[") {
			return true
		}
	}
	return false
}

func peekKind(root *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "kind" && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
			return v
		}
	}
	return nil
}

// countNodes sizes a document without following aliases, the base for the
// alias expansion budget. Depth is bounded by the parser (10000 levels).
func countNodes(n *yaml.Node) int {
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch)
	}
	return c
}

// decoder walks yaml.Nodes into the types of types.go by reflection,
// recording every problem and the position of every field it sets.
type decoder struct {
	file string
	errs []error
	pos  map[string]position // field path → position of its value
	// Aliases can make a small document expand exponentially ("billion
	// laughs"); visits counts nodes decoded, aliases included, against
	// budget, a multiple of the document's size.
	visits, budget int
	exhausted      bool
	// merging holds the mappings being merged, to catch a mapping that
	// merges itself (&m {<<: *m}), which YAML parsers accept.
	merging map[*yaml.Node]bool
}

func (d *decoder) errorAt(n *yaml.Node, field, msg string) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Field: field, Msg: msg})
}

func (d *decoder) spend(n *yaml.Node) bool {
	if d.exhausted {
		return false
	}
	d.visits++
	if d.visits > d.budget {
		d.exhausted = true
		d.errorAt(n, "", "document expands too many aliases")
		return false
	}
	return true
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func child(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// value decodes n into v. quantity marks a Kubernetes quantity string,
// which may also be written as a YAML number.
func (d *decoder) value(n *yaml.Node, path string, v reflect.Value, quantity bool) {
	if !d.spend(n) {
		return
	}
	// Alias uses point at where the alias is written, not the anchor.
	if _, ok := d.pos[path]; !ok && path != "" {
		d.pos[path] = position{n.Line, n.Column}
	}
	n = resolve(n)
	if isNull(n) {
		// As in Kubernetes (JSON null): null leaves the zero value.
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.value(n, path, e.Elem(), quantity)
		v.Set(e)
	case reflect.String:
		d.scalarString(n, path, v, quantity)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.errorAt(n, path, "expected a boolean (true or false), got "+describe(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.errorAt(n, path, "expected a boolean (true or false), got "+describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int64:
		d.scalarInt(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorAt(n, path, "expected a list, got "+describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			d.value(e, path+"["+strconv.Itoa(i)+"]", s.Index(i), quantity)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorAt(n, path, "expected a mapping, got "+describe(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, kv := range d.pairs(n, path) {
			kpath := path + "[" + strconv.Quote(kv.key.Value) + "]"
			d.pos[kpath] = position{kv.key.Line, kv.key.Column}
			e := reflect.New(v.Type().Elem()).Elem()
			d.value(kv.val, kpath, e, false)
			m.SetMapIndex(reflect.ValueOf(kv.key.Value), e)
		}
		v.Set(m)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.errorAt(n, path, "expected a mapping, got "+describe(n))
			return
		}
		t := v.Type()
		for _, kv := range d.pairs(n, path) {
			name := kv.key.Value
			fpath := child(path, name)
			i := fieldIndex(t, name)
			switch {
			case i >= 0:
				if isNull(resolve(kv.val)) && kv.val.Value == "" {
					// An empty value has no position of its own.
					d.pos[fpath] = position{kv.key.Line, kv.key.Column}
				}
				d.value(kv.val, fpath, v.Field(i), takesNumber(t, name))
			case isNotSupported(t, name):
				d.errorAt(kv.key, fpath, notSupportedMsg(t, name))
			default:
				d.errorAt(kv.key, fpath, fmt.Sprintf("unknown field %q", name))
			}
		}
	default:
		// Only reachable if types.go gains a field of a kind not handled
		// above; fail loudly in tests rather than decode silently.
		d.errorAt(n, path, fmt.Sprintf("internal error: cannot decode into %s", v.Type()))
	}
}

func (d *decoder) scalarString(n *yaml.Node, path string, v reflect.Value, quantity bool) {
	ok := false
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str", "!!timestamp":
			ok = true
		case "!!int", "!!float":
			ok = quantity
		}
	}
	if !ok {
		msg := "expected a string, got " + describe(n)
		switch n.ShortTag() {
		case "!!int", "!!float", "!!bool":
			msg += " (quote it)"
		}
		d.errorAt(n, path, msg)
		return
	}
	if !utf8.ValidString(n.Value) {
		// JSON, and so the canonical form, cannot represent it.
		d.errorAt(n, path, "string is not valid UTF-8")
		return
	}
	v.SetString(n.Value)
}

var integerLiteral = regexp.MustCompile(`^[-+]?[0-9_]+$`)

func (d *decoder) scalarInt(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && integerLiteral.MatchString(n.Value) {
		d.errorAt(n, path, fmt.Sprintf("integer %s is out of range", truncate(n.Value)))
		return
	}
	var i int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		d.errorAt(n, path, "expected an integer, got "+describe(n))
		return
	}
	v.SetInt(i)
}

type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries, reporting duplicate and non-scalar keys
// and applying YAML merge keys (<<): explicit keys win over merged ones,
// and earlier merged mappings over later ones.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	seen := map[string]*yaml.Node{}
	var out, merges []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if !d.spend(k) {
			return nil
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, pair{k, val})
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorAt(k, path, "mapping key must be a string, got "+describe(k))
			continue
		}
		if !utf8.ValidString(k.Value) {
			d.errorAt(k, path, "mapping key is not valid UTF-8")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorAt(k, child(path, k.Value), fmt.Sprintf("duplicate key (first at line %d)", first.Line))
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, val})
	}
	for _, m := range merges {
		src := resolve(m.val)
		var maps []*yaml.Node
		switch src.Kind {
		case yaml.MappingNode:
			maps = []*yaml.Node{src}
		case yaml.SequenceNode:
			for _, e := range src.Content {
				maps = append(maps, resolve(e))
			}
		}
		for _, mm := range maps {
			if mm.Kind != yaml.MappingNode {
				d.errorAt(m.key, path, "merge (<<) value must be a mapping or a list of mappings")
				break
			}
			if d.merging[mm] {
				d.errorAt(m.key, path, "merge (<<) includes the mapping that contains it")
				break
			}
			d.merging[mm] = true
			merged := d.pairs(mm, path)
			delete(d.merging, mm)
			for _, kv := range merged {
				if _, ok := seen[kv.key.Value]; !ok {
					seen[kv.key.Value] = kv.key
					out = append(out, kv)
				}
			}
		}
		if len(maps) == 0 {
			d.errorAt(m.key, path, "merge (<<) value must be a mapping or a list of mappings")
		}
	}
	return out
}

// describe names a node's YAML type and value for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!str", "!!timestamp":
			return "string " + strconv.Quote(truncate(n.Value))
		case "!!int", "!!float":
			return "number " + truncate(n.Value)
		case "!!bool":
			return "boolean " + n.Value
		case "!!null":
			return "null"
		default:
			return tag + " " + strconv.Quote(truncate(n.Value))
		}
	}
	return "an alias"
}

func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
