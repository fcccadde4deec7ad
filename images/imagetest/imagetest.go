// Package imagetest builds small container images for tests, offline: a
// busybox image made from the host's static /bin/busybox (Debian's
// busybox-static), written as a docker-archive, an OCI archive or an OCI
// layout directory. Output is deterministic: the same options give the same
// image ID, so images built separately share their base layer.
package imagetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// HostBusybox is the static busybox binary copied into images.
var HostBusybox = "/bin/busybox"

// Applets get a symlink /bin/<applet> -> busybox in the base layer.
var Applets = []string{
	"sh", "ash", "echo", "cat", "sleep", "ls", "id", "env", "httpd", "wget",
	"true", "false", "mkdir", "touch", "hostname", "ps", "kill", "printenv",
	"pwd", "rm", "cp", "mv", "ln", "chmod", "chown", "grep", "sed", "head",
	"tail", "wc", "date", "uname", "whoami", "test", "[", "stat", "readlink",
	"find", "xargs", "sort", "uniq", "tr", "cut", "nc", "ip", "ifconfig",
	"ping", "nslookup", "mount", "umount", "df", "du", "free", "top", "dd",
	"seq", "tee", "vi", "yes", "timeout", "nohup", "dirname", "basename",
	"expr", "awk", "rmdir", "sync", "mkfifo", "mknod", "od", "md5sum",
	"sha256sum", "base64", "gzip", "gunzip", "tar", "which", "realpath",
	"printf", "cmp", "diff", "netstat", "logger", "su", "chroot", "usleep",
}

// DefaultPath is the PATH in the image's Env.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Epoch is the mtime of every generated file and the image's creation time,
// unless WithCreated says otherwise; fixed so that builds are reproducible.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Compression of the layers in the written image.
type Compression string

const (
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
	None Compression = "none" // uncompressed, like `docker save`
)

type options struct {
	cfg         v1.Config
	created     time.Time
	layers      [][]Entry
	compression Compression
	noBusybox   bool
}

// Option configures an image.
type Option func(*options)

func WithEntrypoint(args ...string) Option { return func(o *options) { o.cfg.Entrypoint = args } }
func WithCmd(args ...string) Option        { return func(o *options) { o.cfg.Cmd = args } }

// WithEnv appends to the image Env (which starts with DefaultPath).
func WithEnv(env ...string) Option         { return func(o *options) { o.cfg.Env = append(o.cfg.Env, env...) } }
func WithWorkingDir(dir string) Option     { return func(o *options) { o.cfg.WorkingDir = dir } }
func WithUser(user string) Option          { return func(o *options) { o.cfg.User = user } }
func WithCreated(t time.Time) Option       { return func(o *options) { o.created = t } }
func WithCompression(c Compression) Option { return func(o *options) { o.compression = c } }
func WithLabel(k, v string) Option {
	return func(o *options) {
		if o.cfg.Labels == nil {
			o.cfg.Labels = map[string]string{}
		}
		o.cfg.Labels[k] = v
	}
}

// WithLayer adds a layer on top of the previous ones (use Whiteout and
// Opaque entries to test deletions across layers).
func WithLayer(entries ...Entry) Option {
	return func(o *options) { o.layers = append(o.layers, entries) }
}

// WithoutBusybox leaves out the busybox base layer: the image has only the
// WithLayer layers.
func WithoutBusybox() Option { return func(o *options) { o.noBusybox = true } }

// Entry is one tar entry of a layer. Type defaults to a regular file; Mode
// defaults to 0644 for files and 0755 for directories.
type Entry struct {
	Name     string
	Type     byte
	Mode     int64
	Content  string
	Linkname string
	Uid, Gid int
	Xattrs   map[string]string
}

func File(name, content string) Entry { return Entry{Name: name, Content: content} }
func Dir(name string) Entry           { return Entry{Name: name, Type: tar.TypeDir} }
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Linkname: target}
}

// Whiteout deletes p from the layers below.
func Whiteout(p string) Entry {
	dir, base := path.Split(p)
	return Entry{Name: dir + ".wh." + base}
}

