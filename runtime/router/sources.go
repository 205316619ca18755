// The policy sources: the last good version, the policy directory or
// bundle file, and the bundle bucket; what was taken from each, and
// which activation wins (the package documentation gives the rule).

package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/atomicfile"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/vm"
)

// observer feeds the metrics and persists each activated version.
type observer Router

func (o *observer) Decided(out *runtime.Outcome) { o.Metrics.Decided(out) }

func (o *observer) Loaded(s *runtime.Snapshot, err error) {
	o.Metrics.Loaded(s, err)
	if err != nil {
		return
	}
	o.log.Info("policy version active", "version", s.ShortVersion(), "source", s.Source, "policies", len(s.PolicyIDs()), "tenants", s.Tenants())
	(*Router)(o).warnOverFuel(s)
	if o.opt.KnownOnly && s.Tenants() == 0 {
		o.log.Warn("--require-known-tenant, and the active version registers no tenant (no tenants.json): every request is refused as unauthorized", "version", s.ShortVersion())
	}
	r := (*Router)(o)
	r.persist(s)
	// An activation clears the engine's last load error: the bucket's
	// refusal is no longer the news, after a restart either (a bucket
	// revision refused and handled after this activation records its own).
	r.clearRefusal(s)
}

// warnOverFuel warns, once per activation of s, of its policies whose
// static cost bound (a decision's most fuel, when the compiler could
// bound it) is over the fuel each decision is given (--fuel): a
// decision that takes such a path fails (fuel exhausted). The version's
// tests, run under the test limits as rplc build runs them, do not see
// it. Up to 5 such policies are named, and how many there are.
func (r *Router) warnOverFuel(s *runtime.Snapshot) {
	fuel := r.opt.Limits.Fuel
	if fuel <= 0 {
		fuel = vm.DefaultFuel
	}
	var over []string
	n := 0
	for _, id := range s.PolicyIDs() {
		if p := s.Policy(id); p.Bounded && p.CostBound > fuel {
			if n++; len(over) < 5 {
				over = append(over, fmt.Sprintf("%s (%d)", id, p.CostBound))
			}
		}
	}
	if n > 0 {
		r.log.Warn("policies whose decisions may need more fuel than --fuel gives; a decision that does fails", "version", s.ShortVersion(), "fuel", fuel,
			"policies", n, "bounds", strings.Join(over, ", "))
	}
}

// Reactivated is told of an activation of the version already active
// (runtime.Reactivator): it clears the engine's last load error, as any
// activation does (Loaded), and so the bucket's refusal kept with the
// last good version, which a restart would report again.
func (o *observer) Reactivated(s *runtime.Snapshot) { (*Router)(o).clearRefusal(s) }

// clearRefusal, told of the activation of s, drops the bucket's refusal
// from what was taken from the sources. An activation not the bundle
// watch's own also ends the refusal of the revision the watch is
// handling, which the watch would otherwise record after it (Handled:
// the activation found nothing to clear yet, and a restart reported the
// refusal again). The watch's own activation of an earlier revision,
// after the newest was refused, does not: that refusal stays the news
// (natsx.WatchConfig.NewestRefused).
func (r *Router) clearRefusal(s *runtime.Snapshot) {
	r.persistMu.Lock()
	defer r.persistMu.Unlock()
	if s != r.watchActivating {
		r.foreign++
		if r.watchRefused != "" {
			// Put in the status after this activation cleared it, but
			// before it came here: the refusal came first.
			r.Engine.SourceMended(r.watchRefused)
		}
	}
	if r.sources.BucketRefused != nil {
		r.sources.BucketRefused = nil
		if !r.unsaved && !r.released {
			r.saveSources()
		}
	}
}

