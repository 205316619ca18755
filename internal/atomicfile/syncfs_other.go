//go:build !linux

package atomicfile

import "os"

// SyncFS makes the files written (WriteNew) under dir durable: each one
// synced (Linux syncs dir's file system at once). Their directories are
// the caller's to sync (SyncDir).
func SyncFS(dir string, files []string) error {
	for _, name := range files {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
