package images

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/podunit/podunit/internal/inroot"
	"golang.org/x/sys/unix"
)

// Layer unpacking policy
//
// A layer is untrusted input unpacked as root, so every path operation goes
// through a directory fd obtained with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS) relative to the layer root,
// and then acts on a single name component (mkdirat, mknodat, symlinkat,
// linkat, fchownat, utimensat, O_EXCL|O_NOFOLLOW opens). The string checks on
// entry names only exist to give a clear error; the kernel enforces the
// confinement.
//
// Entries whose path goes through a symlink are refused rather than resolved
// inside the root: a tar produced from a real filesystem never contains one,
// so such an entry is an attack or a corrupt layer either way.
//
// Any refused entry aborts the whole layer: the caller unpacks into a staging
// directory and deletes it, so a hostile layer leaves nothing behind and no
// image ever runs with a partially applied layer. Errors name the layer and
// the entry, and wrap ErrUnsafeLayer.
//
// Overlay form: ".wh.<name>" becomes a 0/0 character device <name>, and
// ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory. Whiteouts
// only hide lower layers (OCI image-spec): if this layer also has <name>, the
// real entry wins. trusted.overlay.* and user.overlay.* xattrs from the tar
// are dropped, since they would change how overlayfs interprets the layer
// (redirects, metacopy).
//
// Later entries replace earlier non-directory entries of the same path (tar
// semantics); a directory entry over an existing directory updates its
// metadata; a change between directory and non-directory is refused.

const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	opaqueMarker   = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
)

// resolveFlags go with RESOLVE_IN_ROOT, which inroot.Open always adds.
const resolveFlags = unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_SYMLINKS

// unpackResult describes the uncompressed stream that was unpacked.
type unpackResult struct {
	DiffID string // "sha256:<hex>" of the uncompressed tar
	Size   int64  // bytes of the uncompressed tar
}

// unpackLayer unpacks the layer tar in r (gzip, zstd or uncompressed) into
// the existing directory dest. layer names the layer in errors. On error dest
// is left in an undefined state for the caller to delete.
func unpackLayer(ctx context.Context, r io.Reader, dest, layer string) (unpackResult, error) {
	dec, err := decompress(r)
	if err != nil {
		return unpackResult{}, fmt.Errorf("layer %s: %w", layer, err)
	}
	defer dec.Close()
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(dec, h)}

	rootfd, err := unix.Open(dest, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return unpackResult{}, fmt.Errorf("layer %s: open %s: %w", layer, dest, err)
	}
	defer unix.Close(rootfd)
	u := &unpacker{
		root:     rootfd,
		layer:    layer,
		chown:    os.Geteuid() == 0,
		dirTimes: map[string][2]unix.Timespec{},
		buf:      make([]byte, 128<<10),
	}
	tr := tar.NewReader(cr)
	for {
		if err := ctx.Err(); err != nil {
			return unpackResult{}, fmt.Errorf("layer %s: %w", layer, err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return unpackResult{}, fmt.Errorf("layer %s: read tar: %w", layer, err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return unpackResult{}, fmt.Errorf("layer %s: entry %q: %w", layer, hdr.Name, err)
		}
	}
	if err := u.finish(); err != nil {
		return unpackResult{}, fmt.Errorf("layer %s: %w", layer, err)
	}
	// The end-of-archive padding is part of the stream the DiffID covers.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return unpackResult{}, fmt.Errorf("layer %s: read tar: %w", layer, err)
	}
	return unpackResult{DiffID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: cr.n}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type unpacker struct {
	root  int // O_PATH fd of the layer root
	layer string
	chown bool
	// Directory times are applied last: creating children changes them.
	dirTimes map[string][2]unix.Timespec
	buf      []byte
}

func unsafef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsafeLayer}, args...)...)
}

