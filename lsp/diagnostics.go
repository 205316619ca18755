package lsp

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/rpl-lang/rpl/lang"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// scheduleLocked (re)starts the debounce timer of diagnostics.
func (s *Server) scheduleLocked() {
	if s.opts.Debounce <= 0 {
		s.goLocked(s.flush)
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(s.opts.Debounce, func() { s.background(s.flush) })
		return
	}
	s.timer.Reset(s.opts.Debounce)
}

// flush checks every dirty policy that has an open document and publishes
// its diagnostics, and clears those published for a dirty policy that has
// none any more. Flushes run one at a time (a timer's and a change's
// may overlap).
func (s *Server) flush() {
	defer s.recovered("publishing diagnostics")
	s.flushing.Lock()
	defer s.flushing.Unlock()
	s.mu.Lock()
	if s.shutdown || s.ended {
		s.mu.Unlock()
		return
	}
	var due, gone []string
	for policy := range s.dirty {
		if s.openLocked(policy) {
			due = append(due, policy)
			continue
		}
		// Neither the policy nor its test file is open (the last was
		// closed): nothing checks its files any more, clear them.
		gone = append(gone, s.published[policy]...)
		delete(s.published, policy)
	}
	s.dirty = map[string]bool{}
	open := map[string]bool{}
	for p := range s.docs {
		open[policyOf(p)] = true
	}
	folders := append([]string(nil), s.folders...)
	onDisk := s.onDisk
	s.onDisk = map[string]bool{}
	edited := s.edited
	s.edited = map[string]bool{}
	for root := range s.refolded {
		delete(s.ids.trees, root) // walked again (s.ids is under s.flushing)
	}
	s.refolded = map[string]bool{}
	ov := s.overlayLocked()
	s.mu.Unlock()
	sort.Strings(due)
	sort.Strings(gone)
	for _, p := range gone {
		s.clear(s.pubURI(p, true))
	}
	checked := map[string]*snapshot{}
	// The policies of the files edited since the last flush are checked
	// and published first, when others are due too: the diagnostics of the
	// file being typed in do not wait for the checks of the open policies
	// that import it (a library imported by 5 open policies of 1,000
	// rules: 0.5 to 1 s). Their policy ids are then those of the tree as
	// known so far, published again below if the whole flush finds others.
	var first []string
	for _, policy := range due {
		if edited[policy] || edited[lang.TestFileName(policy)] {
			first = append(first, policy)
		}
	}
	var early map[string]*lang.Diagnostic // the policy ids published with first
	if len(first) > 0 && len(first) < len(due) {
		for _, policy := range first {
			checked[policy] = s.snapshotFor(policy)
		}
		// The others due by their last snapshots, not checked yet: read
		// as files instead, each would be parsed here (the facts of a
		// 1,000-rule importer), and parsed again at the next flush, the
		// check below replacing those facts, unused, by its snapshot.
		known := maps.Clone(checked)
		s.mu.Lock()
		for _, policy := range due {
			if known[policy] == nil && s.snaps[policy] != nil {
				known[policy] = s.snaps[policy]
			}
		}
		s.mu.Unlock()
		early = s.policyIDs(open, known, folders, ov, onDisk)
		onDisk = nil // taken into account
		for _, policy := range first {
			s.publish(checked[policy], early[policy])
		}
	}
	for _, policy := range due {
		if s.done() {
			return // the session ended: nothing more is published
		}
		if checked[policy] == nil {
			checked[policy] = s.snapshotFor(policy)
		}
	}
	// An open policy without route is a library as long as a file imports
	// it: when an edit adds or removes the import, check it again.
	for _, policy := range s.importsChanged(edited, checked, ov) {
		if checked[policy] == nil {
			checked[policy] = s.snapshotFor(policy)
			due = append(due, policy)
		}
	}
	sort.Strings(due)
	// Policy ids (RPL216) hold across a tree: a change anywhere in it can
	// add or clear the error of an open policy that is not due, which is
	// published again with its last snapshot.
	dups := s.policyIDs(open, checked, folders, ov, onDisk)
	published := map[string]string{}
	var again []string
	for p := range open {
		published[p] = dupKey(dups[p])
		if checked[p] == nil && published[p] != s.ids.published[p] {
			again = append(again, p)
		}
	}
	s.ids.published = published
	sort.Strings(again)
	for _, policy := range due {
		if early != nil && slices.Contains(first, policy) && dupKey(early[policy]) == dupKey(dups[policy]) {
			continue // published already, as it is
		}
		s.publish(checked[policy], dups[policy])
	}
	for _, policy := range again {
		s.publish(s.lastSnapshot(policy), dups[policy])
	}
}