// persist writes s as the last good version. When it fails, what is
// taken from the sources is no longer recorded (took), until a version is
// saved again: the record must not say handled a revision whose version a
// restart would not find.
func (r *Router) persist(s *runtime.Snapshot) {
	r.persistMu.Lock()
	defer r.persistMu.Unlock()
	if r.released {
		// Another router may hold the directory now.
		r.log.Warn("last good version not saved: the router has shut down and released its data directory", "version", s.ShortVersion())
		return
	}
	dir, file := filepath.Join(r.opt.DataDir, LastGoodDir), filepath.Join(r.opt.DataDir, LastGoodBundle)
	var err error
	switch {
	case s.Bundle() != nil:
		if err = atomicfile.Write(file, s.Bundle(), 0o644); err == nil {
			discard(dir)
			discard(dir + ".old")
		}
	case s.Files() != nil:
		if err = runtime.WriteFiles(dir, s.Files()); err == nil {
			os.Remove(file)
		}
	}
	was := r.unsaved
	r.unsaved = err != nil
	if err != nil {
		r.log.Warn("last good version not saved: until one is, a restart activates the sources' versions again", "err", err)
		return
	}
	if was {
		// What was taken while unsaved is recorded now, with the version
		// that came after it: kept in memory only, a restart would take
		// again a push activated while unsaved over this later activation
		// (a rollback from it).
		r.saveSources()
	}
}

// discard removes the directory path so that no part of it is ever left
// under its name: renamed aside first (a name lastGood does not read),
// then removed. Removing it in place, a crash midway left a partial
// directory, its modification time that of the removal, which lastGood
// took for the newest copy.
func discard(path string) {
	trash := path + ".trash"
	os.RemoveAll(trash)
	if os.Rename(path, trash) == nil {
		atomicfile.SyncDir(filepath.Dir(path))
		os.RemoveAll(trash)
	}
}

// sources is what the router last took from each of its sources, kept as
// DataDir/LastGoodSources with the last good version.
type sources struct {
	// Local is the version last activated (or found unchanged) from the
	// policy directory or bundle file.
	Local *localSource `json:"local,omitempty"`
	// Bucket is the last revision of the bundle key handled: activated
	// or refused. BucketActive is the revision whose bundle was last
	// activated, of the same bucket: below Bucket's when the revisions
	// after it were refused. It is kept with the rest and taken up at
	// start, so it may name an activation of an earlier run; 0: no
	// revision of this bucket (since it was created) is recorded as
	// activated.
	Bucket       *natsx.BundleMark `json:"bucket,omitempty"`
	BucketActive uint64            `json:"bucket_active,omitempty"`
	// BucketRefused is why Bucket's revision was refused, when it was
	// and no activation came after: a restart, which does not try the
	// revision again, reports it again as the last load error, before
	// it loads the local sources (whose activation or failure is then
	// the news).
	BucketRefused *refusal `json:"bucket_refused,omitempty"`
}

// sourcesShape is the shape of LastGoodSources' JSON.
var sourcesShape = jsonx.FieldsOf(reflect.TypeFor[sources]())

// readSources decodes LastGoodSources' data into src, its keys compared
// exactly (jsonx.UnmarshalExact): a key spelt in another case ("LOCAL"), or
// given twice, which encoding/json would take silently, makes the record
// unreadable, with an error naming the key, rather than read otherwise
// than the router wrote it.
func readSources(data []byte, src *sources) error {
	return jsonx.UnmarshalExact(data, src, sourcesShape)
}

// refusal is a source's version refused: why and when.
type refusal struct {
	Error string    `json:"error"`
	At    time.Time `json:"at"`
}

type localSource struct {
	Path    string `json:"path"` // absolute and cleaned (localPath)
	Version string `json:"version"`
}

// localPath is the spelling of a local source's path that is recorded
// and compared: absolute and cleaned, so that a restart naming the same
// directory otherwise (relative, absolute, with a trailing slash) finds
// it. A symlink is not resolved: the link is the source.
func localPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

// takenSources is what the router last took from each source (GET
// /v2/policies reports it: routers of one fleet that took different
// bucket revisions, or a local rollback, show there).
func (r *Router) takenSources() sources {
	r.persistMu.Lock()
	defer r.persistMu.Unlock()
	return r.sources
}

// took records what was taken from a source, after the activation it
// caused was persisted; while the last activation is not persisted
// (unsaved), in memory only, so that the record kept stays that of the
// last good version saved, and a restart takes again what came after.
func (r *Router) took(update func(*sources)) {
	r.persistMu.Lock()
	defer r.persistMu.Unlock()
	update(&r.sources)
	if r.unsaved || r.released {
		return
	}
	r.saveSources()
}

// saveSources writes what was taken from the sources (LastGoodSources),
// under persistMu.
func (r *Router) saveSources() {
	file := filepath.Join(r.opt.DataDir, LastGoodSources)
	data, err := json.MarshalIndent(r.sources, "", "  ")
	if err == nil {
		err = atomicfile.Write(file, append(data, '\n'), 0o644)
	}
	if err != nil {
		r.log.Warn("last good sources not saved: the next start may activate a source again over a later activation", "err", err)
	}
}

