package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/lang"
	"github.com/sourcegraph/jsonrpc2"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// Options configures a Server.
type Options struct {
	// Universe is the checker's universe (stdlib.Universe() for the
	// standard library).
	Universe *lang.Universe
	// Debounce is how long diagnostics wait after the last change before a
	// check; 0 checks at once.
	Debounce time.Duration
	// Log receives protocol errors; nil discards them.
	Log io.Writer
	// Version is reported to the client in serverInfo.
	Version string
}

// DefaultDebounce is the debounce of `rplc lsp`: long enough to coalesce a
// burst of keystrokes, short enough to stay within the 100 ms that
// diagnostics may take after a change.
const DefaultDebounce = 25 * time.Millisecond

// Server is one language server session. Create it with New and run it
// with Serve; a Server serves one connection.
type Server struct {
	opts    Options
	u       *lang.Universe
	handler protocol.Handler
	log     *log.Logger

	conn *jsonrpc2.Conn
	ctx  context.Context

	// flushing serializes flushes: one that started later snapshots a
	// newer state and publishes after the earlier one, so an older
	// version's diagnostics never replace a newer version's.
	flushing sync.Mutex
	ids      idState // policy ids (RPL216), under flushing

	fileLoads loadsCache // what the workspace's files import, for imported

	mu           sync.Mutex
	gen          uint64                          // generation of the overlay; bumped by every change
	docs         map[string]*document            // open documents by path
	folders      []string                        // workspace folders
	snaps        map[string]*snapshot            // newest snapshot per open policy (openLocked)
	good         map[string]*snapshot            // per open file: the newest snapshot in which it parsed
	dotCheck     *dotCheck                       // the last check of checkWithout
	dirty        map[string]bool                 // policies whose diagnostics are due
	published    map[string][]string             // per policy: the paths published last time
	pubURIs      map[string]protocol.DocumentUri // per path with diagnostics shown: the URI they were published under
	onDisk       map[string]bool                 // files changed on disk since the last flush
	edited       map[string]bool                 // files changed (edited, opened, closed, on disk) since the last flush
	loads        map[string][]string             // per edited file of the workspace (open, or in a folder): what its imports and extends named at the last flush
	refolded     map[string]bool                 // workspace folders added or removed since the last flush
	walks        map[string]*folderWalk          // per workspace folder: its files, as workspaceFiles found them
	walkGen      uint64                          // bumped when a kept walk may be out of date
	walkTooLarge map[string]bool                 // workspace folders whose walk stopped at maxWalkEntries, told to the client
	checking     map[string]*pendingCheck        // per policy: its check under way (snapshotFor)
	timer        *time.Timer
	shutdown     bool // the client requested shutdown
	exited       bool // the client sent exit
	watch        bool // the client registers file watchers dynamically

	// The requests running on goroutines of their own (asyncWork), by id,
	// each with the cancel of its context and its bound. jobsDone is set
	// when the session ends: no request starts after it.
	jobMu    sync.Mutex
	jobs     map[jsonrpc2.ID]job
	queued   map[chan struct{}]int // per bound (slots, checkSlots): its requests in jobs, running or waiting
	jobsDone bool
	jobWG    sync.WaitGroup
	// slots bounds the asyncWork running at once: a request's work takes
	// one before it starts (see start), and the requests beyond the bound
	// wait for one, cancellable meanwhile.
	slots chan struct{}
	// checkSlots bounds, as slots does, the checks that requests left to
	// goroutines of their own (answer): a hover waits for no test run.
	checkSlots chan struct{}
	// deferred is the asyncWork that the handler running now (on the
	// connection's goroutine, the only one that touches it) left for its
	// request: see later.
	deferred *asyncWork

	// The server's goroutines of its own (the diagnostics' flushes, the
	// registration of file watchers), which Serve waits for: ended (under
	// mu) is set when the session ends, after which none starts, and
	// cancel cancels ctx, which they watch.
	bg     sync.WaitGroup
	ended  bool
	cancel context.CancelFunc
	// handling is held while a message is handled; handlersDone (under
	// it) is set when the session ends, after which none is.
	handling     sync.Mutex
	handlersDone bool
}

// maxWork is how many requests' asyncWork (lens commands, references,
// rename, workspace/symbol) run at once, each on a core: those beyond it
// wait for one to end. The checks, parses and walks that other requests
// left to goroutines of their own (laterCheck) have a bound of the same
// size of their own. Set before New (tests).
var maxWork = max(4, runtime.GOMAXPROCS(0))

