//go:build unix

package main

import (
	"bytes"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNamedPipeInTree: a named pipe among a tree's .rpl files is refused
// by fmt and check, saying what it is: fmt read it and blocked until
// something wrote to it.
func TestNamedPipeInTree(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../examples/policies/default.rpl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "default.rpl"), src, 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.rpl"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"fmt", "--check", dir}, {"check", dir}} {
		var out, errb bytes.Buffer
		done := make(chan int, 1)
		go func() { done <- run(args, nil, &out, &errb) }()
		select {
		case code := <-done:
			if all := out.String() + errb.String(); code != exitFail || !strings.Contains(all, "not a regular file (a named pipe)") {
				t.Errorf("%s: exit %d: %s", args[0], code, all)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s: still reading the pipe after a minute", args[0])
		}
	}
}

// readFIFO opens the FIFO path for reading and returns what writers write
// to it until done is called: a writer of the test's own holds it open
// meanwhile, so that reading waits for the command's writes and ends,
// empty, when the command never opened it.
func readFIFO(t *testing.T, path string) (done func() []byte) {
	t.Helper()
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	return func() []byte {
		w.Close()
		return <-got
	}
}

// untimed is a JUnit report with its times and timestamps left out, which
// differ from run to run.
func untimed(report []byte) []byte {
	return junitTimes.ReplaceAll(report, []byte(`$1=""`))
}

var junitTimes = regexp.MustCompile(`(time|timestamp)="[^"]*"`)

// TestOutputToSpecialFile: build -o, test --junit and --coverprofile
// write a FIFO (named, or through a symlink) in place, as a shell's >
// does, and leave it a FIFO (and the link a link); renamed over, it was
// replaced by a regular file and its reader got nothing. A symlink to a
// regular file is followed, the link kept; a dangling one gets its file.
// As root, a character device made here (a null device) is written and
// stays one, where the system's /dev/null was replaced.
func TestOutputToSpecialFile(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "0")
	dir := t.TempDir()
	policies := filepath.Join(dir, "policies")
	os.Mkdir(policies, 0o755)
	for _, f := range []string{"default.rpl", "default_test.rpl"} {
		src, err := os.ReadFile(filepath.Join(examplesDir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(policies, f), src, 0o644)
	}
	cmds := map[string]func(out string) []string{
		"build -o":            func(out string) []string { return []string{"build", "-o", out, policies} },
		"test --junit":        func(out string) []string { return []string{"test", "--junit", out, policies} },
		"test --coverprofile": func(out string) []string { return []string{"test", "--coverprofile", out, policies} },
	}
	runOK := func(args []string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(args, nil, &out, &errb); code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
	}
	for name, args := range cmds {
		// What the command writes to a regular file.
		plain := filepath.Join(dir, "plain")
		runOK(args(plain))
		want, err := os.ReadFile(plain)
		if err != nil || len(want) == 0 {
			t.Fatalf("%s: regular file: %q, %v", name, want, err)
		}
		os.Remove(plain)

		fifo := filepath.Join(dir, "fifo")
		link := filepath.Join(dir, "link")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Symlink("fifo", link)
		for _, target := range []string{fifo, link} {
			done := readFIFO(t, fifo)
			runOK(args(target))
			if got := done(); !bytes.Equal(untimed(got), untimed(want)) {
				t.Errorf("%s %s: the FIFO's reader got %d bytes, want the %d written to a file", name, filepath.Base(target), len(got), len(want))
			}
			if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
				t.Errorf("%s %s: the FIFO is now %v (%v)", name, filepath.Base(target), fi.Mode().Type(), err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode().Type() != fs.ModeSymlink {
				t.Errorf("%s %s: the link to the FIFO is now %v (%v)", name, filepath.Base(target), fi.Mode().Type(), err)
			}
		}

		// A symlink to a regular file: the file it names is replaced, the
		// link kept; a dangling one: its file is created.
		file, flink, dangling := filepath.Join(dir, "file"), filepath.Join(dir, "flink"), filepath.Join(dir, "dangling")
		os.WriteFile(file, []byte("old"), 0o644)
		os.Symlink("file", flink)
		os.Symlink("made", dangling)
		for _, target := range []string{flink, dangling} {
			runOK(args(target))
			if fi, err := os.Lstat(target); err != nil || fi.Mode().Type() != fs.ModeSymlink {
				t.Errorf("%s %s: the link is now %v (%v)", name, filepath.Base(target), fi.Mode().Type(), err)
			}
			if got, err := os.ReadFile(target); !bytes.Equal(untimed(got), untimed(want)) {
				t.Errorf("%s %s: the file linked holds %q (%v)", name, filepath.Base(target), got, err)
			}
		}

		if os.Geteuid() == 0 && runtime.GOOS == "linux" {
			null := filepath.Join(dir, "null")
			if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3 /* Linux: major 1, minor 3 */); err != nil {
				t.Fatal(err)
			}
			runOK(args(null))
			if fi, err := os.Lstat(null); err != nil || fi.Mode().Type() != fs.ModeDevice|fs.ModeCharDevice {
				t.Errorf("%s: the null device is now %v (%v)", name, fi.Mode().Type(), err)
			}
			os.Remove(null)
		}
		for _, f := range []string{fifo, link, file, flink, dangling, filepath.Join(dir, "made")} {
			os.Remove(f)
		}
	}
}