// activateLastGood activates the last good version and takes up what
// was taken from the sources (LastGoodSources). Without a usable last
// good version that record is dropped: the sources' current versions are
// then activated as on a first start, rather than none. With a public
// key, a last good directory (kept by a run from --policies) is usable
// only by a router whose source is --policies, which takes directories
// unsigned anyway: to one that takes bundles only, it is unsigned. A
// version kept and refused (one a later release's checks refuse) is a
// failed load, the status's last error until a source's activation or
// failure replaces it, and is returned, for Start to say why a router
// with nothing else to activate does not start; nil when none was kept.
// A build that ctx's end cut short refused nothing: it is returned
// (wrapping ctx's error) but not recorded. A version kept from a local
// source (--policies, --bundle) other than the one this router names is
// not activated, nor its record taken up: the operator pointed the router
// elsewhere, and the directory named is loaded as on a first start (a
// broken one leaves the router not ready, rather than serving the former
// directory's policies as if they were its own).
func (r *Router) activateLastGood(ctx context.Context) error {
	start := time.Now()
	var s *runtime.Snapshot
	var err error
	path, isBundle := r.lastGood()
	if path == "" {
		return nil
	}
	if isBundle {
		var data []byte
		if data, err = os.ReadFile(path); err == nil {
			s, err = r.Engine.BuildBundle(ctx, path, data, r.readOptions())
		}
	} else if r.opt.PublicKey != nil && r.opt.Policies == "" {
		err = fmt.Errorf("%s is a policy directory, not signed: with --public-key and no --policies, only signed bundles are activated", path)
	} else {
		s, err = r.Engine.BuildDir(ctx, path)
	}
	if err != nil && ctx.Err() != nil {
		// Cut short (a shutdown during the start): not refused, and
		// its record stays, for the next start.
		return cutShort(ctx, path)
	}
	if err != nil {
		r.log.Warn("last good version refused: the policy sources are activated as on a first start", "err", err)
		r.Engine.LoadFailed(err)
		return err
	}
	srcFile := filepath.Join(r.opt.DataDir, LastGoodSources)
	data, err := os.ReadFile(srcFile)
	var src sources
	if err == nil {
		err = readSources(data, &src)
	}
	if l, local := src.Local, r.localSource(); err == nil && l != nil && l.Version == s.Version && local != "" && localPath(l.Path) != localPath(local) {
		r.log.Warn("last good version not activated: it was taken from another policy source than this router's; the source named is loaded as on a first start",
			"version", s.ShortVersion(), "kept_from", l.Path, "source", local)
		return nil
	}
	r.Engine.Activate(s)
	r.log.Info("last good version activated", "version", s.ShortVersion(), "in", time.Since(start))
	if errors.Is(err, os.ErrNotExist) {
		return nil // kept by an earlier release: the sources are activated
	}
	if err != nil {
		r.log.Warn("last good sources unreadable: the policy sources are activated as on a first start", "file", srcFile, "err", err)
		return nil
	}
	r.persistMu.Lock()
	r.sources = src
	r.persistMu.Unlock()
	if f := src.BucketRefused; f != nil && src.Bucket != nil {
		// The bucket's value, refused before the restart, is not tried
		// again: its refusal is still the news, until the bundle watch
		// finds the bucket gone (bucketStarted).
		r.Engine.StillRefused(bucketSource(*src.Bucket), errors.New(f.Error), f.At)
	}
	return nil
}

// localSource is the local source the router names: --bundle, else
// --policies ("" when neither), as Start and Reload take them.
func (r *Router) localSource() string {
	if r.opt.Bundle != "" {
		return r.opt.Bundle
	}
	return r.opt.Policies
}

// lastGood is where the last good version is kept (persist): the bundle
// file or the directory, else the directory's former copy, which a crash
// while the directory was replaced leaves alone (runtime.WriteFiles). Of
// those there, the one written last (its modification time): a crash
// between the writing of one and the removal of the other leaves both.
// "" when there is none.
func (r *Router) lastGood() (path string, isBundle bool) {
	file := filepath.Join(r.opt.DataDir, LastGoodBundle)
	dir := filepath.Join(r.opt.DataDir, LastGoodDir)
	kept := []string{file, dir}
	if _, err := os.Stat(dir); err != nil {
		kept[1] = dir + ".old"
	}
	var newest time.Time
	for _, p := range kept {
		if fi, err := os.Stat(p); err == nil && (path == "" || fi.ModTime().After(newest)) {
			path, newest = p, fi.ModTime()
		}
	}
	return path, path == file
}