// maxWaiting is how many requests' asyncWork wait, beyond the maxWork
// running, before a request whose work would wait too is refused (a
// client that sends them faster than they end, cancelling none). Set
// before New (tests).
var maxWaiting = 256

// checkWaiting is how many checks, parses and walks (laterCheck) wait
// beyond the maxWork running, per one running: each keeps the open
// documents' texts of its generation (pin), and a fast typist whose
// client cancels none queued maxWaiting of them, a copy of a large
// document each. Semantic tokens and code actions, sent at every edit,
// are answered without a check once their document has changed
// (answer, fresh); the bound leaves room for an editor's other requests
// of a few edits (hover, symbols, lenses, formatting), since one
// refused is an error an editor may show.
const checkWaiting = 16

// waitBound is how many requests' asyncWork may wait for one of slots.
func (s *Server) waitBound(slots chan struct{}) int {
	if slots == s.checkSlots {
		return min(maxWaiting, checkWaiting*cap(slots))
	}
	return maxWaiting
}

// New makes a server.
func New(opts Options) *Server {
	s := &Server{opts: opts, u: opts.Universe, docs: map[string]*document{},
		snaps: map[string]*snapshot{}, good: map[string]*snapshot{}, dirty: map[string]bool{}, published: map[string][]string{}, pubURIs: map[string]protocol.DocumentUri{},
		onDisk: map[string]bool{}, edited: map[string]bool{}, loads: map[string][]string{}, refolded: map[string]bool{}, walks: map[string]*folderWalk{},
		jobs: map[jsonrpc2.ID]job{}, queued: map[chan struct{}]int{}, slots: make(chan struct{}, max(1, maxWork)), checkSlots: make(chan struct{}, max(1, maxWork))}
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	s.log = log.New(w, "rplc lsp: ", log.LstdFlags)
	s.handler = protocol.Handler{
		Initialize:  s.initialize,
		Initialized: s.initialized,
		Shutdown: func(*glsp.Context) error {
			s.mu.Lock()
			s.shutdown = true
			s.mu.Unlock()
			s.endJobs(false) // the running commands are answered as cancelled, the checks with their answer, before shutdown is
			return nil
		},
		SetTrace: func(*glsp.Context, *protocol.SetTraceParams) error { return nil },
		// $/cancelRequest is handled by handle: glsp's CancelParams cannot
		// decode its id.

		TextDocumentDidOpen:   func(_ *glsp.Context, p *protocol.DidOpenTextDocumentParams) error { s.didOpen(p); return nil },
		TextDocumentDidChange: func(_ *glsp.Context, p *protocol.DidChangeTextDocumentParams) error { s.didChange(p); return nil },
		TextDocumentDidClose:  func(_ *glsp.Context, p *protocol.DidCloseTextDocumentParams) error { s.didClose(p); return nil },
		TextDocumentDidSave:   func(*glsp.Context, *protocol.DidSaveTextDocumentParams) error { return nil },

		WorkspaceDidChangeWatchedFiles: func(_ *glsp.Context, p *protocol.DidChangeWatchedFilesParams) error {
			s.didChangeWatchedFiles(p)
			return nil
		},
		WorkspaceDidChangeWorkspaceFolders: func(_ *glsp.Context, p *protocol.DidChangeWorkspaceFoldersParams) error {
			s.changeFolders(p.Event.Added, p.Event.Removed)
			return nil
		},
		WorkspaceDidChangeConfiguration: func(*glsp.Context, *protocol.DidChangeConfigurationParams) error { return nil },
		WorkspaceSymbol:                 s.workspaceSymbol,
		WorkspaceExecuteCommand:         s.executeCommand,

		TextDocumentCodeAction:         s.codeAction,
		TextDocumentHover:              s.hover,
		TextDocumentCompletion:         s.completion,
		TextDocumentSignatureHelp:      s.signatureHelp,
		TextDocumentDefinition:         s.definition,
		TextDocumentReferences:         s.references,
		TextDocumentPrepareRename:      s.prepareRename,
		TextDocumentRename:             s.rename,
		TextDocumentDocumentSymbol:     s.documentSymbol,
		TextDocumentFormatting:         s.formatting,
		TextDocumentSemanticTokensFull: s.semanticTokens,
		TextDocumentCodeLens:           s.codeLens,
	}
	return s
}

