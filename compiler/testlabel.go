package compiler

import (
	"fmt"
	"strconv"
	"strings"
)

// TestLabel is how a message names a test: `test "NAME"`, quoted as Go
// quotes it, or, for the empty name (which the language allows, and which
// `test ""` or a bare `--- PASS: ` shows badly), `(unnamed test at
// FILE:LINE)`; at FILE alone when line is 0 (a bundle's manifest has no
// lines), and `(unnamed test)` when file is empty too.
func TestLabel(name, file string, line int) string {
	if name != "" {
		return "test " + strconv.Quote(name)
	}
	switch {
	case file == "":
		return "(unnamed test)"
	case line <= 0:
		return fmt.Sprintf("(unnamed test at %s)", file)
	}
	return fmt.Sprintf("(unnamed test at %s:%d)", file, line)
}

// FrameLabel is how a policy call stack names the function of a frame
// (vm.Frame.Func), in text and JSON alike: a test's entry TestPrefix+NAME
// as TestLabel names the test (`test "NAME"`, `(unnamed test)`), not
// `test:NAME`; any other function by its name.
func FrameLabel(fn string) string {
	if name, ok := strings.CutPrefix(fn, TestPrefix); ok {
		return TestLabel(name, "", 0)
	}
	return fn
}
