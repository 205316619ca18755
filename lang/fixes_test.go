package lang_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// fixCases are policies (in.rpl) whose diagnostic of code names its edit:
// the fixes lang attaches to it, each as "line:col-line:col replaced →
// new: title" (columns in bytes, the end exclusive), none where the edit
// would be wrong.
var fixCases = []struct {
	name, src, code string
	want            []string
	more            map[string]string // further files, by path
}{
	{
		name: "a bare map key that names a constant, quoted",
		src:  "package p\n\nconst stable = \"a:b\"\n\nfn route(r: Request) -> Decision = weighted({stable: 95, \"c:d\": 5})\n",
		code: "RPL219",
		want: []string{`5:46-5:52 "stable" → "\"stable\"": quote the key stable`},
	},
	{
		name: "an import path taken from the wrong directory",
		src:  "package p\n\nimport \"fix/lib\"\n\nfn route(r: Request) -> Decision = to(lib.t)\n",
		code: "RPL203",
		want: []string{`3:8-3:17 "\"fix/lib\"" → "\"../fix/lib\"": change the path to ../fix/lib`},
		more: map[string]string{"/fix/lib.rpl": "package lib\n\nconst t = \"a:b\"\n"},
	},
	{
		name: "an import path that names the importing file from above, not suggested",
		src:  "package p\n\nimport \"fix/in\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL203",
	},
	{
		name: "an import path that names no file anywhere",
		src:  "package p\n\nimport \"fix/none\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL203",
	},
	{
		name: "a decision made and discarded, return inserted",
		src:  "package p\n\nfn route(r: Request) -> Decision {\n  if r.id == \"x\" {\n    to(\"a:b\").tag(\"k\", \"v\")\n  }\n  to(\"c:d\")\n}\n",
		code: "RPL325",
		want: []string{`5:5-5:5 "" → "return ": insert return`},
	},
	{
		name: "a decision made and discarded in a match arm, no return",
		src:  "package p\n\nfn route(r: Request) -> Decision {\n  match r.id { \"x\" => to(\"a:b\"), _ => none }\n  to(\"c:d\")\n}\n",
		code: "RPL325",
	},
	{
		name: "a decision a name gives, discarded, no return",
		src:  "package p\n\nfn route(r: Request) -> Decision {\n  let d = to(\"a:b\")\n  d.tag(\"k\", \"v\")\n  d\n}\n",
		code: "RPL325",
	},
	{
		name: "stray line without fn",
		src:  "package p\n\ng(x: int) -> int = x * 2\n\nfn route(r: Request) -> Decision = to(if g(1) > 1 { \"a:b\" } else { \"c:d\" })\n",
		code: "RPL100",
		want: []string{`3:1-3:1 "" → "fn ": insert fn`},
	},
	{
		name: "indented stray line without fn",
		src:  "package p\n\nconst b = 1\n  g() -> int = b\n\nfn route(r: Request) -> Decision = to(if g() > 1 { \"a:b\" } else { \"c:d\" })\n",
		code: "RPL100",
		want: []string{`4:3-4:3 "" → "fn ": insert fn`},
	},
	{
		name: "stray assignment, const suggested",
		src:  "package p\n\nlimit = 3\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(limit)\n",
		code: "RPL100",
		want: []string{`3:1-3:1 "" → "const ": insert const`},
	},
	{
		name: "stray comparison, no keyword suggested",
		src:  "package p\n\nlimit == 3\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL100",
	},
	{
		name: "?? after a value never none",
		src:  "package p\n\nfn cap(n: int) -> int = n ?? 0\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:26-3:31 " ?? 0" → "": remove ?? 0`},
	},
	{
		name: "a chain of ?? after a value never none",
		src:  "package p\n\nfn cap(n: int) -> int = n ?? 0 ?? 1 ?? 2\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:26-3:41 " ?? 0 ?? 1 ?? 2" → "": remove ?? 0 ?? 1 ?? 2`},
	},
	{
		name: "a chain of ?? after a value never none, parenthesised",
		src:  "package p\n\nfn cap(n: int) -> int = (n ?? 0) ?? 1\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:27-3:38 " ?? 0) ?? 1" → ")": remove ?? 0 ?? 1`},
	},
	{
		name: "?? on the next line after a value never none",
		src:  "package p\n\nfn cap(n: int) -> int = (n)\n    ?? (1 + 2)\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:28-4:15 "\n    ?? (1 + 2)" → "": remove ?? (1 + 2)`},
	},
	{
		name: "?? after a comment, kept",
		src:  "package p\n\nfn cap(n: int) -> int = n # the cap\n    ?? 0\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:26-4:9 " # the cap\n    ?? 0" → " # the cap": remove ?? 0`},
	},
	{
		name: "a chain of ?? with a comment between, kept",
		src:  "package p\n\nfn cap(n: int) -> int = [n ?? 0 # the cap\n    ?? 1, 2][0]\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:27-4:9 " ?? 0 # the cap\n    ?? 1" → " # the cap\n    ": remove ?? 0 ?? 1`},
	},
	{
		name: "none ?? d",
		src:  "package p\n\nfn cap(n: int) -> int = none ?? n\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:25-3:33 "none ?? " → "": remove none ??`},
	},
	{
		name: "(none) ?? d on the next line",
		src:  "package p\n\nfn cap(n: int) -> int = (none)\n    ?? n + 1\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:25-4:8 "(none)\n    ?? " → "": remove (none) ??`},
	},
	{
		name: "none ?? d after a comment, kept",
		src:  "package p\n\nfn cap(n: int) -> int = none ?? # no cap\n    n\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:25-4:5 "none ?? # no cap\n    " → "# no cap\n    ": remove none ??`},
	},
	{
		name: "(none) ?? d with a comment in the parentheses, kept",
		src:  "package p\n\nfn cap(n: int) -> int = [( # c\n    none) ?? n, 1][0]\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n",
		code: "RPL316",
		want: []string{`3:26-4:14 "( # c\n    none) ?? " → " # c\n    ": remove (none) ??`},
	},
	{
		name: "braced escape above U+FFFF",
		src:  "package p\n\nconst smile = \"\\u{1F600}\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").reason(smile)\n",
		code: "RPL104",
		want: []string{`3:16-3:25 "\\u{1F600}" → "\\U0001F600": change \u{1F600} to \U0001F600`},
	},
	{
		name: "braced escape of no code point",
		src:  "package p\n\nconst smile = \"\\u{D800}\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").reason(smile)\n",
		code: "RPL104",
	},
	{
		name: "regular expression's escape",
		src:  "package p\n\nfn route(r: Request) -> Decision = if matches(r.model, \"^gpt-\\d+\") { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL104",
		want: []string{`3:62-3:64 "\\d" → "\\\\d": change \d to \\d`},
	},
	{
		name: "backspace in a regular expression",
		src:  "package p\n\nfn route(r: Request) -> Decision = if matches(r.model, \"\\bgpt\") { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL327",
		want: []string{`3:57-3:59 "\\b" → "\\\\b": change \b to \\b`},
	},
	{
		name: "every backspace of a regular expression, the other escapes kept",
		src:  "package p\n\nconst re = \"\\bgpt\\t\\\\d\\b\"\n\nfn route(r: Request) -> Decision = if matches(r.model, (re)) { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL327",
		want: []string{`3:13-3:25 "\\bgpt\\t\\\\d\\b" → "\\\\bgpt\\t\\\\d\\\\b": change the 2 \b to \\b`},
	},
	{
		name: "every unknown escape of the string, the valid ones kept",
		src:  "package p\n\nconst v = \"^v\\d+\\t\\.\\d$\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").reason(v)\n",
		code: "RPL104",
		want: []string{`3:14-3:23 "\\d+\\t\\.\\d" → "\\\\d+\\t\\\\.\\\\d": double the backslash of the 3 unknown escapes (\d, \., \d)`},
	},
	{
		name: "unknown escapes up to a malformed one",
		src:  "package p\n\nconst v = \"\\w\\s\\x4\\d\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").reason(v)\n",
		code: "RPL104",
		want: []string{`3:12-3:16 "\\w\\s" → "\\\\w\\\\s": double the backslash of the 2 unknown escapes (\w, \s)`},
	},
	{
		name: "unknown escape of a letter of two bytes",
		src:  "package p\n\nconst v = \"\\é\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").reason(v)\n",
		code: "RPL104",
		want: []string{`3:12-3:15 "\\é" → "\\\\é": change \é to \\é`},
	},
	{
		name: "money without a digit before the point",
		src:  "package p\n\nconst cap = $.5\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`3:13-3:16 "$.5" → "$0.5": change $.5 to $0.5`},
	},
	{
		name: "money with an exponent",
		src:  "package p\n\nfn f() -> money {\n  let cap = $0.1e3\n  cap\n}\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`4:13-4:19 "$0.1e3" → "$100": change $0.1e3 to $100`},
	},
	{
		name: "money without a digit before the point, too precise for $0…",
		src:  "package p\n\nconst cap = $.1234567891\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
	},
	{
		name: "money without a digit before the point, with a trailing underscore",
		src:  "package p\n\nconst cap = $.5_\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
	},
	{
		name: "float without a digit before the point",
		src:  "package p\n\nconst share = .5\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`3:15-3:17 ".5" → "0.5": change .5 to 0.5`},
	},
	{
		name: "duration without a digit before the point",
		src:  "package p\n\nconst wait = .5s\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`3:14-3:17 ".5s" → "0.5s": change .5s to 0.5s`},
	},
	{
		name: "float with an exponent without a digit before the point",
		src:  "package p\n\nconst big = .5e3\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`3:13-3:17 ".5e3" → "0.5e3": change .5e3 to 0.5e3`},
	},
	{
		name: "float without a digit after the point",
		src:  "package p\n\nconst share = 5. * 2\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`3:15-3:17 "5." → "5.0": change 5. to 5.0`},
	},
	{
		name: "float without a digit after the point, a name on the next line",
		src:  "package p\n\nconst share = 5.\nlimit = 3\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`3:15-3:17 "5." → "5.0": change 5. to 5.0`},
	},
	{
		name: "money without a digit after the point",
		src:  "package p\n\nconst cap = $5.\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL103",
		want: []string{`3:13-3:16 "$5." → "$5": change $5. to $5`},
	},
	{
		name: "unknown standard module",
		src:  "package p\n\nimport \"std/cots\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL203",
		want: []string{`3:8-3:18 "\"std/cots\"" → "\"std/cost\"": change std/cots to std/cost`},
	},
	{
		name: "unknown standard module close to std/testing, outside a test file",
		src:  "package p\n\nimport \"std/testin\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL203",
	},
	{
		name: "optional argument given by position",
		src:  "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\").fallback(\"c:d\", [timeout])\n",
		code: "RPL206",
		want: []string{`3:62-3:62 "" → "on: ": name the argument on`},
	},
	{
		name: "single ampersand",
		src:  "package p\n\nfn route(r: Request) -> Decision = if true & false { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL101",
		want: []string{`3:44-3:45 "&" → "&&": change & to &&`},
	},
	{
		name: "comparison written with a lookalike",
		src:  "package p\n\nfn route(r: Request) -> Decision = if 1 \u2264 2 { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL101",
		want: []string{"3:41-3:44 \"\u2264\" → \"<=\": change \u2264 to <="},
	},
	{
		name: "arrow written with a lookalike",
		src:  "package p\n\nfn route(r: Request) -> Decision = match r.task.type { \"chat\" \u21d2 to(\"a:b\"), _ => to(\"c:d\") }\n",
		code: "RPL101",
		want: []string{"3:63-3:66 \"\u21d2\" → \"=>\": change \u21d2 to =>"},
	},
	{
		name: "minus written with a dash",
		src:  "package p\n\nconst n = 3 \u2013 1\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(n)\n",
		code: "RPL101",
		want: []string{"3:13-3:16 \"\u2013\" → \"-\": change \u2013 to -"},
	},
	{
		name: "invisible space",
		src:  "package p\n\nfn route(r: Request) -> Decision =\u200bto(\"a:b\")\n",
		code: "RPL101",
		want: []string{`3:35-3:38 "\u200b" → "": delete the invisible space`},
	},
	{
		name: "no-break space between two words",
		src:  "package p\n\nfn route(r: Request) -> Decision {\n  let\u00a0m = \"a:b\"\n  to(m)\n}\n",
		code: "RPL101",
		want: []string{`4:6-4:8 "\u00a0" → " ": change the no-break space to a space`},
	},
	{
		name: "Greek mu for the micro sign",
		src:  "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\").fallback(\"c:d\", backoff: 500\u03bcs)\n",
		code: "RPL101",
		want: []string{"3:74-3:76 \"\u03bc\" → \"\u00b5\": change the Greek mu to the micro sign \u00b5"},
	},
	{
		name: "Greek mu in a name, no unit",
		src:  "package p\n\nconst \u03bc = 1\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		code: "RPL101",
	},
	{
		name: "typographic quote, which straight one is meant unsure",
		src:  "package p\n\nfn route(r: Request) -> Decision = to(\u201ca:b\")\n",
		code: "RPL101",
	},
	{
		name: "function of the policy called as a method",
		src:  "package p\n\nfn norm(m: string) -> string = lower(m)\n\nfn route(r: Request) -> Decision = to(r.model.norm())\n",
		code: "RPL202",
		want: []string{`5:39-5:52 "r.model.norm(" → "norm(r.model": call norm(r.model)`},
	},
	{
		name: "function of the policy called as a method, with arguments across lines",
		src:  "package p\n\nfn pick(m: string, other: string, cheap: bool) -> string = if cheap { other } else { m }\n\nfn route(r: Request) -> Decision {\n  to(r.model\n    .pick(\"c:d\", cheap: true))\n}\n",
		code: "RPL202",
		want: []string{`6:6-7:11 "r.model\n    .pick(" → "pick(r.model, ": call pick(r.model, …)`},
	},
	{
		name: "function of the policy called as a method, a comment before the dot",
		src:  "package p\n\nfn norm(m: string) -> string = lower(m)\n\nfn model(r: Request) -> string = r.model # lower case\n  .norm()\n\nfn route(r: Request) -> Decision = to(model(r))\n",
		code: "RPL202",
	},
	{
		name: "default of ?? read as a comparison",
		src:  "package p\n\nfn slow(r: Request) -> bool = r.constraints.max_latency ?? 1s > 500ms\n\nfn route(r: Request) -> Decision = if slow(r) { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL300",
		want: []string{`3:31-3:62 "r.constraints.max_latency ?? 1s" → "(r.constraints.max_latency ?? 1s)": change to (r.constraints.max_latency ?? 1s) > 500ms`},
	},
	{
		name: "enum member hidden by a variable in a pattern",
		src:  "package p\n\nfn kind(t: Trigger) -> string {\n  let timeout = \"slow\"\n  match t { timeout => timeout, _ => \"other\" }\n}\n\nfn route(r: Request) -> Decision = to(\"a:b\").tag(\"k\", kind(Trigger.timeout))\n",
		code: "RPL318",
		want: []string{`5:13-5:20 "timeout" → "Trigger.timeout": change timeout to Trigger.timeout`},
	},
	{
		name: "enum member hidden by a variable, the enum's name hidden by a parameter",
		src:  "package p\n\nfn kind(t: Trigger, Trigger: string) -> string {\n  let timeout = Trigger\n  match t { timeout => timeout, _ => \"other\" }\n}\n\nfn route(r: Request) -> Decision = to(\"a:b\").tag(\"k\", kind(Trigger.timeout, \"x\"))\n",
		code: "RPL318",
	},
	{
		name: "standard module not imported, after the imports",
		src:  "package p\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = if cost.remaining(r.tenant) < $5 { to(\"a:b\") } else { to(ab.winner(\"x\") ?? \"c:d\") }\n",
		code: "RPL200",
		want: []string{`3:16-3:16 "" → "\nimport \"std/cost\"": add import "std/cost"`},
	},
	{
		name: "standard module not imported, after the last import's comment",
		src:  "package p\n\nimport \"std/ab\" # the experiments\n\nfn route(r: Request) -> Decision = if cost.remaining(r.tenant) < $5 { to(\"a:b\") } else { to(ab.winner(\"x\") ?? \"c:d\") }\n",
		code: "RPL200",
		want: []string{`3:34-3:34 "" → "\nimport \"std/cost\"": add import "std/cost"`},
	},
	{
		name: "standard module not imported, after the package clause's comment, CRLF",
		src:  "package p # routing\r\n\r\nfn route(r: Request) -> Decision = if health.healthy(\"a:b\") { to(\"a:b\") } else { to(\"c:d\") }\r\n",
		code: "RPL200",
		want: []string{`1:20-1:20 "" → "\r\n\r\nimport \"std/health\"": add import "std/health"`},
	},
	{
		name: "standard module not imported, after the package clause",
		src:  "package p\n\nfn route(r: Request) -> Decision = if health.healthy(\"a:b\") { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL200",
		want: []string{`1:10-1:10 "" → "\n\nimport \"std/health\"": add import "std/health"`},
	},
	{
		name: "standard module imported under another name",
		src:  "package p\n\nimport \"std/cost\" as c\n\nfn route(r: Request) -> Decision = if cost.remaining(r.tenant) < $5 { to(\"a:b\") } else { to(\"c:d\") }\n",
		code: "RPL200",
		want: []string{`5:39-5:43 "cost" → "c": change cost to c`},
	},
	{
		name: "null for none",
		src:  "package p\n\nfn g(x: int) -> int? = if x > 0 { x } else { null }\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(g(1) ?? 0)\n",
		code: "RPL200",
		want: []string{`3:46-3:50 "null" → "none": change null to none`},
	},
	{
		name: "elif for else if",
		src:  "package p\n\nfn f(x: int) -> int {\n  let y = 0\n  if x > 1 { return 1 }\n  elif x > 0 { return 2 }\n  y\n}\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(f(1))\n",
		code: "RPL200",
		want: []string{`6:3-6:7 "elif" → "else if": change elif to else if`},
	},
	{
		name: "compound assignment",
		src:  "package p\n\nfn f(n: int) -> int {\n  let x = n\n  x += 1\n  x\n}\n",
		code: "RPL100",
		want: []string{`5:3-5:9 "x += 1" → "let x2 = x + 1": bind the value to a new name, x2`},
	},
	{
		name: "compound assignment of a product",
		src:  "package p\n\nfn f(n: int) -> int {\n  n += n * 3 # triple\n  n\n}\n",
		code: "RPL100",
		want: []string{`4:3-4:13 "n += n * 3" → "let n2 = n + n * 3": bind the value to a new name, n2`},
	},
	{
		name: "compound assignment of a difference",
		src:  "package p\n\nfn f(n: int) -> int {\n  n -= n - 1\n  n\n}\n",
		code: "RPL100",
		want: []string{`4:3-4:13 "n -= n - 1" → "let n2 = n - (n - 1)": bind the value to a new name, n2`},
	},
	{
		name: "compound assignment of a sum, multiplied",
		src:  "package p\n\nfn f(n: int) -> int {\n  n *=\n    2 + n\n  n\n}\n",
		code: "RPL100",
		want: []string{`4:3-5:10 "n *=\n    2 + n" → "let n2 = n * (2 + n)": bind the value to a new name, n2`},
	},
	{
		// x2 is bound in the block already: let x2 again would be RPL201.
		name: "compound assignment beside its new name",
		src:  "package p\n\nfn f(n: int) -> int {\n  let x = n\n  let x2 = n\n  x += x2\n  x\n}\n",
		code: "RPL100",
		want: []string{`6:3-6:10 "x += x2" → "let x3 = x + x2": bind the value to a new name, x3`},
	},
	{
		// The second, not reported (one error per broken declaration),
		// left the fix out: x += 1 failed to parse as x + 1.
		name: "compound assignments, one after another",
		src:  "package p\n\nfn f(n: int) -> int {\n  let x = n\n  x += 1\n  x *= 2\n  r.y -= 3\n  x\n}\n",
		code: "RPL100",
		want: []string{`5:3-5:9 "x += 1" → "let x2 = x + 1": bind the value to a new name, x2`},
	},
	{
		name: "quoted enum member in a list",
		src:  "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\").fallback(\"c:d\", on: [\"timeout\"])\n",
		code: "RPL300",
		want: []string{`3:67-3:76 "\"timeout\"" → "timeout": change "timeout" to timeout`},
	},
	{
		name: "quoted enum member compared, its bare name shadowed",
		src:  "package p\n\nfn f(t: Trigger, http_5xx: int) -> bool = (\"http_5xx\") != t\n",
		code: "RPL301",
		want: []string{`3:43-3:55 "(\"http_5xx\")" → "Trigger.http_5xx": change ("http_5xx") to Trigger.http_5xx`},
	},
	{
		name: "quoted enum member as a pattern",
		src:  "package p\n\nfn f(t: Trigger) -> int = match t { \"any_error\" => 1, _ => 2 }\n",
		code: "RPL318",
		want: []string{`3:37-3:48 "\"any_error\"" → "any_error": change "any_error" to any_error`},
	},
	{
		name: "quoted enum members in a list",
		src:  "package p\n\nfn f(t: Trigger) -> bool = t in [\"timeout\", \"http_5xx\"]\n",
		code: "RPL301",
		want: []string{`3:33-3:56 "[\"timeout\", \"http_5xx\"]" → "[timeout, http_5xx]": change the list to [timeout, http_5xx]`},
	},
	{
		name: "quoted enum members in a list with a comment",
		src:  "package p\n\nfn f(t: Trigger) -> bool = t in [\"timeout\", # slow\n  \"http_5xx\"]\n",
		code: "RPL301",
	},
	{
		name: "string that is no enum member",
		src:  "package p\n\nfn f(t: Trigger) -> int = match t { \"slow\" => 1, _ => 2 }\n",
		code: "RPL318",
	},
	{
		name: "compound assignment in an argument",
		src:  "package p\n\nfn f(n: int) -> int = f(n += 1)\n",
		code: "RPL100",
	},
}