// readOptions are the bundle checks of this router: the signature when a
// public key is configured.
func (r *Router) readOptions() bundle.ReadOptions {
	return bundle.ReadOptions{PublicKey: r.opt.PublicKey, RequireSignature: r.opt.PublicKey != nil}
}

// loadDir builds the policy directory and activates it: always with
// force, else only when its version differs from the one last taken from
// it or nothing is active, and no other activation came while it was
// built (see the package documentation and loadLocal). It returns the
// snapshot activated, nil when it activated none.
func (r *Router) loadDir(ctx context.Context, force bool) (*runtime.Snapshot, error) {
	dir := r.opt.Policies
	return r.loadLocal(ctx, dir, force, func() (*runtime.Snapshot, error) { return r.Engine.BuildDir(ctx, dir) })
}

// loadBundle is loadDir for the bundle file path. The file is read
// within the load (holding loads), so that of two reloads the one that
// runs last activates the file as it is then; a file that cannot be read
// is a failed load, reported in the status as one that does not verify.
func (r *Router) loadBundle(ctx context.Context, path string, force bool) (*runtime.Snapshot, error) {
	return r.loadLocal(ctx, path, force, func() (*runtime.Snapshot, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			// The source names the file: its error's path again said
			// "p: open p: no such file or directory".
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &runtime.LoadError{Source: path, Problems: []string{err.Error()}}
		}
		return r.Engine.BuildBundle(ctx, path, data, r.readOptions())
	})
}

// afterLocalBuild, when set (by tests), runs between a local source's
// build and its activation; beforeLocalBuild, before the build.
var afterLocalBuild, beforeLocalBuild atomic.Pointer[func()]

// waitingLoad, when set (by tests), runs when a load of the local source
// waits for another.
var waitingLoad atomic.Pointer[func()]

// cutShort is the error of a build of source that ctx's end cut short (a
// shutdown during a start, a SIGHUP reload or a pushed bundle's build):
// it refused nothing, so it is neither a failed load nor the status's
// last error.
func cutShort(ctx context.Context, source string) error {
	return fmt.Errorf("%s not loaded: its build was cut short: %w", source, ctx.Err())
}

// beforeBundleApply, when set (by tests), runs with the bundle watch's
// context before a pushed bundle is built.
var beforeBundleApply atomic.Pointer[func(context.Context)]

// afterBundleRefused, when set (by tests), runs on the bundle watch's
// goroutine after a pushed bundle was refused, before its revision is
// recorded as handled.
var afterBundleRefused atomic.Pointer[func()]

