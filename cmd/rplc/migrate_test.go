package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// TestMigrateWarningsInFileOrder: migrate lists a file's warnings in the
// order of their places in it, as it lists errors; they came in the order
// of the checks (circuit_breaker.json's policy_id at 3:16, then its sticky
// at 11:13 before its fallbacks at 10:87 and its breaker at 9:61).
func TestMigrateWarningsInFileOrder(t *testing.T) {
	const file = "../../testdata/cp1/circuit_breaker.json"
	var stdout, stderr bytes.Buffer
	if code := run([]string{"migrate", file}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) < 5 {
		t.Fatalf("%d warnings, want at least 5:\n%s", len(lines), stderr.String())
	}
	prevLine, prevCol := 0, 0
	for _, l := range lines {
		// FILE:LINE:COL: warning: ...
		f := strings.SplitN(strings.TrimPrefix(l, file+":"), ":", 3)
		if len(f) < 3 || !strings.HasPrefix(f[2], " warning: ") {
			t.Fatalf("not a placed warning: %q", l)
		}
		line, err1 := strconv.Atoi(f[0])
		col, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("not a placed warning: %q", l)
		}
		if line < prevLine || line == prevLine && col < prevCol {
			t.Errorf("%d:%d listed after %d:%d:\n%s", line, col, prevLine, prevCol, stderr.String())
		}
		prevLine, prevCol = line, col
	}
}
