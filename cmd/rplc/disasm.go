package main

import (
	"io"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/vm"
	"github.com/spf13/cobra"
)

func newDisasmCmd(e *env) *cobra.Command {
	var tests, cover, trace bool
	cmd := &cobra.Command{
		Use:   "disasm POLICY",
		Short: "Print the bytecode of a compiled policy",
		Long: `Disasm compiles a policy and prints its bytecode: the constants, sets,
builtins and entry points, then each function, one instruction a line with
its code offset, source line:col, opcode, operands and a comment naming
constants, functions and builtins. spec/bytecode.md documents the opcodes.

By default the program is the one rplc build would produce (no test
blocks); --tests adds the test blocks, --cover and --trace show the
instrumentation that coverage (rplc test --cover) and rplc explain add.

Exit status: 0 on success, 1 when the policy has errors, 2 for a wrong
command line.`,
		Example: `  rplc disasm examples/policies/premium.rpl
  rplc disasm --tests --cover examples/policies/premium.rpl | less`,
		Args: exactlyOnePolicy,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, names, err := compilePolicy(cmd, e, args[0], rpl.CompileOptions{NoTests: !tests, Cover: cover, Trace: trace})
			if err != nil {
				return err
			}
			// Functions name their files by absolute path: show them as
			// elsewhere (and only them: a constant holding a path is
			// shown as it is).
			text := vm.DisassembleNamed(p.VM(), names.name)
			if _, err := io.WriteString(e.stdout, text); err != nil {
				return writeError(err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&tests, "tests", false, "include the test blocks")
	cmd.Flags().BoolVar(&cover, "cover", false, "compile with coverage counters (COVER)")
	cmd.Flags().BoolVar(&trace, "trace", false, "compile with trace points (TRACE)")
	return cmd
}