// loadLocal builds the local source path (a directory or bundle file)
// and activates it; a failed build is recorded in the engine's status,
// but for one that ctx's end cut short (a shutdown during a start or a
// SIGHUP reload), which refused nothing.
// Without force, it activates nothing (nil, nil) when the source holds
// the version last taken from it while another is active (an unchanged
// source is no new activation), nor when another activation came while
// it built (a push, a rollback: the later one stays; the version counts
// as taken, so the source saved unchanged does not override it either).
// With force (Reload) it activates the source's version in any case.
// Loads are one at a time (loads): a reload asked for (Reload) and one
// the watch makes do not cross.
func (r *Router) loadLocal(ctx context.Context, path string, force bool, build func() (*runtime.Snapshot, error)) (*runtime.Snapshot, error) {
	select {
	case r.loads <- struct{}{}:
	default:
		// Another load runs (an HTTP reload, which runs to its end): a
		// load that waits for it gives up when its context ends, the
		// watch's at a shutdown, which waited for it.
		if f := waitingLoad.Load(); f != nil {
			(*f)()
		}
		select {
		case r.loads <- struct{}{}:
		case <-ctx.Done():
			return nil, cutShort(ctx, path)
		}
	}
	defer func() { <-r.loads }()
	r.persistMu.Lock()
	last := r.sources.Local
	r.persistMu.Unlock()
	key := localPath(path)
	was := r.Engine.Activation()
	if f := beforeLocalBuild.Load(); f != nil {
		(*f)()
	}
	s, err := build()
	if err != nil {
		if ctx.Err() != nil {
			// Cut short (a shutdown during a start or a SIGHUP reload):
			// the build says nothing of the source, and is neither a
			// failed load (reload_failures, rpl_reloads_total) nor the
			// status's last error, which stays the source's own.
			return nil, cutShort(ctx, path)
		}
		r.Engine.LoadFailed(err)
		return nil, err
	}
	if f := afterLocalBuild.Load(); f != nil {
		(*f)()
	}
	// A record of an earlier release may hold the path as given.
	if !force && was.Snapshot() != nil && last != nil && localPath(last.Path) == key && s.Version == last.Version {
		// The source is good again: its failed load is over. Another
		// source's (a refused push) stays reported.
		mended := r.Engine.SourceMended(path)
		if cur := r.Engine.Current(); cur != nil && cur.Version != s.Version {
			r.log.Info("policy source unchanged: the later activation stays", "source", path, "version", s.ShortVersion(), "active", cur.ShortVersion(),
				"reactivate", "POST /v2/policies/reload, or SIGHUP to rpl-router serve")
		} else if mended {
			// Back to the version active: the error an operator last
			// read in the log is over, which the log says.
			r.log.Info("policy source good again: its failed load is over, its version active", "source", path, "version", s.ShortVersion())
		} else {
			r.log.Debug("policy source unchanged", "source", path, "version", s.ShortVersion())
		}
		return nil, nil
	}
	activated := true
	if force {
		r.Engine.Activate(s)
	} else {
		activated = r.Engine.ActivateOver(was, s)
	}
	r.took(func(src *sources) { src.Local = &localSource{Path: key, Version: s.Version} })
	if !activated {
		r.Engine.SourceMended(path)
		cur := r.Engine.Current()
		r.log.Info("policy source changed, and another version was activated while it was built: the later activation stays", "source", path, "version", s.ShortVersion(),
			"active", cur.ShortVersion(), "active_source", cur.Source, "reactivate", "POST /v2/policies/reload, or SIGHUP to rpl-router serve")
		return nil, nil
	}
	return s, nil
}