// Errors of Serve when the session ends without a shutdown request, which
// LSP asks to report with exit status 1.
var (
	ErrExitWithoutShutdown   = errors.New("exit notification without a shutdown request")
	ErrClosedWithoutShutdown = errors.New("the client closed the connection without a shutdown request")
)

// Serve answers the client on conn until the client exits or the
// connection closes. Messages that cannot be decoded are answered with a
// JSON-RPC error, logged, and skipped (see stream). Serve returns nil only
// when the session ended properly: an exit notification after a shutdown
// request, or the input ending between messages after a shutdown request.
// Otherwise its error says how the session ended: ErrExitWithoutShutdown,
// ErrClosedWithoutShutdown, the input broke off inside a message or could
// not be read, or the context was canceled. Serve returns once every
// goroutine of the session has ended (a flush of diagnostics under way is
// canceled, a write blocked on a client that does not read abandoned,
// at once when the context is canceled, after writeGrace when the input
// ends):
// nothing is written to conn or the log after it, but for the rest of
// such a write, should the client read it.
func (s *Server) Serve(ctx context.Context, conn io.ReadWriteCloser) error {
	st := newStream(conn, s.log)
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.conn = jsonrpc2.NewConn(ctx, st, connHandler{s}, jsonrpc2.SetLogger(s.log))
	c := s.conn
	s.mu.Unlock()
	var err error
	select {
	case <-c.DisconnectNotify():
	case <-ctx.Done():
		c.Close()
		err = ctx.Err()
	}
	// The handler running now, if any, ends (its answer refused by the
	// closed connection), and none runs after it.
	s.handling.Lock()
	s.handlersDone = true
	s.handling.Unlock()
	// The connection's context, which the running commands' derive from,
	// is canceled; no command outlives the session.
	s.endJobs(true)
	// Nor does a flush of diagnostics: the one under way is canceled
	// (it publishes nothing more) and waited for, and none starts.
	s.mu.Lock()
	s.ended = true
	if s.timer != nil {
		s.timer.Stop()
	}
	exited, down := s.exited, s.shutdown
	s.mu.Unlock()
	s.cancel()
	s.bg.Wait()
	if err == nil {
		rerr := st.err()
		switch {
		case exited && down:
		case exited:
			err = ErrExitWithoutShutdown
		case rerr != nil && rerr != io.EOF:
			err = fmt.Errorf("reading from the client: %w", rerr)
		case !down:
			err = ErrClosedWithoutShutdown
		}
	}
	if err != nil {
		s.log.Printf("session ended: %v", err)
	}
	return err
}

// connHandler is the server's jsonrpc2.Handler.
type connHandler struct{ s *Server }

// Handle implements jsonrpc2.Handler. The connection's goroutine calls it
// for each message in turn, so messages are handled in the order they
// came: a request sees every change sent before it. A request whose
// handler leaves asyncWork (later: a code lens's command, which runs
// policy code for up to commandTimeout; references and rename, which
// check every policy of the workspace) goes on in a goroutine of its own,
// so that the requests after it (hover, completion) are answered
// meanwhile; $/cancelRequest or shutdown cancels it (shutdown, the long
// ones only: see endJobs), and it is then answered with RequestCancelled.
func (h connHandler) Handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	s := h.s
	s.handling.Lock()
	defer s.handling.Unlock()
	if s.handlersDone {
		return
	}
	s.deferred = nil
	r, err := s.handle(ctx, conn, req)
	w := s.deferred
	s.deferred = nil
	if req.Notif {
		if err != nil {
			s.log.Printf("notification %s: %v", req.Method, err)
		}
		return
	}
	if w != nil && err == nil {
		s.start(ctx, conn, req.ID, w)
		return
	}
	s.reply(conn, req.ID, r, err)
}

// reply answers request id with r, or with err when not nil.
func (s *Server) reply(conn *jsonrpc2.Conn, id jsonrpc2.ID, r any, err error) {
	resp := &jsonrpc2.Response{ID: id}
	if err == nil {
		if err = resp.SetResult(r); err != nil {
			err = &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: fmt.Sprintf("encoding the result: %v", err)}
		}
	}
	if err != nil {
		e, ok := err.(*jsonrpc2.Error)
		if !ok {
			e = &jsonrpc2.Error{Code: codeRequestFailed, Message: err.Error()}
		}
		resp.Error = e
	}
	if err := conn.SendResponse(context.Background(), resp); err != nil && err != jsonrpc2.ErrClosed {
		s.log.Printf("sending the response to %s: %v", id, err)
	}
}