// Opaque hides everything the layers below have in dir.
func Opaque(dir string) Entry {
	return Entry{Name: strings.TrimSuffix(dir, "/") + "/.wh..wh..opq"}
}

// LayerTar returns entries as an uncompressed tar stream.
func LayerTar(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:     e.Name,
			Typeflag: e.Type,
			Mode:     e.Mode,
			Linkname: e.Linkname,
			Uid:      e.Uid,
			Gid:      e.Gid,
			ModTime:  Epoch,
		}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
			if hdr.Typeflag == tar.TypeDir {
				hdr.Mode = 0o755
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.Content))
		}
		for k, v := range e.Xattrs {
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords["SCHILY.xattr."+k] = v
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("imagetest: tar entry %q: %w", e.Name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Content); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BaseEntries is the busybox base layer: the binary, applet symlinks,
// /etc/passwd and /etc/group with root, app (1000) and nobody (65534), and
// the usual directories.
func BaseEntries() ([]Entry, error) {
	bb, err := os.ReadFile(HostBusybox)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w (apt-get install busybox-static)", err)
	}
	e := []Entry{
		Dir("bin"), Dir("dev"), Dir("etc"), Dir("home"),
		{Name: "home/app", Type: tar.TypeDir, Mode: 0o755, Uid: 1000, Gid: 1000},
		Dir("proc"), {Name: "root", Type: tar.TypeDir, Mode: 0o700}, Dir("run"),
		Dir("sbin"), Dir("sys"), {Name: "tmp", Type: tar.TypeDir, Mode: 0o1777},
		Dir("usr"), Dir("usr/bin"), Dir("usr/sbin"), Dir("var"),
		{Name: "var/tmp", Type: tar.TypeDir, Mode: 0o1777},
		{Name: "bin/busybox", Mode: 0o755, Content: string(bb)},
		File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"+
			"app:x:1000:1000:app:/home/app:/bin/sh\n"+
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
		File("etc/group", "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n"),
		File("etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"),
		Symlink("usr/bin/env", "/bin/busybox"),
	}
	for _, a := range Applets {
		e = append(e, Symlink("bin/"+a, "busybox"))
	}
	return e, nil
}

func build(oci bool, opts []Option) (v1.Image, error) {
	o := options{
		created:     Epoch,
		compression: Gzip,
		cfg: v1.Config{
			Cmd: []string{"sh"},
			Env: []string{DefaultPath},
		},
	}
	for _, opt := range opts {
		opt(&o)
	}
	var layers [][]Entry
	if !o.noBusybox {
		base, err := BaseEntries()
		if err != nil {
			return nil, err
		}
		layers = append(layers, base)
	}
	layers = append(layers, o.layers...)

	img := empty.Image
	if oci {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	for _, entries := range layers {
		data, err := LayerTar(entries...)
		if err != nil {
			return nil, err
		}
		l, err := newLayer(data, o.compression, oci)
		if err != nil {
			return nil, err
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, fmt.Errorf("imagetest: %w", err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Config = o.cfg
	cf.Created = v1.Time{Time: o.created}
	cf.OS = "linux"
	cf.Architecture = runtime.GOARCH
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	return img, nil
}

func newLayer(data []byte, c Compression, oci bool) (v1.Layer, error) {
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	switch c {
	case None:
		mt := types.DockerUncompressedLayer
		if oci {
			mt = types.OCIUncompressedLayer
		}
		return static.NewLayer(data, mt), nil
	case Zstd:
		return tarball.LayerFromOpener(opener, tarball.WithCompression(compression.ZStd),
			tarball.WithMediaType(types.OCILayerZStd), tarball.WithCompressedCaching)
	case Gzip, "":
		mt := types.DockerLayer
		if oci {
			mt = types.OCILayer
		}
		return tarball.LayerFromOpener(opener, tarball.WithMediaType(mt), tarball.WithCompressedCaching)
	}
	return nil, fmt.Errorf("imagetest: unknown compression %q", c)
}

// Image builds the busybox image (Docker media types) without writing it.
func Image(opts ...Option) (v1.Image, error) { return build(false, opts) }

// OCIImage is Image with OCI media types.
func OCIImage(opts ...Option) (v1.Image, error) { return build(true, opts) }
