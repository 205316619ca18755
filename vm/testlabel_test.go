package vm

import "testing"

func TestTestLabel(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		line       int
		want       string
	}{
		{"ok", "p.rpl", 5, `test "ok"`},
		{"two\nlines", "p.rpl", 5, `test "two\nlines"`},
		{"", "p.rpl", 5, "(unnamed test at p.rpl:5)"},
		{"", "p.rpl", 0, "(unnamed test at p.rpl)"},
		{"", "", 0, "(unnamed test)"},
	} {
		if got := TestLabel(tc.name, tc.file, tc.line); got != tc.want {
			t.Errorf("TestLabel(%q, %q, %d) = %q, want %q", tc.name, tc.file, tc.line, got, tc.want)
		}
	}
}

func TestCodeSuffix(t *testing.T) {
	if got := CodeSuffix(CodeAssertionFailed); got != "" {
		t.Errorf("CodeSuffix(%s) = %q, want none", CodeAssertionFailed, got)
	}
	if got, want := CodeSuffix(CodeFuelExhausted), " [fuel_exhausted]"; got != want {
		t.Errorf("CodeSuffix(%s) = %q, want %q", CodeFuelExhausted, got, want)
	}
}
