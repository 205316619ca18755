// Package lsp is RPL's language server: it speaks the Language Server
// Protocol (3.17, over JSON-RPC 2.0 with LSP framing) to editors, and
// answers from what package lang already computes. `rplc lsp` runs it over
// standard input and output.
//
// Role. The server is thin: every answer is read off a lang.Program — the
// AST, the checker's Info side tables (Types, Defs, Uses, Scopes, Calls,
// Lits) and its diagnostics — and the universe's builtin declarations.
// One file per feature: diagnostics.go, codeaction.go, hover.go,
// completion.go, signature.go, definition.go, references.go, rename.go,
// symbols.go, formatting.go, semantic.go, lens.go; workspace.go holds the
// open documents and the checked snapshots, utf16.go the only conversion
// between lang's byte offsets and LSP's positions.
//
// Invariants and contract:
//   - Positions inside the server are lang.Pos byte offsets; they become
//     LSP positions (0-based line, UTF-16 code units) in utf16.go only, in
//     both directions. A byte order mark starting a file counts no column,
//     as editors hide it (and lang.File.Position skips it).
//   - Open documents overlay the disk: checks read files through
//     lang.Config.ReadFile, which serves an open buffer before the file on
//     disk, so imports and extends resolve to unsaved text.
//   - A snapshot is one lang.Check of one policy (a test file belongs to its
//     policy) at one generation of the overlay; any change (an edit, a file
//     changed on disk, a folder added or removed) starts a new generation,
//     and a request that needs an answer for the current text checks again.
//     A check under way is never run twice: publishing and a request that
//     want the same policy at the same generation share it (snapshotFor).
//     The newest snapshot is kept for the open documents' policies only,
//     dropped when the last of a policy's documents closes; a search of
//     the workspace (references, rename) keeps those of the others while
//     it runs.
//     A file changed on disk that the client does not report (it watches
//     no files) is found so by the next request whose snapshot read it
//     (its time or size differ), which starts a new generation.
//     Diagnostics are published after a debounce (Options.Debounce), those
//     of the edited files' policies first, for the
//     policies of open documents and for open policies that load a changed
//     file or tried to (an import that did not exist, created on disk or
//     opened), for every open policy when a workspace folder is added or
//     removed (the folders decide RPL212 and RPL216), and cleared for a
//     policy and test file that no open document checks any more (the last
//     of them was closed). An error of an imported file that no open
//     document shows is named on the import or extends clause that leads
//     to it (the policy does not compile, as `rplc check` says); an open
//     file's errors are its own, but for a cycle of imports (RPL204), which
//     the open file's own check reports on another file. A file is checked as a policy
//     (lang.Config.Policy), as `rplc check` does: one without route or
//     tests is RPL212, unless a file of the workspace imports or extends it
//     (a library: what each file imports and extends is kept between checks
//     per open document or per file time and size, so a check parses only
//     the files changed since the last; an edit of a library in a folder of
//     1,000 policies costs about 5 ms of CPU; the folders' files are
//     listed by a walk kept for 2 s, or until the client reports a change
//     on disk under the folder; the walk skips hidden directories, .git
//     among them, as `rplc check DIR` does, walks node_modules last (that
//     part kept for a minute, or until the client reports a change under
//     a node_modules directory), and visits at most 100,000 entries of
//     a folder, the editor told once when a folder has more, and it ends
//     when the session does or the folder is removed); a change to a file's import
//     or extends clauses checks again the open policies without route that
//     it names or named.
//   - A constant target that the catalogue.json of the nearest directory
//     holding one, up to the policy's tree (below), does not list is
//     RPL221, as `rplc check` reports it (catalogue.go); a catalogue.json
//     is watched and read as an import is.
//   - Policy ids (RPL216, policyids.go) hold across a policy tree, which
//     is here the outermost workspace folder holding the file (the
//     rootUri when the client sends no folders): the directory that
//     `rplc check FOLDER` and `rplc build FOLDER` walk (hidden files and
//     directories aside), plus the open documents under it, with their
//     unsaved text. A file outside every folder, or under a hidden
//     directory, is in no tree and gets no RPL216. A folder holding
//     several trees (one per environment, say) reports ids shared across
//     them, as `rplc check FOLDER` does: open each tree as a folder of its
//     own, without their parent. As in `rplc check`, the error is on the
//     package name of every policy but the first (by path) of an id, and
//     names the first. A test module (tests, no route) that no file
//     imports is an error (RPL212) in a tree, as `rplc check` says. It is computed at each flush, never for a request:
//     the policies checked by the flush give their main packages; every
//     other file of the tree is known from its parse (package clause,
//     route function own or inherited), kept between flushes per open
//     document or per file time and size, so an edit costs a few map
//     lookups per file of the tree (about 1 ms of CPU for 1,000
//     policies; the first flush reads and parses them, about 50 ms). The
//     tree is walked, and its files' times compared, again at the first
//     flush 2 s after the last walk, or when the client reports a change
//     on disk under it; a folder of more than 20,000 entries is not
//     checked for ids (logged). A change of an id publishes again the
//     open policies whose error it adds or clears.
//   - Broken files are answered: the parser returns a partial tree and the
//     checker a Program, so hover, definition and symbols work on what
//     parsed; completion and signature help read the text before the
//     cursor and resolve it in the scopes of the last snapshot in which
//     the file parsed (mapped across the edits since, by lines where the
//     file changed in several places), so they work while the line being
//     typed does not parse, or another line is broken. After a dot, when
//     that snapshot has no expression of the text before the dot ending
//     there (typed since its check), the members come from a check of the
//     text without the dot and the word after it, on a goroutine of its
//     own; the last such check serves again while the text before the dot
//     and the other open documents are unchanged. A rename that
//     syntax errors could leave incomplete (a file that does not parse
//     names the target where its parse has no identifier) is refused.
//   - The input is read ahead of the handlers (up to 64 MiB of messages),
//     so that its end is seen while an answer is blocked on a client that
//     reads no more: a write of which the client, its input ended, takes
//     nothing (no chunk of 16 KiB) for writeGrace (10 s) is abandoned,
//     and the session ends, as it does when the input ends between
//     messages; a write that the client takes, however slowly, is
//     written whole. The connection's goroutine, blocked writing, never
//     saw the end, and Serve waited for its context. The answers still
//     being worked out on goroutines of their own when the input ends
//     without shutdown are not sent: the session has ended. Shutdown is
//     answered after them: the checks and parses (hover, symbols,
//     formatting) with their answers, the long requests (commands,
//     references, rename, workspace/symbol) cancelled.
//   - Input that cannot be framed or decoded is answered with a JSON-RPC
//     error, logged and skipped (stream.go); the session goes on. A
//     Content-Length above maxContentLength (64 MiB) is such input: it is
//     answered with a parse error (-32700), and reading resumes at the
//     next Content-Length header, where a body that long would have
//     swallowed every later message. An open document is bounded by the
//     same size: a didChange that makes one larger (each may add a
//     message's worth) closes it in the server, its diagnostics cleared,
//     and the editor is told with an error; it is read from disk until it
//     is opened again. The changes of one didChange are applied to one
//     buffer whose line starts follow each change (edits.go): a
//     replace-all of 2,000 changes in a 1 MiB document rebuilt them 2,000
//     times, 12 s on the connection's goroutine.
//   - Messages are handled one at a time in arrival order, on the
//     connection's goroutine, so a request sees every change sent before
//     it; publishing runs on its own goroutine. The requests that may
//     run long take what they read of the editor's state in that order,
//     then go on in a goroutine of their own (asyncWork), while hover,
//     completion and changes are handled: the code lenses' commands, which
//     run policy code for up to 10 s (and see no change sent after them),
//     references and rename beyond the target's own policy, which check
//     every policy of the workspace (a second and more for 40 policies of
//     200 rules, after a change), and workspace/symbol, which parses every
//     file of the workspace for each query (200 ms for those). Hover,
//     definition, semantic tokens, code actions and prepareRename take the
//     snapshot of the text before them, or, when it is still to check, the
//     generation and the open documents' texts to check (pin), and then
//     check and answer on a goroutine of their own, under a bound of
//     their own (maxWork, as for the others): a check of a large policy
//     after an edit held every message after them, $/cancelRequest and
//     the next edits among them; semantic tokens and code actions whose
//     document changed before their check started (waiting for a slot)
//     are answered ContentModified, unchecked. References and rename pin
//     theirs alike,
//     and then check on their goroutine, with the search. Completion and
//     signature help answer at once from the last snapshot kept, and from
//     a check on a goroutine of their own when none is (a file just
//     opened); the completion of an import's path lists the workspace's
//     files (its walk) on one too. Document symbols, code lenses and
//     formatting take the text when they come and parse it on one (a
//     parse of 8 MB took 3 s, its formatting 12 s); formatting is
//     answered ContentModified if the document changed meanwhile, its
//     edits being of the text before. A rename during which a
//     document changed is answered ContentModified (-32801): its edits are
//     of the text as it was. $/cancelRequest cancels such a request,
//     answered then with RequestCancelled (-32800); a cancel of a request
//     not running is ignored. At most maxWork of them (GOMAXPROCS, at
//     least 4) run at once; the others wait for one to end, cancellable
//     meanwhile, up to 256 of them (of the checks, parses and walks,
//     checkWaiting per slot, each keeping its generation's open documents): a request
//     beyond is refused at once (RequestFailed, -32803), saying the server
//     is busy. Shutdown cancels the long ones (the checks, parses and
//     walks are answered) and is answered after them; Serve
//     returns once they, and a flush of diagnostics under way (canceled),
//     have ended.
//     Nothing here runs policy code except the code lenses' commands: "run test" runs one test block of the saved files
//     with package policytest, as `rplc test -run` does; "explain a sample
//     decision" decides SampleRequest (or a request given as the command's
//     argument) with the editor's text, checked without the test file and
//     compiled for tracing, and explained with package explain, as `rplc
//     explain` does (an error in a test being written does not stop it).
//
// The protocol types come from github.com/tliron/glsp (protocol_3_16, with
// the 3.17 positionEncoding added to the capabilities); JSON-RPC framing
// from github.com/sourcegraph/jsonrpc2.
package lsp