// asyncWork is the rest of a request that may run long: its handler has
// done on the connection's goroutine what must see the documents as they
// were when the request came (argument checks, a copy of the open
// documents, the snapshot at the cursor), and run does the rest on a
// goroutine of its own, its result the request's answer. run must return
// soon after ctx is canceled. name says what it is (a command's name, or
// the request's method).
type asyncWork struct {
	name  string
	run   func(ctx context.Context) (any, error)
	slots chan struct{} // the bound it runs under: s.slots, or s.checkSlots for a check (laterCheck)
}

// later, called by a handler on the connection's goroutine, makes run the
// rest of its request (an asyncWork named name): the handler's own result
// is dropped, and run's is the answer.
func (s *Server) later(name string, run func(ctx context.Context) (any, error)) {
	s.deferred = &asyncWork{name: name, run: run, slots: s.slots}
}

// laterCheck is later for a request whose answer waits for a check of a
// snapshot only (answer): it runs under a bound of its own, so that the
// long requests (a test run of up to 10 s) holding every slot of
// later's do not hold it.
func (s *Server) laterCheck(name string, run func(ctx context.Context) (any, error)) {
	s.deferred = &asyncWork{name: name, run: run, slots: s.checkSlots}
}

// workHook, when set (tests), runs as an asyncWork starts, on its
// goroutine, with the context that cancels it.
var workHook func(ctx context.Context, name string)

// waitHook, when set (tests), runs as an asyncWork starts waiting for one
// of those running to end (maxWork run already), on its goroutine.
var waitHook atomic.Pointer[func(name string)]

// codeRequestCancelled is LSP's error code for a request canceled by the
// client ($/cancelRequest) or by shutdown.
const codeRequestCancelled = -32800

// start runs w for request id on a goroutine of its own, registered for
// cancellation, and answers the request when w ends: with RequestCancelled
// if it was canceled meanwhile, with its result otherwise. At most
// maxWork run at once: w waits, on its goroutine, for one of them to end
// (a client that starts a test run at every keystroke keeps maxWork
// cores busy, not as many as it started), and is answered
// RequestCancelled if canceled while it waits. Beyond waitBound waiting,
// the request is refused at once (RequestFailed).
func (s *Server) start(ctx context.Context, conn *jsonrpc2.Conn, id jsonrpc2.ID, w *asyncWork) {
	jctx, cancel := context.WithCancel(ctx)
	s.jobMu.Lock()
	var refused *jsonrpc2.Error
	switch _, dup := s.jobs[id]; {
	case s.jobsDone:
		refused = &jsonrpc2.Error{Code: codeRequestCancelled, Message: "request cancelled: the session is ending"}
	case dup:
		refused = &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidRequest, Message: fmt.Sprintf("request id %s is that of a request still running", id)}
	case s.queued[w.slots] >= cap(w.slots)+s.waitBound(w.slots):
		refused = &jsonrpc2.Error{Code: codeRequestFailed, Message: fmt.Sprintf("the server is busy: %d running and %d waiting; cancel some, or try again once they end", cap(w.slots), s.waitBound(w.slots))}
	default:
		s.jobs[id] = job{cancel, w.slots}
		s.queued[w.slots]++
		s.jobWG.Add(1)
	}
	s.jobMu.Unlock()
	if refused != nil {
		cancel()
		s.reply(conn, id, nil, refused)
		return
	}
	go func() {
		defer s.jobWG.Done()
		var r any
		var err error
		if s.acquire(jctx, w) {
			r, err = s.runWork(jctx, id, w)
			<-w.slots
		}
		s.jobMu.Lock()
		delete(s.jobs, id)
		s.queued[w.slots]--
		canceled := jctx.Err() != nil // decided under jobMu: a cancel after this finds no request
		s.jobMu.Unlock()
		cancel()
		if canceled {
			r, err = nil, &jsonrpc2.Error{Code: codeRequestCancelled, Message: "request cancelled"}
		}
		s.reply(conn, id, r, err)
	}()
}

