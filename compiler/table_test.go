package compiler_test

import (
	"testing"

	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

func builtinTable(t testing.TB) *vm.BuiltinTable {
	t.Helper()
	table, err := stdlib.Table()
	if err != nil {
		t.Fatal(err)
	}
	return table
}