// publishHook, when set (tests), runs as a policy's diagnostics are
// about to be published, on the flush's goroutine, with the context that
// the session's end cancels.
var publishHook atomic.Pointer[func(ctx context.Context, policy string)]

// publish sends the diagnostics of a snapshot's policy and test file, with
// the error of its policy id, dup, when not nil, and clears the files it
// published before that now have none.
func (s *Server) publish(sn *snapshot, dup *lang.Diagnostic) {
	if h := publishHook.Load(); h != nil {
		s.mu.Lock()
		ctx := s.ctx
		s.mu.Unlock()
		(*h)(ctx, sn.policy)
	}
	if s.done() {
		return
	}
	diags := sn.diags
	if dup != nil {
		diags = append(slices.Clip(diags), dup)
		diags.Sort()
	}
	byFile := map[string][]protocol.Diagnostic{}
	targets := []string{sn.policy}
	if t := lang.TestFileName(sn.policy); sn.files[t] != nil || s.openDoc(t) != nil {
		targets = append(targets, t)
	}
	own := map[string]bool{}
	for _, t := range targets {
		own[t] = true
		byFile[t] = []protocol.Diagnostic{}
	}
	for _, d := range diags {
		if d.File == nil {
			continue
		}
		path := filepath.Clean(d.File.Name)
		if !own[path] {
			continue
		}
		byFile[path] = append(byFile[path], s.toDiagnostic(d))
		if path == sn.policy && sn.files[path] == nil && d.Code == lang.CodeImportNotFound {
			// The policy exists but cannot be read ("cannot read policy"; a
			// missing one is RPL215, which the checker reports on the test
			// file): say so on the test file too, the file that is open.
			t := lang.TestFileName(path)
			if own[t] {
				byFile[t] = append(byFile[t], s.toDiagnostic(d))
			}
		}
	}

	for path, ds := range s.unseenImportErrors(sn, diags, own) {
		byFile[path] = append(byFile[path], ds...)
	}

	s.mu.Lock()
	prev := s.published[sn.policy]
	var now []string
	versions := map[string]*uint32{}
	for path := range byFile {
		now = append(now, path)
		if v, ok := sn.versions[path]; ok {
			u := uint32(v)
			versions[path] = &u
		}
	}
	s.published[sn.policy] = now
	s.mu.Unlock()

	for _, p := range prev {
		if _, ok := byFile[p]; !ok {
			byFile[p] = []protocol.Diagnostic{}
		}
	}
	for _, p := range sortedKeys(byFile) {
		s.notify(string(protocol.ServerTextDocumentPublishDiagnostics), protocol.PublishDiagnosticsParams{
			URI: s.pubURI(p, len(byFile[p]) == 0 && !slices.Contains(now, p)), Version: versions[p], Diagnostics: byFile[p],
		})
	}
}

// pubURI is the URI to publish the diagnostics of path under: its open
// document's, else the one they were last published under (a document
// since closed, whose URI may be no file URI: an untitled buffer's), else
// its file URI. It is recorded for the next time, or forgotten when the
// diagnostics are cleared.
func (s *Server) pubURI(path string, clearing bool) protocol.DocumentUri {
	s.mu.Lock()
	defer s.mu.Unlock()
	uri, ok := s.pubURIs[path]
	if d := s.docs[path]; d != nil {
		uri = d.uri
	} else if !ok {
		uri = pathToURI(path)
	}
	if clearing {
		delete(s.pubURIs, path)
	} else {
		s.pubURIs[path] = uri
	}
	return uri
}

// clear publishes an empty list for uri.
func (s *Server) clear(uri protocol.DocumentUri) {
	s.notify(string(protocol.ServerTextDocumentPublishDiagnostics), protocol.PublishDiagnosticsParams{URI: uri, Diagnostics: []protocol.Diagnostic{}})
}

var severities = map[lang.Severity]protocol.DiagnosticSeverity{
	lang.SevError:   protocol.DiagnosticSeverityError,
	lang.SevWarning: protocol.DiagnosticSeverityWarning,
	lang.SevInfo:    protocol.DiagnosticSeverityInformation,
}

