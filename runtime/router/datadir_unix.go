//go:build unix

package router

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes the data directory for this process: an exclusive
// lock on DataDirLock, held until release. Another process holding it
// (a router started with the same --data-dir, the default ./data of one
// working directory) is an error naming the directory: two embedded NATS
// servers writing one JetStream store corrupt it, and two routers one
// last good version.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, DataDirLock)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is another running router's (%s is locked): give each router its own --data-dir (its JetStream store and last good version)", dir, path)
		}
		return nil, fmt.Errorf("data directory %s: locking %s: %w", dir, path, err)
	}
	return func() { f.Close() }, nil
}