// entryPath splits a tar name into components, refusing anything that names
// a place outside the layer.
func entryPath(name string) ([]string, error) {
	switch {
	case name == "":
		return nil, unsafef("empty name")
	case strings.IndexByte(name, 0) >= 0:
		return nil, unsafef("NUL byte in name")
	case name[0] == '/':
		return nil, unsafef("absolute path")
	case len(name) >= unix.PathMax:
		return nil, unsafef("name longer than %d bytes", unix.PathMax-1)
	}
	var parts []string
	for _, p := range strings.Split(name, "/") {
		switch {
		case p == "" || p == ".":
			continue
		case p == "..":
			return nil, unsafef("path has a \"..\" component")
		case len(p) > 255:
			return nil, unsafef("name component longer than 255 bytes")
		}
		parts = append(parts, p)
	}
	return parts, nil
}

func openat2(dirfd int, path string, flags uint64) (int, error) {
	return inroot.Open(dirfd, path, flags, resolveFlags)
}

func resolveErr(path string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return unsafef("path %q goes through a symlink", path)
	case errors.Is(err, unix.EXDEV):
		return unsafef("path %q escapes the layer", path)
	case errors.Is(err, unix.ENOTDIR):
		return unsafef("path %q goes through a non-directory", path)
	}
	return fmt.Errorf("open %q: %w", path, err)
}

// openDir returns an O_PATH fd for the directory parts (the root for none),
// creating missing directories (0755, root-owned, as Docker does for
// parents a tar omits) when create is set.
func (u *unpacker) openDir(parts []string, create bool) (int, error) {
	p := "."
	if len(parts) > 0 {
		p = strings.Join(parts, "/")
	}
	fd, err := openat2(u.root, p, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil {
		return fd, nil
	}
	if !create || !errors.Is(err, unix.ENOENT) {
		return -1, resolveErr(p, err)
	}
	cur, err := unix.Dup(u.root)
	if err != nil {
		return -1, err
	}
	for i, c := range parts {
		next, err := openat2(cur, c, unix.O_PATH|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) {
			if err := unix.Mkdirat(cur, c, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(cur)
				return -1, fmt.Errorf("mkdir %q: %w", strings.Join(parts[:i+1], "/"), err)
			}
			next, err = openat2(cur, c, unix.O_PATH|unix.O_DIRECTORY)
		}
		unix.Close(cur)
		if err != nil {
			return -1, resolveErr(strings.Join(parts[:i+1], "/"), err)
		}
		cur = next
	}
	return cur, nil
}

func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// makeRoom clears the way for a new entry named base in dir. It reports
// whether an existing directory should be kept (dir over dir).
func makeRoom(dir int, base string, isDir bool) (keep bool, err error) {
	var st unix.Stat_t
	err = unix.Fstatat(dir, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat: %w", err)
	}
	existingDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case isDir && existingDir:
		return true, nil
	case isWhiteout(&st):
		// A whiteout of this same layer gives way to a real entry.
	case isDir || existingDir:
		return false, unsafef("conflicts with an earlier entry of another type")
	}
	if err := unix.Unlinkat(dir, base, 0); err != nil {
		return false, fmt.Errorf("replace earlier entry: %w", err)
	}
	return false, nil
}

