package podinit

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/userns"
)

// The pod's user namespace is podinit's, not nspawn's: nspawn 252 cannot
// join the pod's CNI network namespace (owned by the host's user
// namespace) from inside a user namespace of its own. podinit itself runs
// as the host's root; each container's helper is cloned into a new user
// namespace with the pod's mapping (container ids 0-65535 are host ids
// base to base+65535), so every container of the pod has the same users.

// idmappedImages is where the pod's image store appears idmapped: the
// layers' root-owned files are owned by the container's root, while the
// layers themselves stay shared and unchanged on disk. It lives in the
// pod's own root directory, which the host removes when the pod stops.
const idmappedImages = "/.podinit-images"

// podUIDBase is the base every container shares (the host gives all the
// same), 0 for a pod without a user namespace.
func podUIDBase(p *contract.Plan) uint32 {
	for _, c := range append(append([]contract.Container{}, p.InitContainers...), p.Containers...) {
		if c.Security != nil && c.Security.UIDBase != 0 {
			return c.Security.UIDBase
		}
	}
	return 0
}

// setupUserNS mounts the image store idmapped for the pod's mapping and
// points every container's layers at it.
func setupUserNS(p *contract.Plan) error {
	base := podUIDBase(p)
	if base == 0 {
		return nil
	}
	nsfd, err := userns.NSFD(base)
	if err != nil {
		return err
	}
	defer unix.Close(nsfd)
	tree, err := userns.IdmapTree(contract.ImagesDir, nsfd)
	if err != nil {
		return fmt.Errorf("user namespace: %w", err)
	}
	defer unix.Close(tree)
	if err := os.MkdirAll(idmappedImages, 0o700); err != nil {
		return fmt.Errorf("user namespace: %w", err)
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, idmappedImages, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("user namespace: attach the idmapped image store: %w", err)
	}
	for _, list := range [][]contract.Container{p.InitContainers, p.Containers} {
		for i := range list {
			for j, l := range list[i].Layers {
				if rest, ok := strings.CutPrefix(l, contract.ImagesDir+"/"); ok {
					list[i].Layers[j] = idmappedImages + "/" + rest
				}
			}
		}
	}
	return nil
}
