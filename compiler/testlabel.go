package compiler

import (
	"fmt"

	"github.com/rpl-lang/rpl/vm"
)

// TestLabel is how a message names a test: `test "NAME"`, quoted as Go
// quotes it, or, for the empty name (which the language allows, and which
// `test ""` or a bare `--- PASS: ` shows badly), `(unnamed test at
// FILE:LINE)`; at FILE alone when line is 0 (a bundle's manifest has no
// lines), and `(unnamed test)` when file is empty too, as a call stack
// names a test's frame (vm.FrameLabel).
func TestLabel(name, file string, line int) string {
	switch {
	case name != "" || file == "":
		return vm.FrameLabel(TestPrefix + name)
	case line <= 0:
		return fmt.Sprintf("(unnamed test at %s)", file)
	}
	return fmt.Sprintf("(unnamed test at %s:%d)", file, line)
}
