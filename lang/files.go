package lang

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// NotFoundError is a path given to SourceFiles that does not exist.
type NotFoundError struct{ Path string }

func (e *NotFoundError) Error() string { return e.Path + ": no such file or directory" }

// ReadFile reads the file at path, as os.ReadFile does, refusing one that
// is not a regular file (following symlinks): a named pipe would block
// the reader until something writes to it (a router's load, rplc check),
// and a device would be read without end. The error is an *fs.PathError
// saying what the file is.
func ReadFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if m := fi.Mode(); !m.IsRegular() && !m.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("not a regular file (%s)", ModeKind(m))}
	}
	return os.ReadFile(path)
}

// ModeKind names the kind of file of mode m, which is no regular file
// and no directory: "a named pipe", "a socket", "a character device".
func ModeKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// Hidden reports whether a file or directory name is hidden (starts with
// '.'). A policy tree's hidden entries are no part of it: an editor's
// lock file such as emacs's .#x.rpl, often a dangling symlink, is no
// policy, nor is a hidden draft; a hidden directory is not entered.
func Hidden(name string) bool { return strings.HasPrefix(name, ".") }

// WalkPolicyTree walks the policy tree of the directory root, as
// filepath.WalkDir does (in lexical order, fn's error stopping the walk
// or skipping a directory), calling fn for root and for each entry under
// it that is not Hidden; a hidden directory is not entered. root may be
// a symlink to the directory (a blue/green deployment's current link):
// it is resolved once and its target is walked, one target whatever a
// swap of the link does meanwhile. Symlinks under root are not followed.
// fn is given the entry's path in the target and its path relative to
// root, slash-separated ("." for root), with which a caller names the
// entry through root or keys it. A root that is not a directory is an
// error.
func WalkPolicyTree(root string, fn func(path, rel string, d fs.DirEntry, err error) error) error {
	target, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: not a directory", root)
	}
	return filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		rel, rerr := filepath.Rel(target, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if d != nil && rel != "." && Hidden(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return fn(p, rel, d, err)
	})
}

// SourceFiles expands command-line paths into absolute paths of source
// files: a file is taken as given; a directory (or a symlink to one, a
// deployment's current link, whose files are named through the link) is
// walked recursively for *.rpl files, skipping hidden files and
// directories (WalkPolicyTree). The result is sorted and has no
// duplicates. A path that does not exist is a *NotFoundError.
func SourceFiles(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, arg := range paths {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, &NotFoundError{arg}
			}
			return nil, fmt.Errorf("%s: %v", arg, unwrapPathError(err)) // a link loop: named as given
		}
		if !fi.IsDir() {
			add(abs)
			continue
		}
		err = WalkPolicyTree(abs, func(_, rel string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(rel, ".rpl") {
				add(filepath.Join(abs, filepath.FromSlash(rel)))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// NoFiles is the error RPL218 about dir, a directory named that holds no
// .rpl file: about the whole directory, line 0, as a file that cannot be
// read, dir made absolute (shown relative to the working directory, as
// the other files are).
func NoFiles(dir string) *Diagnostic {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return &Diagnostic{File: NewFile(dir, nil), Span: Span{Start: NoPos, End: NoPos},
		Severity: SevError, Code: CodeNoFiles, Message: "no .rpl files in this directory"}
}