// acquire takes one of the maxWork slots: at once if one is free, else
// once one of the requests running ends; false if ctx ends first.
func (s *Server) acquire(ctx context.Context, w *asyncWork) bool {
	select {
	case w.slots <- struct{}{}:
		return true
	default:
	}
	if h := waitHook.Load(); h != nil {
		(*h)(w.name)
	}
	select {
	case w.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// runWork runs w, turning its panic (a bug) into an internal error as
// dispatch does.
func (s *Server) runWork(ctx context.Context, id jsonrpc2.ID, w *asyncWork) (r any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Printf("panic in %s (request %s): %v\n%s", w.name, id, p, debug.Stack())
			r, err = nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: fmt.Sprintf("internal error in %s: %v", w.name, p)}
		}
	}()
	if workHook != nil {
		workHook(ctx, w.name)
	}
	return w.run(ctx)
}

// cancelRequest cancels the running request that $/cancelRequest names.
// A request that is not running (answered already, or never sent) is no
// error: the cancel crossed its answer.
func (s *Server) cancelRequest(params *json.RawMessage) {
	var p struct {
		ID *jsonrpc2.ID `json:"id"`
	}
	if params == nil || json.Unmarshal(*params, &p) != nil || p.ID == nil {
		s.log.Printf("dropped $/cancelRequest without an id")
		return
	}
	s.jobMu.Lock()
	if j, ok := s.jobs[*p.ID]; ok {
		j.cancel()
	}
	s.jobMu.Unlock()
}

// job is a request running on a goroutine of its own (start): the cancel
// of its context, and the bound it runs under (asyncWork.slots).
type job struct {
	cancel context.CancelFunc
	slots  chan struct{}
}

// endJobsHook, when set (tests), runs in endJobs once the requests to
// cancel are canceled, before it waits for them.
var endJobsHook func(final bool)

// endJobs waits until the running requests are answered. final (the
// session's end) cancels them all, and keeps new ones from starting;
// otherwise (shutdown) it cancels the long ones (asyncWork under s.slots:
// a command, references, rename, workspace/symbol), and the checks and
// parses (under s.checkSlots: hover, symbols, formatting), short and
// bounded, are answered: a hover sent just before shutdown was answered
// RequestCancelled.
func (s *Server) endJobs(final bool) {
	s.jobMu.Lock()
	for _, j := range s.jobs {
		if final || j.slots == s.slots {
			j.cancel()
		}
	}
	if final {
		s.jobsDone = true
	}
	s.jobMu.Unlock()
	if endJobsHook != nil {
		endJobsHook(final)
	}
	s.jobWG.Wait()
}

// handle dispatches one message through the protocol handler.
func (s *Server) handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
	if req.Method == "exit" {
		s.mu.Lock()
		s.exited = true
		s.mu.Unlock()
		conn.Close()
		return nil, nil
	}
	if req.Method == string(protocol.MethodCancelRequest) {
		s.cancelRequest(req.Params)
		return nil, nil
	}
	s.mu.Lock()
	down := s.shutdown
	s.mu.Unlock()
	if down && !req.Notif {
		return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidRequest, Message: "the server is shut down"}
	}
	if req.Method == string(protocol.MethodInitialize) && s.handler.IsInitialized() && !req.Notif {
		// LSP: initialize is sent once. A second one would add its root to
		// the workspace folders and answer as if the session began.
		return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidRequest, Message: "the server is initialized already: initialize is sent once per session"}
	}
	if req.Method != string(protocol.MethodInitialize) && !s.handler.IsInitialized() {
		// LSP: before initialize, requests fail with ServerNotInitialized
		// and notifications (but exit) are dropped.
		if req.Notif {
			s.log.Printf("dropped %s: the server is not initialized", req.Method)
			return nil, nil
		}
		return nil, &jsonrpc2.Error{Code: codeServerNotInitialized, Message: "server not initialized"}
	}
	gc := &glsp.Context{Method: req.Method,
		Notify: func(method string, params any) { s.notify(method, params) },
		Call:   func(string, any, any) {}, // never called: calls to the client would deadlock the reader
	}
	if req.Params != nil {
		gc.Params = *req.Params
	}
	if req.Method == string(protocol.MethodInitialized) && (len(gc.Params) == 0 || emptyArray(gc.Params)) {
		// initialized's params are {} (InitializedParams has no field),
		// and JSON-RPC lets a message omit them, or give them by
		// position (none: []): glsp refused both, and the file watchers
		// were never registered.
		gc.Params = json.RawMessage("{}")
	}
	r, validMethod, validParams, err := s.dispatch(gc)
	switch {
	case !validMethod:
		if req.Notif {
			return nil, nil // unknown notifications ($/...) are ignored
		}
		return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: "method not supported: " + req.Method}
	case !validParams:
		msg := "invalid params"
		switch {
		case len(gc.Params) == 0:
			// encoding/json's "unexpected end of JSON input" did not say.
			msg = fmt.Sprintf("invalid params: %s takes params, and the message has none", req.Method)
		case err != nil:
			msg = "invalid params: " + err.Error()
		}
		return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: msg}
	case err != nil:
		if e, ok := err.(*jsonrpc2.Error); ok {
			return nil, e
		}
		return nil, &jsonrpc2.Error{Code: codeRequestFailed, Message: err.Error()}
	}
	return r, nil
}

