package main

import (
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary stand in for rplc, so the scripts run the
// command in process, without a build step.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"rplc": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

// TestScripts runs testdata/script/*.txtar. Each script is a sandbox with
// its own files; `rplc` is the command under test. With -update, failing
// `cmp` commands rewrite the expected file inside the script instead.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
	})
}
