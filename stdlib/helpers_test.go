package stdlib

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// A builtin is tested through the VM, as policies call it: a one-function
// program whose parameters are the arguments (values passed in are not
// charged to the memory limit) and whose body is CALL_BUILTIN.

var progs sync.Map // "key/argc" → *vm.Program

func program(t testing.TB, key string, argc int) *vm.Program {
	t.Helper()
	id := key + "/" + string(rune('0'+argc))
	if p, ok := progs.Load(id); ok {
		return p.(*vm.Program)
	}
	tab, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	var a vm.Assembler
	for i := range argc {
		a.Emit(vm.OpLoadLocal, i)
	}
	a.Emit(vm.OpCallBuiltin, 0, argc)
	a.Emit(vm.OpReturn)
	code, err := a.Code()
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.NewProgram(&vm.ProgramSpec{
		Functions: []vm.FunctionSpec{{Name: "main", File: "test.rpl", NumParams: argc, NumLocals: argc, Code: code,
			Lines: []vm.LineEntry{{PC: 0, Line: 1, Col: 1}}}},
		Builtins: []string{key},
		Entries:  map[string]int{"main": 0},
	}, tab)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	progs.Store(id, p)
	return p
}

// env is what a call runs with besides its arguments.
type env struct {
	in  vm.Input
	lim vm.Limits
}

// A call without host state runs twice: on the heap, and with its values
// in an arena (vm.Arena), which must give the same result, error and
// stats. (A call with state may change it: it runs once.)
func (e env) call(t testing.TB, key string, args ...vm.Value) (vm.Value, vm.Stats, error) {
	t.Helper()
	p := program(t, key, len(args))
	v, st, err := vm.NewMachine().Run(context.Background(), p, 0, args, e.lim, e.in)
	if e.in.Host != nil {
		return v, st, err
	}
	in := e.in
	in.Arena = new(vm.Arena)
	av, ast, aerr := vm.NewMachine().Run(context.Background(), p, 0, args, e.lim, in)
	if fmt.Sprint(aerr) != fmt.Sprint(err) || err == nil && av.Literal() != v.Literal() || ast != st {
		t.Errorf("%s%v in an arena: %v, %+v, %v; on the heap: %v, %+v, %v", key, args, av, ast, aerr, v, st, err)
	}
	return v, st, err
}

func call(t testing.TB, key string, args ...vm.Value) (vm.Value, error) {
	t.Helper()
	v, _, err := env{}.call(t, key, args...)
	return v, err
}

func mustCall(t testing.TB, key string, args ...vm.Value) vm.Value {
	t.Helper()
	v, err := call(t, key, args...)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}

func wantCode(t testing.TB, err error, code vm.Code) *vm.Error {
	t.Helper()
	var e *vm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("error %v [%s], want code %s", e, e.Code, code)
	}
	return e
}

// Values.

func str(s string) vm.Value { return vm.Str(s) }

func list(xs ...vm.Value) vm.Value { return vm.NewList(xs) }

func strs(ss ...string) vm.Value {
	xs := make([]vm.Value, len(ss))
	for i, s := range ss {
		xs[i] = vm.Str(s)
	}
	return vm.NewList(xs)
}

func ints(is ...int64) vm.Value {
	xs := make([]vm.Value, len(is))
	for i, n := range is {
		xs[i] = vm.Int(n)
	}
	return vm.NewList(xs)
}

// kv builds a map from alternating keys and values.
func kv(t testing.TB, kvs ...vm.Value) vm.Value {
	t.Helper()
	var ks, vs []vm.Value
	for i := 0; i < len(kvs); i += 2 {
		ks, vs = append(ks, kvs[i]), append(vs, kvs[i+1])
	}
	m, err := vm.NewMap(ks, vs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func recordType(t testing.TB, name string) *lang.Record {
	t.Helper()
	u, err := Universe()
	if err != nil {
		t.Fatal(err)
	}
	return u.Types[name].Type.(*lang.Record)
}

// record builds a value of the prelude record type name; missing fields
// take their zero value (records nest: give them as values).
func record(t testing.TB, name string, fields map[string]vm.Value) vm.Value {
	t.Helper()
	r := recordType(t, name)
	slots := make([]vm.Value, len(r.Fields))
	for i, f := range r.Fields {
		slots[i] = compiler.ZeroValue(f.Type)
	}
	for k, v := range fields {
		i := r.FieldIndex(k)
		if i < 0 {
			t.Fatalf("%s has no field %s", name, k)
		}
		slots[i] = v
	}
	return vm.NewRecord(slots)
}

// field reads a field of a value of the prelude record type name.
func field(t testing.TB, name string, v vm.Value, f string) vm.Value {
	t.Helper()
	i := recordType(t, name).FieldIndex(f)
	if i < 0 {
		t.Fatalf("%s has no field %s", name, f)
	}
	return v.Record()[i]
}