// watchBundles activates the bundles pushed to the bundle bucket.
func (r *Router) watchBundles() {
	bucket := r.bundleBucket()
	r.persistMu.Lock()
	var seen natsx.BundleMark
	if r.sources.Bucket != nil {
		seen = *r.sources.Bucket
	}
	r.persistMu.Unlock()
	// The revision activated since the last one handled, if any (Apply
	// and Handled run on the watcher's goroutine, one revision handled
	// after the revisions it led to were applied).
	var active uint64
	var newest *refusal // the refusal of the revision being handled, if so
	// The activations not the watch's own (Router.foreign) counted when
	// newest was refused: another since ends the refusal.
	var newestAt uint64
	// The refusals of the revision being handled: its own, then those of
	// the earlier revisions tried in its place, logged as one line when
	// it is handled (refusedLine).
	var refusals []revRefusal
	revSource := func(rev uint64) string {
		return bucketSource(natsx.BundleMark{Bucket: bucket, Key: natsx.BundleKey, Revision: rev})
	}
	r.kvw = natsx.WatchBundles(r.nc, natsx.WatchConfig{
		Bucket:   bucket,
		Replicas: r.opt.Replicas,
		Seen:     seen,
		Handled: func(m natsx.BundleMark) {
			r.refusedLine(m, refusals, active)
			refusals = nil
			r.took(func(src *sources) {
				switch {
				case active != 0:
					src.BucketActive = active
				case src.Bucket == nil || !src.Bucket.SameBucket(m):
					src.BucketActive = 0 // none of this bucket
				}
				src.Bucket = &m
				if newest != nil && r.foreign != newestAt {
					newest = nil // an activation came after it
				}
				src.BucketRefused = newest
				r.watchRefused = ""
			})
			active, newest = 0, nil
		},
		Started:   r.bucketStarted,
		Deleted:   r.bundleDeleted,
		Restarted: r.bundleWatchRestarted,
		ReplicasRaised: func(had, replicas int) {
			r.log.Info("bundle bucket: copies raised to --replicas", "bucket", bucket, "from", had, "to", replicas)
		},
		Resync: bundleResync,
		Apply: func(ctx context.Context, data []byte, rev uint64) error {
			if f := beforeBundleApply.Load(); f != nil {
				(*f)(ctx)
			}
			source := revSource(rev)
			s, err := r.Engine.BuildBundle(ctx, source, data, r.readOptions())
			switch {
			case err == nil:
				r.persistMu.Lock()
				r.watchActivating = s
				r.persistMu.Unlock()
				r.Engine.Activate(s)
				r.persistMu.Lock()
				r.watchActivating = nil
				r.persistMu.Unlock()
				active = rev
				return nil
			case ctx.Err() != nil:
				// Cut short by the watch stopping (a shutdown): the
				// revision is not handled (the next run applies it), nor
				// is its build a failed load or the status's last error.
				return cutShort(ctx, source)
			}
			// Recorded in the status and counted at once, under
			// persistMu: an activation is before both or after both
			// (clearRefusal).
			r.persistMu.Lock()
			r.Engine.LoadFailed(err)
			r.watchRefused = source
			if newest == nil { // the revision handled, tried first
				newest, newestAt = &refusal{Error: err.Error(), At: time.Now()}, r.foreign
			}
			r.persistMu.Unlock()
			if f := afterBundleRefused.Load(); f != nil {
				(*f)()
			}
			refusals = append(refusals, revRefusal{rev, err})
			return pushRefusal{err}
		},
		// An earlier revision activated after the newest was refused
		// cleared the refusal from the status: it is reported again,
		// unless an activation not the watch's came since.
		NewestRefused: func(rev uint64, err error, at time.Time) {
			r.persistMu.Lock()
			defer r.persistMu.Unlock()
			if newest != nil && r.foreign == newestAt {
				r.Engine.StillRefused(revSource(rev), err, at)
				r.watchRefused = revSource(rev)
			}
		},
		OnError: func(err error) {
			if errors.Is(err, natsx.ErrFewerReplicas) { // told once; the raise is tried again until it succeeds (ReplicasRaised)
				r.log.Warn("bundle bucket: its copies could not be raised to --replicas; tried again until they are", "bucket", bucket, "replicas", r.opt.Replicas, "err", err)
				return
			}
			if errors.As(err, new(pushRefusal)) {
				return // logged once the revision is handled, with what came of it (refusedLine)
			}
			if errors.Is(err, natsx.ErrBundleDeleted) {
				r.log.Warn("pushed bundle", "err", err) // an operator's deletion
				return
			}
			if errors.Is(err, natsx.ErrWatch) {
				// Not a bundle's: the watch, tried again every second
				// (an election, a server lost); logged as a pushed
				// bundle's error, it read as a bad release.
				r.log.Warn("bundle watch failed; tried again every second", "err", err)
			} else {
				r.log.Error("pushed bundle", "err", err)
			}
			r.bucketStorageHint(err)
		},
	})
}

// revRefusal is a revision of the bundle key that the watch's Apply
// refused, and why.
type revRefusal struct {
	rev uint64
	err error
}

// pushRefusal is Apply's refusal of a revision, which OnError is told
// (wrapped) and leaves to refusedLine.
type pushRefusal struct{ error }

func (e pushRefusal) Unwrap() error { return e.error }

// refusedLine logs the refusal of revision m of the bundle key, handled,
// and what came of it: an earlier revision activated in its place, or
// the running version staying. refusals are the revision's own, then
// those of the earlier revisions tried in its place, which the line
// names, with their errors when not the newest's; active is the revision
// activated, 0 for none. A line per refusal, "pushed bundle", said four
// times what one push did to a router of the wrong key walking back
// through the key's history, and not that the router stayed where it
// was.
func (r *Router) refusedLine(m natsx.BundleMark, refusals []revRefusal, active uint64) {
	if len(refusals) == 0 {
		return
	}
	// Why, without the source that the build's error names.
	why := func(f revRefusal) string {
		at := m
		at.Revision = f.rev
		return strings.ReplaceAll(f.err.Error(), bucketSource(at), "")
	}
	newest := refusals[0].err
	args := []any{"source", bucketSource(m), "err", newest}
	if len(refusals) > 1 {
		var revs, others []string
		for _, f := range refusals[1:] {
			revs = append(revs, strconv.FormatUint(f.rev, 10))
			if why(f) != why(refusals[0]) {
				others = append(others, fmt.Sprintf("revision %d: %v", f.rev, f.err))
			}
		}
		args = append(args, "earlier_refused", strings.Join(revs, ", "))
		if len(others) > 0 {
			args = append(args, "earlier_errors", strings.Join(others, "; "))
		}
	}
	msg := "pushed bundle refused; " + r.stays()
	if active != 0 {
		msg = "pushed bundle refused; an earlier revision activated in its place"
		m.Revision = active
		args = append(args, "activated", bucketSource(m))
	}
	r.log.Error(msg, args...)
}