// TestKeygenRefusesFIFO: keygen --force refuses a KEY or KEY.pub that is
// a FIFO (or device, or socket), which it replaced with a key, as it did
// a device (as root, /dev/null).
func TestKeygenRefusesFIFO(t *testing.T) {
	for _, fifo := range []string{"k", "k.pub"} {
		dir := t.TempDir()
		k, p := filepath.Join(dir, "k"), filepath.Join(dir, fifo)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		code := run([]string{"keygen", "-o", k, "--force"}, nil, io.Discard, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), p+" is a named pipe, not a key file") {
			t.Errorf("keygen --force with a FIFO for %s: %d %s, want 2 saying it is a named pipe", fifo, code, stderr.String())
		}
		if fi, err := os.Lstat(p); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
			t.Errorf("%s is now %v (%v)", fifo, fi.Mode().Type(), err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("left in the directory: %v, want the FIFO alone", ents)
		}
	}
}

// TestOutputToStdoutFile: a --junit that is the regular file standard
// output goes to (/dev/stdout when redirected to a file) gets the report
// after what rplc printed there; renamed over, the file held the report
// alone, and the summary went to the file unlinked.
func TestOutputToStdoutFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.txt")
	code, errb := runToStdoutFile(t, out, "test", "--junit", out, filepath.Join(examplesDir, "default.rpl"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got, _ := os.ReadFile(out)
	summary, report, ok := strings.Cut(string(got), "<?xml")
	if !ok || !summaryLine.MatchString(summary) || !strings.HasSuffix(report, "</testsuites>\n") {
		t.Errorf("standard output's file holds %q, want the summary, then the report", got)
	}
}

// TestJUnitAndProfileToOneNode: --junit and --coverprofile may name one
// character device (/dev/null), which takes both; they were refused as one
// file, which the second write replaced. A FIFO is still refused: its
// reader ends at the first write's close.
func TestJUnitAndProfileToOneNode(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"test", "--junit", fifo, "--coverprofile", fifo, examplesDir}, nil, &out, &errb); code != exitUsage ||
		!strings.Contains(errb.String(), "is the --coverprofile file too") {
		t.Errorf("one FIFO for both: exit %d %s, want 2", code, errb.String())
	}
	if os.Geteuid() != 0 || runtime.GOOS != "linux" {
		return // a device node needs root
	}
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3 /* Linux: major 1, minor 3 */); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"test", "--junit", null, "--coverprofile", null, examplesDir}, nil, &out, &errb); code != exitOK {
		t.Errorf("one null device for both: exit %d %s, want 0", code, errb.String())
	}
	if fi, err := os.Lstat(null); err != nil || fi.Mode().Type() != fs.ModeDevice|fs.ModeCharDevice {
		t.Errorf("the null device is now %v (%v)", fi.Mode().Type(), err)
	}
}