func (u *unpacker) entry(hdr *tar.Header, body io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	parts, err := entryPath(hdr.Name)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		if hdr.Typeflag != tar.TypeDir {
			return unsafef("layer root entry is not a directory")
		}
		if err := u.setMeta(u.root, ".", hdr, -1); err != nil {
			return err
		}
		u.dirTimes["."] = times(hdr)
		return nil
	}
	base := parts[len(parts)-1]
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(parts)
	}
	dir, err := u.openDir(parts[:len(parts)-1], true)
	if err != nil {
		return err
	}
	defer unix.Close(dir)

	switch hdr.Typeflag {
	case tar.TypeDir:
		keep, err := makeRoom(dir, base, true)
		if err != nil {
			return err
		}
		if !keep {
			if err := unix.Mkdirat(dir, base, 0o700); err != nil {
				return fmt.Errorf("mkdir: %w", err)
			}
		}
		if err := u.setMeta(dir, base, hdr, -1); err != nil {
			return err
		}
		u.dirTimes[strings.Join(parts, "/")] = times(hdr)
		return nil
	case tar.TypeReg, tar.TypeGNUSparse: // the reader turns TypeRegA into TypeReg
		if _, err := makeRoom(dir, base, false); err != nil {
			return err
		}
		return u.regular(dir, base, hdr, body)
	case tar.TypeSymlink:
		if _, err := makeRoom(dir, base, false); err != nil {
			return err
		}
		// The target is stored, never followed here: absolute targets are
		// normal and resolve inside the container's root at run time.
		if err := unix.Symlinkat(hdr.Linkname, dir, base); err != nil {
			return fmt.Errorf("symlink: %w", err)
		}
		return u.setMeta(dir, base, hdr, -1)
	case tar.TypeLink:
		return u.hardlink(parts, dir, base, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if _, err := makeRoom(dir, base, false); err != nil {
			return err
		}
		mode := uint32(hdr.Mode) & 0o7777
		switch hdr.Typeflag {
		case tar.TypeChar:
			mode |= unix.S_IFCHR
		case tar.TypeBlock:
			mode |= unix.S_IFBLK
		default:
			mode |= unix.S_IFIFO
		}
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(dir, base, mode, int(dev)); err != nil {
			return fmt.Errorf("mknod: %w", err)
		}
		return u.setMeta(dir, base, hdr, -1)
	}
	return unsafef("unsupported entry type %q", hdr.Typeflag)
}

func (u *unpacker) regular(dir int, base string, hdr *tar.Header, body io.Reader) error {
	fd, err := unix.Openat(dir, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	if _, err := io.CopyBuffer(f, body, u.buf); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return u.setMeta(dir, base, hdr, fd)
}

func (u *unpacker) hardlink(parts []string, dir int, base string, hdr *tar.Header) error {
	tparts, err := entryPath(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
	}
	if len(tparts) == 0 {
		return unsafef("hard link to the layer root")
	}
	if strings.Join(tparts, "/") == strings.Join(parts, "/") {
		return unsafef("hard link to itself")
	}
	tdir, err := u.openDir(tparts[:len(tparts)-1], false)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
	}
	defer unix.Close(tdir)
	tbase := tparts[len(tparts)-1]
	var st unix.Stat_t
	if err := unix.Fstatat(tdir, tbase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return unsafef("hard link target %q is not in this layer", hdr.Linkname)
		}
		return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unsafef("hard link to directory %q", hdr.Linkname)
	}
	if _, err := makeRoom(dir, base, false); err != nil {
		return err
	}
	// Flags 0: a link to a symlink links the symlink itself, never its target.
	if err := unix.Linkat(tdir, tbase, dir, base, 0); err != nil {
		return fmt.Errorf("link to %q: %w", hdr.Linkname, err)
	}
	// The inode's metadata came with the target's own entry.
	return nil
}

func (u *unpacker) whiteout(parts []string) error {
	base := parts[len(parts)-1]
	dir, err := u.openDir(parts[:len(parts)-1], true)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	if base == opaqueMarker {
		if err := unix.Setxattr(procFD(dir), opaqueXattr, []byte("y"), 0); err != nil {
			return fmt.Errorf("mark directory opaque: %w", err)
		}
		return nil
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil // other aufs metadata (.wh..wh.plnk ...), meaningless here
	}
	target := strings.TrimPrefix(base, whiteoutPrefix)
	if target == "" || target == "." || target == ".." {
		return unsafef("whiteout of %q", target)
	}
	var st unix.Stat_t
	err = unix.Fstatat(dir, target, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil {
		return nil // this layer's own entry wins over its whiteout
	}
	if !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("whiteout: %w", err)
	}
	if err := unix.Mknodat(dir, target, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("whiteout: mknod: %w", err)
	}
	return nil
}

