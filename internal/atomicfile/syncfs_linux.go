package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// SyncFS makes the files written (WriteNew) under dir durable, with
// their directories' entries: on Linux one syncfs(2) of dir's file
// system, which writes every file's data and metadata there and reports
// a write-back error of any. files are the paths written (the other
// systems sync each one).
func SyncFS(dir string, files []string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}