// emptyArray reports whether params are an empty array: none, by
// position.
func emptyArray(params json.RawMessage) bool {
	var a []json.RawMessage
	return json.Unmarshal(params, &a) == nil && a != nil && len(a) == 0
}

// codeServerNotInitialized is LSP's error code for a request that came
// before initialize.
const codeServerNotInitialized = -32002

// handlerHook, when set (tests), runs before each message's handler.
var handlerHook func(method string)

// dispatch runs the protocol handler on one message. A handler's panic
// (a bug) fails that request with an internal error, logged with its
// stack, instead of ending the session: the editor would restart the
// server and lose its open documents' state.
func (s *Server) dispatch(gc *glsp.Context) (r any, validMethod, validParams bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Printf("panic in %s: %v\n%s", gc.Method, p, debug.Stack())
			r, validMethod, validParams = nil, true, true
			err = &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: fmt.Sprintf("internal error in %s: %v", gc.Method, p)}
		}
	}()
	if handlerHook != nil {
		handlerHook(gc.Method)
	}
	return s.handler.Handle(gc)
}

// recovered logs a panic of a goroutine of the server's own (the
// diagnostics' flush), which would otherwise end the process.
func (s *Server) recovered(what string) {
	if p := recover(); p != nil {
		s.log.Printf("panic %s: %v\n%s", what, p, debug.Stack())
	}
}

// notify sends a notification to the client.
func (s *Server) notify(method string, params any) {
	s.mu.Lock()
	c, ctx := s.conn, s.ctx
	s.mu.Unlock()
	if c == nil || ctx.Err() != nil {
		return
	}
	if err := c.Notify(ctx, method, params); err != nil && err != jsonrpc2.ErrClosed {
		s.log.Printf("notify %s: %v", method, err)
	}
}

// tell logs msg and shows it in the editor (window/showMessage, of type
// typ), where a log line alone would go unseen.
func (s *Server) tell(typ protocol.MessageType, msg string) {
	if s.log != nil {
		s.log.Print(msg)
	}
	s.notify(string(protocol.ServerWindowShowMessage), protocol.ShowMessageParams{Type: typ, Message: msg})
}

// Commands the server executes (workspace/executeCommand), used by the code
// lenses.
const (
	CommandRunTest = "rpl.runTest"
	CommandExplain = "rpl.explain"
)

// capabilities are the 3.16 server capabilities plus 3.17's position
// encoding, which the server states explicitly: UTF-16.
type capabilities struct {
	protocol.ServerCapabilities
	PositionEncoding string `json:"positionEncoding"`
}

type initializeResult struct {
	Capabilities capabilities                         `json:"capabilities"`
	ServerInfo   *protocol.InitializeResultServerInfo `json:"serverInfo,omitempty"`
}