// bundleResync is the bundle watch's natsx.WatchConfig.Resync (0: its
// default); the tests make it short.
var bundleResync time.Duration

// bundleWatchRestarted logs a restart of the bundle watch (each counted
// by reason, rpl_bundle_watch_restarts_total): for a stall, a warning,
// the push it had not delivered activated late (a watch that stalls
// again and again is a deployment losing consumers); for the bucket
// deleted or replaced, a line. A restart for the connection back is told
// by the connection's own lines.
func (r *Router) bundleWatchRestarted(rs natsx.Restart) {
	switch rs.Reason {
	case natsx.RestartStalled:
		r.log.Warn("bundle watch restarted: it was behind the key at two resyncs in a row (its JetStream consumer lost); the key's latest revision is delivered now",
			"bucket", rs.Bucket, "key", rs.Key, "delivered", rs.Delivered, "latest", rs.Latest)
	case natsx.RestartReplaced:
		r.log.Info("bundle watch restarted: the bucket was deleted, or deleted and created again", "bucket", rs.Bucket, "key", rs.Key)
	}
}

// bucketSource is the source that an activation or refusal of revision m
// names (Snapshot.Source, the status's last error).
func bucketSource(m natsx.BundleMark) string {
	return fmt.Sprintf("nats:%s/%s@%d", m.Bucket, m.Key, m.Revision)
}

// bucketStarted is told the bucket each bundle watch starts on. A refusal
// recorded for a revision of another bucket (the bucket deleted and
// created again, while the router ran or was down) is over: that
// revision is no longer the bucket's value, nor will it be tried.
func (r *Router) bucketStarted(b natsx.BundleMark) {
	r.persistMu.Lock()
	src := r.sources
	r.persistMu.Unlock()
	if src.BucketRefused == nil || src.Bucket == nil || src.Bucket.SameBucket(b) {
		return
	}
	r.log.Info("the bundle bucket was created again: the refusal of the old one's revision is over", "bucket", b.Bucket, "refused", bucketSource(*src.Bucket))
	r.Engine.SourceMended(bucketSource(*src.Bucket))
	r.took(func(src *sources) { src.BucketRefused = nil })
}

// bundleDeleted is told each deletion (or purge) of the bundle key the
// watch delivers. A refusal recorded for a revision before it is over:
// that revision is no longer the key's value, nor will it be tried. It
// stayed in the status's last error and bucket_refused until the next
// activation, a restart included.
func (r *Router) bundleDeleted(m natsx.BundleMark) {
	r.persistMu.Lock()
	src := r.sources
	r.persistMu.Unlock()
	if src.BucketRefused == nil || src.Bucket == nil || !src.Bucket.SameBucket(m) || src.Bucket.Revision > m.Revision {
		return
	}
	r.log.Info("the refused bundle was deleted from the bucket: its refusal is over", "refused", bucketSource(*src.Bucket), "deleted_at", m.Revision)
	r.Engine.SourceMended(bucketSource(*src.Bucket))
	r.took(func(src *sources) { src.BucketRefused = nil })
}

// BundleRevision is the revision of the last pushed bundle activated from
// the bundle bucket, 0 if none.
func (r *Router) BundleRevision() uint64 {
	if r.kvw == nil {
		return 0
	}
	return r.kvw.Revision()
}

// BundleSynced reports whether the bundle watch has handled the bucket's
// value at its start: activated or refused it, or passed over a revision
// handled before a restart.
func (r *Router) BundleSynced() bool { return r.kvw != nil && r.kvw.Synced() }

// ErrNoLocalSource is Reload's error for a router without a policy
// directory or bundle file (its bundles come from the bucket only).
var ErrNoLocalSource = fmt.Errorf("%w: the router has no policy directory or bundle file (--policies, --bundle); push a bundle again to activate it again (rplc push)", httpx.ErrNoSource)

