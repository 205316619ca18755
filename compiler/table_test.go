package compiler_test

import (
	"testing"

	"github.com/rpl-lang/rpl/vm"
)

func builtinTable(t testing.TB) *vm.BuiltinTable { return nil }
