package hostcheck

import (
	"os"
	"path/filepath"

	"github.com/podunit/podunit/userns"
)

// usernsCheck: pods get a private user namespace by default; without
// kernel support they run with the host's users.
func usernsCheck(imagesDir string) Check {
	c := Check{Name: "user namespaces"}
	// Before the first image load, probe the filesystem it will be on.
	dir := imagesDir
	for {
		if _, err := os.Stat(dir); err == nil || dir == "/" {
			break
		}
		dir = filepath.Dir(dir)
	}
	if ok, why := userns.Supported(dir); !ok {
		c.Value = why + ": pods run with the host's users"
		c.Fix = "enable user namespaces (sysctl user.max_user_namespaces=15000) and keep /var/lib/podunit on a filesystem with idmapped mounts (ext4, xfs, btrfs, tmpfs; Linux 5.19+)"
		return c
	}
	c.OK, c.Value = true, "pods get a private range of 65536 uids (opt out with spec.hostUsers: true)"
	return c
}
