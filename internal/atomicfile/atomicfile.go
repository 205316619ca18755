// Package atomicfile writes files that a crash leaves whole or as they
// were: through a temporary file beside the target, written and synced,
// renamed over it, and the directory synced.
package atomicfile

import (
	"os"
	"path/filepath"

	"github.com/rpl-lang/rpl/internal/textcut"
)

// Write writes data to path with mode: after a crash path holds its
// former contents or data, whole. A symlink at path is replaced, not
// followed, and path gets mode whatever it had.
func Write(path string, data []byte, mode os.FileMode) error {
	tmp, err := Stage(path, data, mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// Stage writes data to a new temporary file beside path (created 0600,
// given mode through its descriptor, written and synced), for the
// caller to rename over path (then SyncDir), and returns its name. It
// leaves nothing behind when it fails.
func Stage(path string, data []byte, mode os.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), tempPattern(filepath.Base(path)))
	if err != nil {
		return "", naming(err, path)
	}
	// The mode is set on the open file: set by name once it is closed, a
	// symlink put in its place meanwhile (by whoever may write the
	// directory) was followed, and the file it names given mode.
	err = f.Chmod(mode)
	if err != nil {
		f.Close()
	} else {
		err = write(f, data)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", naming(err, path)
	}
	return f.Name(), nil
}

// closed is called with the name of a file write has written and closed:
// a test's hook, to change the directory at that moment, after which
// nothing may reach the file by its name.
var closed = func(string) {}

// naming is err, an *os.PathError of the temporary file (or of its
// pattern), naming path instead: the file the caller writes, where the
// temporary one is gone ("write x: no space left on device", not
// "write .x.3396076187: ...").
func naming(err error, path string) error {
	if pe, ok := err.(*os.PathError); ok {
		return &os.PathError{Op: pe.Op, Path: path, Err: pe.Err}
	}
	return err
}

// maxTempBase is the most bytes of the target's name a temporary name
// keeps: with the dot before, and the dot and the random digits after
// (at most 10), the name stays under NAME_MAX (255 bytes on the usual
// file systems) whatever the target's length.
const maxTempBase = 200

// tempPattern is the os.CreateTemp pattern of a temporary file beside the
// file named base: ".base.*", base cut to maxTempBase bytes at a
// character's boundary (textcut.Prefix). Cut, the name still shows whose
// it is; the random part keeps it unique.
func tempPattern(base string) string {
	return "." + textcut.Prefix(base, maxTempBase) + ".*"
}

// WriteSynced creates path (it must not exist) with data and mode, synced:
// a file of a new directory that is then synced and renamed into place.
// When it fails after creating path, it removes it: a partial file is
// not left for the caller to find.
func WriteSynced(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := write(f, data); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// WriteNew writes data to path, created with mode (less the umask's
// bits) and exclusively: fs.ErrExist when something, a symlink included,
// is there; a partial file is removed. It is WriteSynced without the
// sync: for a file whose crash matters not (a key pair's, a migrated
// policy's: written again), and for the many files of a new directory
// synced at once after (SyncFS), where one sync a file took 8 s for the
// 4,002 files of a router's last good version of 4,000 tenants.
func WriteNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// write writes data to f, syncs and closes it.
func write(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		closed(f.Name())
	}
	return err
}

// SyncDir syncs the directory dir: the entries made, renamed or removed
// in it are on disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
