// Package fsfull turns a full filesystem's terse ENOSPC (or EDQUOT) into
// an error that says which of podunit's directories filled up and how
// much is left, since the failing write is usually a temporary file whose
// name tells the user nothing.
package fsfull

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Explain wraps err when it is a full filesystem or quota, naming dir
// (the podunit directory whose filesystem the write was on) and its free
// space; any other error is returned as it is.
func Explain(err error, what, dir string) error {
	if !errors.Is(err, unix.ENOSPC) && !errors.Is(err, unix.EDQUOT) {
		return err
	}
	var st unix.Statfs_t
	free := ""
	if unix.Statfs(dir, &st) == nil {
		free = fmt.Sprintf(", %d KiB free", st.Bavail*uint64(st.Bsize)/1024)
	}
	return fmt.Errorf("%w\n%s: the filesystem of %s is full%s: free space there and run the command again (nothing was half-written)", err, what, dir, free)
}