// unnecessary are the codes of code that does nothing, which editors fade.
var unnecessary = map[lang.Code]bool{lang.CodeUnusedImport: true, lang.CodeUnusedVar: true, lang.CodeUnreachable: true, lang.CodeUnreachableArm: true, lang.CodeDiscarded: true}

// toDiagnostic converts a lang diagnostic: its code, severity, UTF-16
// range and related locations.
func (s *Server) toDiagnostic(d *lang.Diagnostic) protocol.Diagnostic {
	sev := severities[d.Severity]
	src := "rpl"
	out := protocol.Diagnostic{
		Range:    toRange(d.File, d.Span),
		Severity: &sev,
		Code:     &protocol.IntegerOrString{Value: string(d.Code)},
		Source:   &src,
		Message:  d.Message,
	}
	if unnecessary[d.Code] {
		out.Tags = []protocol.DiagnosticTag{protocol.DiagnosticTagUnnecessary}
	}
	for _, r := range d.Related {
		if r.File == nil {
			continue
		}
		out.RelatedInformation = append(out.RelatedInformation, protocol.DiagnosticRelatedInformation{
			Location: protocol.Location{URI: s.uriOf(filepath.Clean(r.File.Name)), Range: toRange(r.File, r.Span)},
			Message:  r.Message,
		})
	}
	return out
}

// unseenImportErrors names, on each import or extends clause of the
// policy and its test file, the first error of the files it loads
// (directly or through theirs) that no open document shows: a library is
// published by its own check only while it is open, and without this the
// policy would show no error while it does not compile (rplc check
// reports the library's errors with it, and the policy's lenses refuse to
// explain it). An error of an open file is left to that file, but for a
// cycle of imports (RPL204): a check reports it on the clause that closes
// it, which depends on where the check starts, and the open file's own
// check puts it on another file (two files that import each other, both
// open, showed the cycle on neither).
func (s *Server) unseenImportErrors(sn *snapshot, diags lang.DiagList, own map[string]bool) map[string][]protocol.Diagnostic {
	first := map[string]*lang.Diagnostic{}
	count := map[string]int{}
	s.mu.Lock()
	for _, d := range diags {
		if d.File == nil || d.Severity != lang.SevError && d.HiddenErrors() == 0 {
			continue
		}
		path := filepath.Clean(d.File.Name)
		if own[path] || s.docs[path] != nil && d.Code != lang.CodeImportCycle {
			continue
		}
		if d.Severity != lang.SevError { // an RPL900 note, after its file's errors
			count[path] += d.HiddenErrors()
			continue
		}
		if first[path] == nil {
			first[path] = d
		}
		count[path]++
	}
	s.mu.Unlock()
	if len(first) == 0 {
		return nil
	}
	out := map[string][]protocol.Diagnostic{}
	for _, p := range sortedKeys(own) {
		fn := sn.files[p]
		if fn == nil {
			continue
		}
		for _, lc := range fn.LoadClauses() {
			// The files lc reaches, in the order they load, the first with
			// an error named.
			seen := map[string]bool{}
			queue := []string{filepath.Clean(lc.File)}
			var bad string
			for len(queue) > 0 && bad == "" {
				f := queue[0]
				queue = queue[1:]
				if seen[f] || own[f] {
					continue
				}
				seen[f] = true
				if first[f] != nil {
					bad = f
					break
				}
				if n := sn.files[f]; n != nil {
					for _, l := range n.Loads() {
						queue = append(queue, filepath.Clean(l))
					}
				}
			}
			if bad == "" {
				continue
			}
			d := first[bad]
			name := bad
			if rel, err := filepath.Rel(filepath.Dir(p), bad); err == nil {
				name = rel
			}
			pos := d.Position()
			at := &lang.Diagnostic{
				File:     fn.File,
				Span:     lc.Path.Span(),
				Severity: lang.SevError,
				Code:     d.Code,
				Message:  fmt.Sprintf("%s has errors: %d:%d: %s%s", name, pos.Line, pos.Col, d.Message, lang.AndMoreErrors(count[bad]-1)),
				Related:  []lang.Related{{File: d.File, Span: d.Span, Message: d.Message}},
			}
			out[p] = append(out[p], s.toDiagnostic(at))
		}
	}
	return out
}