func (s *Server) initialize(_ *glsp.Context, p *protocol.InitializeParams) (any, error) {
	if s.u == nil {
		return nil, fmt.Errorf("no universe")
	}
	folders := p.WorkspaceFolders
	switch {
	case len(folders) > 0:
	case p.RootURI != nil && *p.RootURI != "":
		folders = []protocol.WorkspaceFolder{{URI: *p.RootURI}}
	case p.RootPath != nil && *p.RootPath != "":
		// Clients older than rootUri (LSP 2) send the path alone.
		folders = []protocol.WorkspaceFolder{{URI: pathToURI(*p.RootPath)}}
	}
	s.changeFolders(folders, nil)
	if w := p.Capabilities.Workspace; w != nil && w.DidChangeWatchedFiles != nil && w.DidChangeWatchedFiles.DynamicRegistration != nil {
		s.watch = *w.DidChangeWatchedFiles.DynamicRegistration
	}

	t := true
	incremental := protocol.TextDocumentSyncKindIncremental
	caps := protocol.ServerCapabilities{
		TextDocumentSync:   protocol.TextDocumentSyncOptions{OpenClose: &t, Change: &incremental},
		CompletionProvider: &protocol.CompletionOptions{TriggerCharacters: []string{"."}},
		HoverProvider:      true,
		SignatureHelpProvider: &protocol.SignatureHelpOptions{
			TriggerCharacters: []string{"(", ","}, RetriggerCharacters: []string{","},
		},
		DefinitionProvider:         true,
		ReferencesProvider:         true,
		DocumentSymbolProvider:     true,
		WorkspaceSymbolProvider:    true,
		CodeActionProvider:         protocol.CodeActionOptions{CodeActionKinds: []protocol.CodeActionKind{protocol.CodeActionKindQuickFix}},
		CodeLensProvider:           &protocol.CodeLensOptions{},
		DocumentFormattingProvider: true,
		RenameProvider:             protocol.RenameOptions{PrepareProvider: &t},
		ExecuteCommandProvider:     &protocol.ExecuteCommandOptions{Commands: []string{CommandRunTest, CommandExplain}},
		SemanticTokensProvider: protocol.SemanticTokensOptions{
			Legend: protocol.SemanticTokensLegend{TokenTypes: tokenTypes, TokenModifiers: tokenModifiers},
			Full:   true,
		},
		Workspace: &protocol.ServerCapabilitiesWorkspace{
			WorkspaceFolders: &protocol.WorkspaceFoldersServerCapabilities{Supported: &t, ChangeNotifications: &protocol.BoolOrString{Value: true}},
		},
	}
	version := s.opts.Version
	return initializeResult{
		Capabilities: capabilities{ServerCapabilities: caps, PositionEncoding: "utf-16"},
		ServerInfo:   &protocol.InitializeResultServerInfo{Name: "rplc lsp", Version: &version},
	}, nil
}

// initialized asks the client to watch the workspace's .rpl files, so that
// edits made outside the editor (a git checkout) reach the server.
func (s *Server) initialized(*glsp.Context, *protocol.InitializedParams) error {
	if !s.watch {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ctx := s.conn, s.ctx
	// A folder deleted or renamed is reported alone (VS Code), and only to
	// a watcher whose pattern the folder matches: the second watcher, of
	// deletions only, hears of it.
	deleted := protocol.WatchKindDelete
	params := protocol.RegistrationParams{Registrations: []protocol.Registration{{
		ID: "rpl-watch", Method: string(protocol.MethodWorkspaceDidChangeWatchedFiles),
		RegisterOptions: protocol.DidChangeWatchedFilesRegistrationOptions{
			Watchers: []protocol.FileSystemWatcher{{GlobPattern: "**/*.rpl"}, {GlobPattern: "**/" + bundle.CatalogueFile}, {GlobPattern: "**/*", Kind: &deleted}},
		},
	}}}
	// The reply arrives on the reader goroutine, which runs this handler:
	// send the request without waiting for it.
	s.goLocked(func() {
		var out json.RawMessage
		if err := c.Call(ctx, "client/registerCapability", params, &out); err != nil && err != jsonrpc2.ErrClosed && ctx.Err() == nil {
			s.log.Printf("register file watchers: %v", err)
		}
	})
	return nil
}

// goLocked runs f on a goroutine of its own that Serve waits for, unless
// the session has ended. f must return soon after s.ctx is canceled. s.mu
// is held.
func (s *Server) goLocked(f func()) {
	if s.ended {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f()
	}()
}

// background runs f, on the caller's goroutine (a timer's), as one of the
// goroutines that Serve waits for, unless the session has ended.
func (s *Server) background(f func()) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.bg.Add(1)
	s.mu.Unlock()
	defer s.bg.Done()
	f()
}

// done reports whether the session has ended (Serve is returning): a
// flush under way stops, publishing nothing more.
func (s *Server) done() bool {
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	return ctx != nil && ctx.Err() != nil
}