// Reload builds the policy directory (or the bundle file) now and
// activates it, even unchanged since it was last taken, over a later
// activation (a rollback, a push): what POST /v2/policies/reload and
// SIGHUP to rpl-router serve do. It returns the version activated; on
// failure the running version stays, and the error says why (as the
// engine's status does). A build that ctx's end cut short is no failed
// load: its error wraps ctx's, and the status is left as it was.
func (r *Router) Reload(ctx context.Context) (*runtime.Snapshot, error) {
	var s *runtime.Snapshot
	var err error
	switch {
	case r.opt.Bundle != "":
		s, err = r.loadBundle(ctx, r.opt.Bundle, true)
	case r.opt.Policies != "":
		s, err = r.loadDir(ctx, true)
	default:
		return nil, ErrNoLocalSource
	}
	if err != nil {
		if ctx.Err() != nil {
			r.log.Warn("reload cut short; "+r.stays(), "err", err)
			return nil, err
		}
		r.log.Error("reload failed; "+r.stays(), "err", err)
		return nil, err
	}
	r.log.Info("policy source activated again", "source", s.Source, "version", s.ShortVersion())
	return s, nil
}

// watchDir reloads the policy directory when it changes (debounced). It
// watches the directory's parent too, for the directory itself: removed
// and made again (a deployment replacing it whole), it is watched again
// and reloaded. The directory may be a symlink (a blue/green deployment's
// current link): its target's tree is watched, and when the link changes
// (swapped to another target) the new target is reloaded and watched
// instead of the old one. Paths are absolute and cleaned, so that
// --policies . sees its own files' events.
func (r *Router) watchDir() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	r.watch = w
	root := localPath(r.opt.Policies)
	parent := filepath.Dir(root)
	if err := w.Add(parent); err != nil {
		r.log.Warn("not watching the policy directory's parent: a directory removed and made again will not be reloaded", "dir", parent, "err", err)
	}
	// target is root resolved; watched, the directories of its tree
	// that are watched.
	target, watched := root, map[string]bool{}
	// add watches the directories of the policy tree dir (hidden ones
	// skipped, as the build skips them); errors skip a directory only.
	// parent is watched apart: its watch stays whatever the target (a
	// link to an ancestor of the policy directory holds parent).
	add := func(dir string) {
		lang.WalkPolicyTree(dir, func(p, _ string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && p != parent && w.Add(p) == nil {
				watched[p] = true
			}
			return nil
		})
	}
	// retarget resolves root again and watches its target's tree; the
	// directories of a former target are no longer watched.
	retarget := func() {
		t, err := filepath.EvalSymlinks(root)
		if err != nil {
			return // root is gone: its parent's watch sees it come back
		}
		if t != target {
			for p := range watched {
				w.Remove(p)
			}
			clear(watched)
			target = t
		}
		add(target)
	}
	inTarget := func(p string) bool {
		return p == target || strings.HasPrefix(p, target+string(filepath.Separator))
	}
	retarget()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		// The builds end with the router (Shutdown waits for this
		// goroutine): a build whose policies' tests ran long (a large
		// --fuel) held Shutdown past its context, for as long as they
		// ran.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-r.stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		var timer *time.Timer
		fire := make(chan struct{}, 1)
		for {
			select {
			case <-r.stop:
				if timer != nil {
					timer.Stop()
				}
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				switch name := filepath.Clean(ev.Name); {
				case name == root:
					retarget() // made again, or a link swapped to another target
				case inTarget(name):
					if ev.Has(fsnotify.Create) {
						if fi, err := os.Lstat(name); err == nil && fi.IsDir() {
							add(name)
						}
					}
				default:
					continue // a sibling of the policy directory, or a link's former target
				}
				if timer == nil {
					timer = time.AfterFunc(100*time.Millisecond, func() {
						select {
						case fire <- struct{}{}:
						default:
						}
					})
				} else {
					timer.Reset(100 * time.Millisecond)
				}
			case <-fire:
				if _, err := r.loadDir(ctx, false); err != nil && ctx.Err() != nil {
					r.log.Info("reload cut short by the shutdown; "+r.stays(), "err", err)
				} else if err != nil {
					r.log.Error("reload failed; "+r.stays(), "err", err)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				r.log.Warn("watching policies", "err", err)
			}
		}
	}()
	return nil
}

// stays says what a failed load leaves running: the active version, or
// none yet.
func (r *Router) stays() string {
	if r.Engine.Current() == nil {
		return "no version is active yet"
	}
	return "the running version stays"
}