// TestFixes checks the fixes lang attaches to diagnostics whose message
// names an edit (for rplc check --format json and the editors' quick
// fixes): their spans, new text and titles.
func TestFixes(t *testing.T) {
	u := universe(t)
	for _, tc := range fixCases {
		t.Run(tc.name, func(t *testing.T) {
			read := func(p string) ([]byte, error) {
				if p == "/fix/in.rpl" {
					return []byte(tc.src), nil
				}
				if s, ok := tc.more[p]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/fix/in.rpl")
			var target *lang.Diagnostic
			for _, d := range diags {
				if string(d.Code) == tc.code {
					if target != nil {
						t.Fatalf("two %s diagnostics: %v", tc.code, diags)
					}
					target = d
				}
			}
			if target == nil {
				t.Fatalf("no %s diagnostic among %v", tc.code, diags)
			}
			var got []string
			for _, f := range target.Fixes {
				if f.Span.Start < 0 || f.Span.End < f.Span.Start || int(f.Span.End) > len(tc.src) {
					t.Fatalf("fix %+v: span outside the source", f)
				}
				s, e := target.File.Position(f.Span.Start), target.File.Position(f.Span.End)
				got = append(got, fmt.Sprintf("%d:%d-%d:%d %q → %q: %s", s.Line, s.Col, e.Line, e.Col, tc.src[f.Span.Start:f.Span.End], f.NewText, f.Title))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s: %s: fixes\n%s\nwant\n%s", tc.code, target.Message, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestStdModuleImportFixChecks applies the fix of a standard module used
// without its import (RPL200): the file it gives checks without error,
// whether the file has imports, a package clause only, or neither.
func TestStdModuleImportFixChecks(t *testing.T) {
	u := universe(t)
	const body = "fn route(r: Request) -> Decision = if cost.remaining(r.tenant) < $5 { to(\"a:b\") } else { to(ab.winner(\"x\") ?? \"c:d\") }\n"
	for _, src := range []string{
		"package p\n\nimport \"std/ab\"\n\n" + body,
		"package p\n\nimport \"std/ab\"\nimport \"std/health\" as h\n\nfn up() -> bool = h.healthy(\"a:b\")\n\n" + body,
		"package p\n\nimport \"std/ab\" # the experiments\n\n" + body,
		"package p\n\nimport \"std/ab\" # the experiments\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n"),
		// A declaration after a ; on the import's line, or the package
		// clause's: the import goes before it.
		"package p\n\nimport \"std/ab\"; " + body,
		"package p; import \"std/ab\"; " + body,
	} {
		check := func(src string) lang.DiagList {
			read := func(p string) ([]byte, error) {
				if p == "/fix/in.rpl" {
					return []byte(src), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/fix/in.rpl")
			return diags
		}
		diags := check(src)
		if len(diags) != 1 || len(diags[0].Fixes) != 1 || !strings.Contains(diags[0].Message, `cost is a standard module: add import "std/cost"`) {
			t.Fatalf("%q: want one RPL200 with one fix, got %v", src, diags)
		}
		fx := diags[0].Fixes[0]
		fixed := src[:fx.Span.Start] + fx.NewText + src[fx.Span.End:]
		if d := check(fixed); len(d) != 0 {
			t.Errorf("fixed file\n%s\nhas diagnostics %v", fixed, d)
		}
	}
}

// TestNotOptionalFixChecks applies the fix of ?? after a value that is
// never none, or after none (RPL316): the file it gives checks clean, the
// value alone, or the default.
func TestNotOptionalFixChecks(t *testing.T) {
	u := universe(t)
	check := func(src string) lang.DiagList {
		read := func(p string) ([]byte, error) {
			if p == "/fix/in.rpl" {
				return []byte(src), nil
			}
			return nil, os.ErrNotExist
		}
		_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/fix/in.rpl")
		return diags
	}
	const route = "\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(cap(1))\n"
	for _, body := range []string{
		"fn cap(n: int) -> int = n ?? 0",
		"fn cap(n: int) -> int = n??0",
		"fn cap(n: int) -> int = (n) ?? 1 + 2",
		"fn cap(n: int) -> int = n\n    ?? 0",
		"fn cap(n: int) -> int = [n ?? 0, 1][0]",
		"fn cap(n: int) -> int = n ?? 0 # the cap",
		"fn cap(n: int) -> int = n ?? 0 ?? 1 ?? 2",
		"fn cap(n: int) -> int = (n ?? 0) ?? 1",
		"fn cap(n: int) -> int = ((n ?? 0) ?? 1) ?? 2",
		// Comments between are kept, on a line of their own end.
		"fn cap(n: int) -> int = n # the cap\n    ?? 0",
		"fn cap(n: int) -> int = n ?? 0 # c\n    ?? 1",
		"fn cap(n: int) -> int = n ?? 0 # c\r\n    ?? 1",
		"fn cap(n: int) -> int = n ?? # c\n    0 ?? 1",
		"fn cap(n: int) -> int = n ?? 0 ??\n    # c\n    1",
		"fn cap(n: int) -> int = n ?? 0\n    # c\n    ?? 1",
		"fn cap(n: int) -> int = (n ?? 0 # c\n    ) ?? 1",
		"fn cap(n: int) -> int = [n ?? 0 # c\n    ?? 1, 2][0]",
		"fn cap(n: int) -> int = [(n ?? 0) # c\n    ?? 1, 2][0]",
		"fn cap(n: int) -> int = n # a\n    ?? 0 # b\n    ?? 1 ?? 2 # d",
		"fn cap(n: int) -> int = none ?? n",
		"fn cap(n: int) -> int = (none)??n * 2",
		"fn cap(n: int) -> int = [none ?? n, 1][0]",
		"fn cap(n: int) -> int = 1 + ((none) ?? n)",
		"fn cap(n: int) -> int = none ?? # no cap\n    n",
		"fn cap(n: int) -> int = none # no cap\n    ?? n",
		"fn cap(n: int) -> int = none # a\n    ?? # b\n    n + 1",
		"fn cap(n: int) -> int = (none # c\n    ) ?? n",
		"fn cap(n: int) -> int = ( # c\n    none) ?? n",
		"fn cap(n: int) -> int = [((none) # c\n    ) ?? n, 1][0]",
		"fn cap(n: int) -> int = none ?? # c\r\n    n",
	} {
		src := "package p\n\n" + body + route
		diags := check(src)
		if len(diags) != 1 || diags[0].Code != lang.CodeNotOptional || len(diags[0].Fixes) != 1 {
			t.Fatalf("%q: want one RPL316 with one fix, got %v", src, diags)
		}
		fx := diags[0].Fixes[0]
		fixed := src[:fx.Span.Start] + fx.NewText + src[fx.Span.End:]
		if d := check(fixed); len(d) != 0 {
			t.Errorf("%q, fixed:\n%s\nstill: %v", src, fixed, d)
		}
		for _, c := range regexp.MustCompile(`#[^\r\n]*`).FindAllString(body, -1) {
			if strings.Count(fixed, c) != strings.Count(src, c) {
				t.Errorf("%q, fixed:\n%s\nlost the comment %q", src, fixed, c)
			}
		}
	}
}
