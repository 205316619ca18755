package router_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestSourceOfWrongKindRefused: --policies naming a file, or --bundle a
// directory, with nothing else active, is refused at start with an error
// naming the flag and what it wants. The router started and stayed not
// ready for ever: the directory's watch saw no policy of the file, and
// --bundle is read at a reload only. With a last good version kept, the
// router starts on it, the source's failed load its last error.
func TestSourceOfWrongKindRefused(t *testing.T) {
	ctx := context.Background()
	dir := copyExamples(t)
	file := filepath.Join(t.TempDir(), "policies.rplb")
	writeBundle(t, dir, file)
	for _, c := range []struct {
		name string
		opt  router.Options
		want string
	}{
		{"policies a bundle file", router.Options{Policies: file}, "--policies " + file + ": is not a directory, and --policies wants a directory of .rpl policies; give a bundle file as --bundle"},
		{"policies a policy file", router.Options{Policies: filepath.Join(dir, "default.rpl")}, "--policies " + filepath.Join(dir, "default.rpl") + ": is not a directory, and --policies wants a directory of .rpl policies; give the directory that holds it"},
		{"bundle a directory", router.Options{Bundle: dir}, "--bundle " + dir + ": is a directory, and --bundle wants a bundle file (rplc build); give a policy directory as --policies"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			c.opt.DataDir, c.opt.HTTP, c.opt.NoNATS, c.opt.Logger = data, "-", true, quiet()
			r, err := router.Start(ctx, c.opt)
			if err == nil {
				r.Shutdown(ctx)
				t.Fatalf("started, never to be ready; want %q", c.want)
			}
			if err.Error() != c.want {
				t.Fatalf("start: %v\nwant %s", err, c.want)
			}

			// A last good version kept: the router serves it.
			if err := os.CopyFS(filepath.Join(data, router.LastGoodDir), os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			r = startRouter(t, c.opt)
			if st := r.Engine.Status(); !st.Ready || st.LastError == "" {
				t.Errorf("with a last good version: %+v, want it active and the source's failure its last error", st)
			}
		})
	}
}