// TestOutputToSocketRefused: an output that is a socket, which no open
// can write, is refused with exit 2 before any work; it was taken, the
// tests run, and then failed "no such device or address" with exit 1.
func TestOutputToSocketRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.rpl"), []byte("package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, args := range [][]string{{"test", "--junit", sock, dir}, {"test", "--coverprofile", sock, dir}, {"build", "-o", sock, dir}} {
		var stdout, stderr bytes.Buffer
		code := run(args, nil, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), sock+" is a socket") || stdout.Len() > 0 {
			t.Errorf("%v: %d, stdout %q, stderr %q; want 2 saying it is a socket, before any work", args, code, stdout.String(), stderr.String())
		}
		if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != fs.ModeSocket {
			t.Errorf("%v: the socket is now %v (%v)", args, fi.Mode().Type(), err)
		}
	}
}

// TestJUnitAndProfileToStdout: --junit and --coverprofile may both name
// the file standard output is (/dev/stdout redirected to a file), which
// takes both, after the summary, as a character device does; they were
// refused as one file the one written last would replace.
func TestJUnitAndProfileToStdout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.txt")
	code, errb := runToStdoutFile(t, out, "test", "--junit", out, "--coverprofile", out, filepath.Join(examplesDir, "default.rpl"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got, _ := os.ReadFile(out)
	if s := string(got); !strings.Contains(s, "mode: ") || !strings.Contains(s, "</testsuites>\n") {
		t.Errorf("standard output's file holds %q, want the summary, the profile and the report", got)
	}
}

// TestBuildToStdout: build -o naming standard output (/dev/stdout
// redirected to a file) writes the bundle alone there, the summary going
// to standard error: after the bundle, the summary made a file that no
// router reads as a bundle.
func TestBuildToStdout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "b.rplb")
	code, errb := runToStdoutFile(t, out, "build", "-o", out, examplesDir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	data, _ := os.ReadFile(out)
	if _, err := bundle.Read(data, bundle.ReadOptions{}); err != nil {
		t.Errorf("standard output's file is no bundle: %v", err)
	}
	if !strings.Contains(errb.String(), "version ") {
		t.Errorf("the summary is not on standard error: %q", errb.String())
	}
}

// TestOutputDanglingLink: an output that is a dangling symlink is
// checked, before any work, as the file it names, which the write
// creates: in a directory that does not exist, exit 2 as for that path
// given itself (the work was done, then "no such file or directory",
// exit 1); a .rpl, refused as a policy source (a bundle was written as
// newpolicy.rpl, which rplc check then read as a policy).
func TestOutputDanglingLink(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ target, want string }{
		{filepath.Join(dir, "nowhere", "x.rplb"), "does not exist"},
		{"newpolicy.rpl", "names a policy source"},
	} {
		link := filepath.Join(dir, "link")
		os.Remove(link)
		if err := os.Symlink(c.target, link); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"build", "-o", link, examplesDir}, {"test", "--junit", link, filepath.Join(examplesDir, "default.rpl")}} {
			var stdout, stderr bytes.Buffer
			if code := run(args, nil, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("%v (-> %s): %d %q; want 2 saying it %s", args, c.target, code, stderr.String(), c.want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "newpolicy.rpl")); err == nil {
			t.Errorf("newpolicy.rpl written")
		}
	}
}

// runToStdoutFile runs rplc with args, its standard output (os.Stdout too)
// the file out, created, as a shell's > makes it, and returns the exit
// code and standard error.
func runToStdoutFile(t *testing.T, out string, args ...string) (int, *bytes.Buffer) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = saved }()
	var errb bytes.Buffer
	return run(args, nil, f, &errb), &errb
}