func procFD(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

func times(hdr *tar.Header) [2]unix.Timespec {
	m := unix.Timespec{Sec: hdr.ModTime.Unix(), Nsec: int64(hdr.ModTime.Nanosecond())}
	a := m
	if !hdr.AccessTime.IsZero() {
		a = unix.Timespec{Sec: hdr.AccessTime.Unix(), Nsec: int64(hdr.AccessTime.Nanosecond())}
	}
	return [2]unix.Timespec{a, m}
}

// setMeta applies ownership, mode, xattrs and (except for directories) times
// to base in dir. fd, if not -1, is an open write fd of a regular file.
// Order matters: chown clears setuid bits and security.capability, so mode
// and xattrs come after it.
func (u *unpacker) setMeta(dir int, base string, hdr *tar.Header, fd int) error {
	if u.chown {
		if err := unix.Fchownat(dir, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	mode := uint32(hdr.Mode) & 0o7777
	symlink := hdr.Typeflag == tar.TypeSymlink
	var setx func(name string, val []byte) error
	switch {
	case symlink:
		// Symlinks have no mode. lsetxattr acts on the link itself; the
		// parent is reached through its fd, so nothing is resolved by name.
		p := procFD(dir) + "/" + base
		setx = func(n string, v []byte) error { return unix.Lsetxattr(p, n, v, 0) }
	case fd >= 0:
		if err := unix.Fchmod(fd, mode); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
		setx = func(n string, v []byte) error { return unix.Fsetxattr(fd, n, v, 0) }
	default:
		// Directories, devices and fifos: act through an O_PATH fd so that
		// a device is never opened.
		pfd, err := unix.Openat(dir, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open for metadata: %w", err)
		}
		defer unix.Close(pfd)
		var st unix.Stat_t
		if err := unix.Fstat(pfd, &st); err != nil {
			return fmt.Errorf("stat: %w", err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return fmt.Errorf("unexpected symlink")
		}
		p := procFD(pfd)
		if err := unix.Chmod(p, mode); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
		setx = func(n string, v []byte) error { return unix.Setxattr(p, n, v, 0) }
	}
	if err := setXattrs(hdr, setx); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeDir {
		return nil
	}
	ts := times(hdr)
	if err := unix.UtimesNanoAt(dir, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

const paxXattr = "SCHILY.xattr."

func xattrAllowed(name string) bool {
	switch {
	case strings.HasPrefix(name, "trusted.overlay."), strings.HasPrefix(name, "user.overlay."):
		return false
	case strings.HasPrefix(name, "user."), strings.HasPrefix(name, "security."), strings.HasPrefix(name, "trusted."):
		return true
	case name == "system.posix_acl_access", name == "system.posix_acl_default":
		return true
	}
	return false
}

// setXattrs applies the entry's xattrs, skipping those the host refuses
// (no CAP_SYS_ADMIN for trusted.*, filesystem without xattr support).
func setXattrs(hdr *tar.Header, set func(string, []byte) error) error {
	var names []string
	for k := range hdr.PAXRecords {
		if n, ok := strings.CutPrefix(k, paxXattr); ok && xattrAllowed(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names) // deterministic errors
	for _, n := range names {
		err := set(n, []byte(hdr.PAXRecords[paxXattr+n]))
		if err != nil && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("set xattr %s: %w", n, err)
		}
	}
	return nil
}

func (u *unpacker) finish() error {
	paths := make([]string, 0, len(u.dirTimes))
	for p := range u.dirTimes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var parts []string
		if p != "." {
			parts = strings.Split(p, "/")
		}
		fd, err := u.openDir(parts, false)
		if err != nil {
			return fmt.Errorf("entry %q: %w", p, err)
		}
		ts := u.dirTimes[p]
		err = unix.UtimesNanoAt(fd, ".", ts[:], 0)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("entry %q: set times: %w", p, err)
		}
	}
	return nil
}
