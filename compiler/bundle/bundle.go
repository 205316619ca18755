// Package bundle reads and writes RPL policy bundles (.rplb): the unit a
// router loads. spec/bundle.md describes the format as a grammar.
//
// A bundle holds a JSON manifest (bundle and compiler versions, build time,
// and for each policy its id, source files with their sha256, entry
// points, tests, static cost bound and the sha256 of its encoded program),
// the encoded programs (vm.Program.MarshalBinary), an optional provider
// catalogue, an optional tenant registry, and an optional ed25519
// signature.
//
// Contract:
//   - Write is deterministic: the same manifest, programs, catalogue,
//     tenants and key give the same bytes.
//   - Read trusts nothing: it checks the magic, the format version, every
//     section's framing, the manifest's own hash, each program's, the
//     catalogue's and the tenants' size and sha256 against the manifest,
//     the tenant registry's shape and policies, the signature when
//     a public key is configured, and loads every program through vm.Load,
//     which verifies its bytecode. Malformed input returns an *Error naming
//     the section at fault; Read never panics.
//   - The bundle hash (sha256 of the whole file, Bundle.Version) is the
//     policy version the router names in every decision.
//
// Build (build.go) is the pipeline behind `rplc build`: check and compile
// every policy of a directory, run its tests against the encoded program,
// and write the bundle.
package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// The bundle format.
const (
	// Magic starts every bundle.
	Magic = "RPLB"
	// FormatVersion is the newest version of the format: Write writes it
	// for a bundle with a tenant registry, and MinFormatVersion (which
	// has no tenants section) for one without, so that such a bundle
	// stays readable by version-1 readers. Read accepts both.
	FormatVersion = 2
	// MinFormatVersion is the oldest version Read accepts.
	MinFormatVersion = 1
	// Ext is the conventional file extension.
	Ext = ".rplb"
)

// Section ids.
const (
	secManifest  = 1
	secPrograms  = 2
	secCatalogue = 3
	secSignature = 4
	secTenants   = 5 // format 2
)

var sectionNames = [...]string{
	secManifest: "manifest", secPrograms: "programs",
	secCatalogue: "catalogue", secSignature: "signature",
	secTenants: "tenants",
}

// sectionOrder lists, for each format version, its sections in the order
// they appear; the last, the signature, is optional.
var sectionOrder = [...][]byte{
	1: {secManifest, secPrograms, secCatalogue, secSignature},
	2: {secManifest, secPrograms, secCatalogue, secTenants, secSignature},
}

// Limits Read enforces before allocating.
const (
	MaxPolicies     = 1 << 16
	MaxManifestSize = 64 << 20
)

// Manifest describes a bundle's contents. It is stored as JSON; unknown
// fields are ignored on reading (new optional fields do not need a new
// format version).
type Manifest struct {
	// Format is the format version, the header's: MinFormatVersion, or
	// FormatVersion when the bundle has a tenant registry.
	Format int `json:"format"`
	// Compiler names the toolchain that built the bundle (CompilerVersion).
	Compiler string `json:"compiler"`
	// Bytecode is the newest program encoding version of the bundle's
	// programs (vm.MinFormatVersion to vm.FormatVersion; the first when
	// there are none); a program of a newer version than it says is
	// refused, and so is a manifest that says a version newer than all.
	Bytecode int `json:"bytecode"`
	// Built is the build time (UTC, whole seconds; Read refuses another
	// offset or a fraction of a second). The zero time is an unknown
	// build time: Write writes it as 0001-01-01T00:00:00Z, and Read gives
	// it for that and for a manifest without built, as every reader has
	// (Build always sets it; other writers, and tests, may not).
	Built time.Time `json:"built"`
	// TestsSkipped records `rplc build --skip-tests`: the policies' tests
	// were not run (or did not pass) when the bundle was built.
	TestsSkipped bool `json:"tests_skipped"`
	// Policies, sorted by id; the programs section holds their programs
	// in the same order.
	Policies []PolicyEntry `json:"policies"`
	// Catalogue is the size and hash of the catalogue section, when the
	// bundle carries one.
	Catalogue *Blob `json:"catalogue,omitempty"`
	// Tenants is the size and hash of the tenants section, when the
	// bundle carries a tenant registry (format 2).
	Tenants *Blob `json:"tenants,omitempty"`
}

// PolicyEntry is one policy of a Manifest.
type PolicyEntry struct {
	// ID is the policy's package name, unique in the bundle.
	ID string `json:"id"`
	// File is the policy file, relative to the build directory, with
	// forward slashes.
	File string `json:"file"`
	// Sources lists every file the policy was compiled from (the policy,
	// its test file, the files it extends and imports), sorted by path.
	Sources []Source `json:"sources"`
	// Entries are the program's entry points, sorted ("route", and
	// "test:NAME" for each test).
	Entries []string `json:"entries"`
	// Tests are the policy's test names in source order; each is the
	// program entry "test:" + name.
	Tests []string `json:"tests"`
	// CostBound is the static fuel bound of route; Bounded says whether
	// there is one (recursion prevents it).
	CostBound int64 `json:"cost_bound"`
	Bounded   bool  `json:"bounded"`
	// Program is the size and sha256 of the encoded program.
	Program Blob `json:"program"`
}

// Source is a source file and the sha256 of its bytes.
type Source struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Blob is the size and lowercase hex sha256 of a byte string.
type Blob struct {
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

func blobOf(data []byte) Blob {
	sum := sha256.Sum256(data)
	return Blob{Size: len(data), SHA256: hex.EncodeToString(sum[:])}
}

// Bundle is a verified bundle.
type Bundle struct {
	Manifest Manifest
	// Policies in manifest order.
	Policies []*Policy
	// Catalogue is the provider catalogue, or nil.
	Catalogue *Catalogue
	// Tenants is the tenant registry, or nil.
	Tenants *Tenants
	// Signed reports whether the bundle carries a signature; Verified,
	// whether Read checked it against a configured public key. KeyID is
	// the signing key's id (see KeyID).
	Signed, Verified bool
	KeyID            string
	// Hash is the sha256 of the whole file, Size its length.
	Hash [32]byte
	Size int
}

// Version is the bundle's version: the lowercase hex sha256 of the file.
func (b *Bundle) Version() string { return hex.EncodeToString(b.Hash[:]) }

// ShortVersion is the first 12 hex digits of Version, for display.
func (b *Bundle) ShortVersion() string { return b.Version()[:12] }

// Policy returns the policy with id, or nil.
func (b *Bundle) Policy(id string) *Policy {
	for _, p := range b.Policies {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Policy is one verified policy of a bundle.
type Policy struct {
	PolicyEntry
	// Code is the encoded program, VM the verified program loaded from
	// it.
	Code []byte
	VM   *vm.Program
}

// Error is a malformed or untrusted bundle: Section names the part at
// fault ("header", "manifest", "program <id>", "catalogue", "tenants",
// "signature"). The catalogue or the tenant registry refused is a
// *DataError, the file the section is byte for byte: its text is the
// section's and the diagnostic rplc check gives that file ("bundle
// tenants: tenants.json:1:75: error[RPL217]: tenants[1].id: …").
type Error struct {
	Section string
	Err     error
}

func (e *Error) Error() string { return "bundle " + e.Section + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

func errorf(section, format string, args ...any) error {
	return &Error{Section: section, Err: fmt.Errorf(format, args...)}
}

// manifestErrorf is the manifest refused for its value at path, a
// *PathError.
func manifestErrorf(path, format string, args ...any) error {
	return &Error{Section: "manifest", Err: pathErrorf(path, format, args...)}
}

// Errors that Read wraps in an *Error, for errors.Is.
var (
	// ErrHashMismatch: a section's bytes do not match the hash recorded
	// for them.
	ErrHashMismatch = errors.New("sha256 mismatch")
	// ErrUnsigned: a signature is required and the bundle has none.
	ErrUnsigned = errors.New("bundle is not signed and a signature is required")
	// ErrBadSignature: the signature does not verify with the configured
	// public key.
	ErrBadSignature = errors.New("signature does not verify with the configured public key")
)

// Write encodes a bundle of the given manifest, programs (one per
// m.Policies entry, in order), catalogue JSON and tenants JSON (nil for
// none), signed with key when key is not nil. Write fills in the
// manifest's format and bytecode versions, each program's blob and the
// catalogue's and tenants' blobs; the rest of the manifest is the
// caller's. The format is FormatVersion with tenants, else
// MinFormatVersion.
func Write(m Manifest, programs [][]byte, catalogue, tenants []byte, key ed25519.PrivateKey) ([]byte, error) {
	if len(programs) != len(m.Policies) {
		return nil, fmt.Errorf("bundle: %d programs for %d policies", len(programs), len(m.Policies))
	}
	if key != nil && len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("bundle: signing key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	// Read's limits: what it would refuse is not written.
	if len(m.Policies) > MaxPolicies {
		return nil, fmt.Errorf("bundle: %d policies, more than the %d a bundle may hold", len(m.Policies), MaxPolicies)
	}
	m.Format = MinFormatVersion
	if tenants != nil {
		m.Format = FormatVersion
	}
	// The newest program format of the programs: a bundle whose programs
	// are all version 1 stays readable by version-1 readers.
	m.Bytecode = vm.MinFormatVersion
	for _, p := range programs {
		if v, ok := vm.ProgramVersion(p); ok && v > m.Bytecode {
			m.Bytecode = v
		}
	}
	m.Built = m.Built.UTC().Truncate(time.Second)
	m.Policies = slices.Clone(m.Policies)
	for i, p := range programs {
		m.Policies[i].Program = blobOf(p)
	}
	m.Catalogue = nil
	if catalogue != nil {
		b := blobOf(catalogue)
		m.Catalogue = &b
	}
	m.Tenants = nil
	if tenants != nil {
		b := blobOf(tenants)
		m.Tenants = &b
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bundle: manifest: %w", err)
	}
	if len(js) > MaxManifestSize-sha256.Size {
		return nil, fmt.Errorf("bundle: a manifest of %d bytes, more than the %d a bundle may hold", len(js), MaxManifestSize-sha256.Size)
	}
	sum := sha256.Sum256(js)

	var out []byte
	out = append(out, Magic...)
	out = binary.AppendUvarint(out, uint64(m.Format))
	out = appendSection(out, secManifest, append(sum[:], js...))
	var progs []byte
	progs = binary.AppendUvarint(progs, uint64(len(programs)))
	for _, p := range programs {
		progs = binary.AppendUvarint(progs, uint64(len(p)))
		progs = append(progs, p...)
	}
	out = appendSection(out, secPrograms, progs)
	out = appendSection(out, secCatalogue, catalogue)
	if tenants != nil {
		out = appendSection(out, secTenants, tenants)
	}
	if key != nil {
		sig := sign(key, out)
		body := append(keyID(key.Public().(ed25519.PublicKey)), sig...)
		out = appendSection(out, secSignature, body)
	}
	return out, nil
}

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}

// ReadOptions configure Read.
type ReadOptions struct {
	// PublicKey, when set, is the key the signature must verify with; a
	// bundle signed with another key, or tampered with, is rejected.
	PublicKey ed25519.PublicKey
	// RequireSignature rejects unsigned bundles. It needs PublicKey.
	RequireSignature bool
	// Builtins resolve the programs' builtin calls; nil means the
	// standard library's table.
	Builtins *vm.BuiltinTable
}

// manifestShape is the shape of the manifest's JSON: its fields, its
// policies' (and theirs), and those of its blobs (jsonx.InexactKey).
var manifestShape = jsonx.FieldsOf(reflect.TypeFor[Manifest]())

// Read decodes and verifies a bundle.
func Read(data []byte, opts ReadOptions) (*Bundle, error) {
	if opts.RequireSignature && opts.PublicKey == nil {
		return nil, errors.New("bundle: a signature is required but no public key is configured")
	}
	if opts.PublicKey != nil && len(opts.PublicKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("bundle: public key of %d bytes, want %d", len(opts.PublicKey), ed25519.PublicKeySize)
	}
	builtins := opts.Builtins
	if builtins == nil {
		t, err := stdlib.Table()
		if err != nil {
			return nil, fmt.Errorf("bundle: standard library: %w", err)
		}
		builtins = t
	}

	// 1. Framing: magic, version, sections in order.
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		return nil, errorf("header", "bad magic (not an RPL bundle)")
	}
	off := len(Magic)
	v, n, err := uvarint(data[off:])
	if err != nil {
		return nil, errorf("header", "format version: %v", err)
	}
	off += n
	if v < MinFormatVersion || v > FormatVersion {
		return nil, errorf("header", "unsupported format version %d (this reader reads versions %d to %d; a newer rplc or router reads newer bundles)", v, MinFormatVersion, FormatVersion)
	}
	var body [len(sectionNames)][]byte
	var present [len(sectionNames)]bool
	sigStart := len(data)
	for _, id := range sectionOrder[v] {
		name := sectionNames[id]
		if off == len(data) {
			if id == secSignature {
				break
			}
			return nil, errorf("header", "missing section %s", name)
		}
		if data[off] != id {
			return nil, errorf("header", "byte %d: section id %d, want %d (%s)", off, data[off], id, name)
		}
		if id == secSignature {
			sigStart = off
		}
		off++
		l, n, err := uvarint(data[off:])
		if err != nil {
			return nil, errorf(name, "length at byte %d: %v", off, err)
		}
		off += n
		if l > uint64(len(data)-off) {
			return nil, errorf(name, "length %d exceeds the data (%d bytes left)", l, len(data)-off)
		}
		body[id], present[id] = data[off:off+int(l)], true
		off += int(l)
	}
	if off != len(data) {
		return nil, errorf("trailer", "%d bytes after the last section", len(data)-off)
	}

	b := &Bundle{Hash: sha256.Sum256(data), Size: len(data)}

	// 2. The signature, before anything else is trusted.
	if present[secSignature] {
		sig := body[secSignature]
		if len(sig) != keyIDSize+ed25519.SignatureSize {
			return nil, errorf("signature", "%d bytes, want %d", len(sig), keyIDSize+ed25519.SignatureSize)
		}
		b.Signed = true
		b.KeyID = hex.EncodeToString(sig[:keyIDSize])
		if opts.PublicKey != nil {
			if want := keyID(opts.PublicKey); !bytes.Equal(sig[:keyIDSize], want) {
				return nil, &Error{Section: "signature", Err: fmt.Errorf("%w (signed by key %s, configured key %s)", ErrBadSignature, b.KeyID, hex.EncodeToString(want))}
			}
			if !verify(opts.PublicKey, data[:sigStart], sig[keyIDSize:]) {
				return nil, &Error{Section: "signature", Err: ErrBadSignature}
			}
			b.Verified = true
		}
	} else if opts.RequireSignature {
		return nil, &Error{Section: "signature", Err: ErrUnsigned}
	}

	// 3. The manifest.
	mb := body[secManifest]
	if len(mb) < sha256.Size {
		return nil, errorf("manifest", "%d bytes, shorter than its sha256", len(mb))
	}
	if len(mb) > MaxManifestSize {
		return nil, errorf("manifest", "%d bytes (max %d)", len(mb), MaxManifestSize)
	}
	js := mb[sha256.Size:]
	if sum := sha256.Sum256(js); !bytes.Equal(sum[:], mb[:sha256.Size]) {
		return nil, &Error{Section: "manifest", Err: ErrHashMismatch}
	}
	// The policies are decoded one at a time, each checked before the
	// next (policyList): a manifest of junk entries is refused at the
	// first, not decoded whole (empty ones, 3 bytes of JSON for about
	// 200 of PolicyEntry, made an 8 MiB bundle allocate 2 GB).
	var policies policyList
	if err := decodeJSON(js, &struct {
		*Manifest
		Policies *policyList `json:"policies"`
	}{&b.Manifest, &policies}); err != nil {
		var be *Error
		if errors.As(err, &be) {
			return nil, be
		}
		return nil, &Error{Section: "manifest", Err: manifestJSONError(js, err)}
	}
	// A key given twice is read as its last (a list of policies, as
	// both): a manifest two readers could take differently, which Write
	// never makes. The error is the second occurrence's (Repeated), as
	// the catalogue's and the tenant registry's are.
	if path, dup := jsonx.DuplicateKey(js, "", 0); dup {
		return nil, &Error{Section: "manifest", Err: &PathError{Path: path, Msg: jsonx.RepeatedKey, Repeated: true}}
	}
	// And a field's key spelled otherwise, which encoding/json reads as
	// the field ("CATALOGUE" as catalogue, and so "format" and "Format"
	// as one key given twice).
	if path, msg, twice, bad := jsonx.InexactKey(js, manifestShape); bad {
		return nil, &Error{Section: "manifest", Err: &PathError{Path: path, Msg: msg, Repeated: twice}}
	}
	b.Manifest.Policies = policies
	if err := checkManifest(&b.Manifest, int(v)); err != nil {
		return nil, err
	}

	// 4. The programs.
	pb := body[secPrograms]
	count, n, err := uvarint(pb)
	if err != nil {
		return nil, errorf("programs", "count: %v", err)
	}
	pb = pb[n:]
	if count != uint64(len(b.Manifest.Policies)) {
		return nil, errorf("programs", "%d programs for %d policies in the manifest", count, len(b.Manifest.Policies))
	}
	newest := vm.MinFormatVersion
	for i := range b.Manifest.Policies {
		e := &b.Manifest.Policies[i]
		sec := "program " + e.ID
		l, n, err := uvarint(pb)
		if err != nil {
			return nil, errorf(sec, "length: %v", err)
		}
		pb = pb[n:]
		if l > uint64(len(pb)) {
			return nil, errorf(sec, "length %d exceeds the section (%d bytes left)", l, len(pb))
		}
		code := pb[:l:l]
		pb = pb[l:]
		if err := checkBlob(sec, code, e.Program); err != nil {
			return nil, err
		}
		if v, ok := vm.ProgramVersion(code); ok {
			if v > b.Manifest.Bytecode {
				return nil, errorf(sec, "program format version %d, the manifest says bytecode %d", v, b.Manifest.Bytecode)
			}
			newest = max(newest, v)
		}
		prog, err := vm.Load(code, builtins)
		if err != nil {
			return nil, &Error{Section: sec, Err: err}
		}
		if got := prog.Entries(); !slices.Equal(got, e.Entries) {
			return nil, errorf(sec, "entry points %q, the manifest lists %q", got, e.Entries)
		}
		if e.Bounded {
			if least := prog.LeastSteps(compiler.EntryRoute); e.CostBound < least {
				return nil, manifestErrorf(fmt.Sprintf("policies[%d].cost_bound", i), "%d, below the %d instructions of the shortest way through route's code (policy %q)", e.CostBound, least, e.ID)
			}
		}
		b.Policies = append(b.Policies, &Policy{PolicyEntry: *e, Code: code, VM: prog})
	}
	if len(pb) != 0 {
		return nil, errorf("programs", "%d trailing bytes after the last program", len(pb))
	}
	// bytecode is the newest of the programs' versions (vm.MinFormatVersion
	// when there are none), as Write writes it: a claim of a newer one
	// would keep the bundle from a reader that loads every program in it.
	if newest != b.Manifest.Bytecode {
		return nil, manifestErrorf("bytecode", "%d, the newest program format version of the bundle's programs is %d", b.Manifest.Bytecode, newest)
	}

	// 5. The catalogue.
	cb := body[secCatalogue]
	switch {
	case b.Manifest.Catalogue == nil && len(cb) > 0:
		return nil, errorf("catalogue", "%d bytes that the manifest does not list", len(cb))
	case b.Manifest.Catalogue != nil:
		if err := checkBlob("catalogue", cb, *b.Manifest.Catalogue); err != nil {
			return nil, err
		}
		cat, err := ParseCatalogue(cb)
		if err != nil {
			return nil, &Error{Section: "catalogue", Err: &DataError{File: CatalogueFile, Data: cb, Err: err}}
		}
		b.Catalogue = cat
	}

	// 6. The tenant registry (format 2).
	tb := body[secTenants]
	switch {
	case b.Manifest.Tenants == nil && len(tb) > 0:
		return nil, errorf("tenants", "%d bytes that the manifest does not list", len(tb))
	case b.Manifest.Tenants == nil && v == FormatVersion:
		// Write writes format 2 exactly for a bundle with a registry:
		// this one is format 1's, which is its only encoding.
		return nil, errorf("tenants", "none in a format %d bundle, which is one with a tenant registry (a bundle without one is format %d)", FormatVersion, MinFormatVersion)
	case b.Manifest.Tenants != nil:
		if err := checkBlob("tenants", tb, *b.Manifest.Tenants); err != nil {
			return nil, err
		}
		ts, err := ParseTenants(tb)
		if err == nil {
			err = ts.CheckPolicies(func(id string) bool {
				_, ok := slices.BinarySearchFunc(b.Manifest.Policies, id, func(p PolicyEntry, id string) int { return strings.Compare(p.ID, id) })
				return ok
			})
		}
		if err != nil {
			return nil, &Error{Section: "tenants", Err: &DataError{File: TenantsFile, Data: tb, Err: err}}
		}
		b.Tenants = ts
	}
	return b, nil
}

// uvarint reads a uvarint in its shortest form, the one Write writes:
// the bytes of a bundle are then the only encoding of its contents, and
// its version (the file's sha256) theirs. The signature section's
// length is not signed: a longer form of it (72 as c8 00) made another
// file of another version that verified with the same signature.
func uvarint(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	switch {
	case n <= 0:
		return 0, 0, errors.New("bad varint")
	case n > 1 && b[n-1] == 0:
		return 0, 0, errors.New("varint not in its shortest form")
	}
	return v, n, nil
}

func checkBlob(sec string, data []byte, want Blob) error {
	if len(data) != want.Size {
		return errorf(sec, "%d bytes, the manifest says %d", len(data), want.Size)
	}
	if got := blobOf(data).SHA256; got != want.SHA256 {
		return &Error{Section: sec, Err: fmt.Errorf("%w (have %s, the manifest says %s)", ErrHashMismatch, got[:12], short(want.SHA256))}
	}
	return nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// checkManifest checks what Read relies on: versions and well-formed
// hashes; the policies were checked as they were decoded (policyList).
func checkManifest(m *Manifest, version int) error {
	if m.Format != version {
		return errorf("manifest", "format %d, the header says %d", m.Format, version)
	}
	if m.Bytecode < vm.MinFormatVersion || m.Bytecode > vm.FormatVersion {
		return errorf("manifest", "bytecode version %d, this reader loads versions %d to %d", m.Bytecode, vm.MinFormatVersion, vm.FormatVersion)
	}
	// Built as Write writes it: UTC, whole seconds.
	if _, off := m.Built.Zone(); off != 0 {
		return manifestErrorf("built", "%s is not UTC (want Z, as in %s)", m.Built.Format(time.RFC3339Nano), m.Built.UTC().Format(time.RFC3339Nano))
	}
	if m.Built.Nanosecond() != 0 {
		return manifestErrorf("built", "%s is not whole seconds", m.Built.Format(time.RFC3339Nano))
	}
	if m.Catalogue != nil && !validHash(m.Catalogue.SHA256) {
		return manifestErrorf("catalogue.sha256", "want 64 lowercase hex digits")
	}
	if m.Tenants != nil {
		if m.Format < 2 {
			return manifestErrorf("tenants", "format %d has no tenants section (format 2 has)", m.Format)
		}
		if !validHash(m.Tenants.SHA256) {
			return manifestErrorf("tenants.sha256", "want 64 lowercase hex digits")
		}
	}
	return nil
}

// checkPolicy checks the last entry of policies, after the others:
// unique ids in order, each a package name, well-formed hashes, each test an entry
// point and each test entry point a test.
func checkPolicy(policies []PolicyEntry) error {
	i := len(policies) - 1
	p := &policies[i]
	at := fmt.Sprintf("policies[%d]", i)
	switch {
	case p.ID == "":
		return manifestErrorf(at+".id", "empty")
	case !lang.IsIdent(p.ID):
		// A package name: a path ("../x"), a NUL or a space is none, and
		// would be one in the router's logs, labels and last-good files.
		return manifestErrorf(at+".id", "want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have %s", jsonx.QuoteEcho(p.ID))
	case i > 0 && policies[i-1].ID >= p.ID:
		return manifestErrorf(at+".id", "%q is out of order or repeated", p.ID)
	case !validHash(p.Program.SHA256):
		return manifestErrorf(at+".program.sha256", "want 64 lowercase hex digits")
	case p.Program.Size < 0:
		return manifestErrorf(at+".program.size", "negative")
	// The bound is the compiler's, over the policy's source (its loops'
	// lengths, its inlined calls): the program's bytecode does not give
	// it back, so Read checks here only that the two fields agree, as
	// Build writes them: a bound of at least 0, and 0 when there is none;
	// and, with the program, that it is not below what any run takes
	// (vm.Program.LeastSteps).
	case p.CostBound < 0:
		return manifestErrorf(at+".cost_bound", "%d is negative (policy %q)", p.CostBound, p.ID)
	case !p.Bounded && p.CostBound != 0:
		return manifestErrorf(at+".cost_bound", "%d, and bounded is false: a policy without a bound has cost_bound 0 (policy %q)", p.CostBound, p.ID)
	}
	for j, s := range p.Sources {
		if !validHash(s.SHA256) {
			return manifestErrorf(fmt.Sprintf("%s.sources[%d].sha256", at, j), "want 64 lowercase hex digits")
		}
		if j > 0 && p.Sources[j-1].Path >= s.Path {
			return manifestErrorf(fmt.Sprintf("%s.sources[%d].path", at, j), "%q is out of order or repeated", s.Path)
		}
	}
	// Entries are sorted (a program's are) and each test is one, and each
	// test entry is a test: the tests a router runs (RunTests) are the
	// manifest's, and an entry left out would not run. Sorted lists and
	// binary searches, so that a manifest of many tests costs no more
	// than its length.
	for j := 1; j < len(p.Entries); j++ {
		if p.Entries[j-1] >= p.Entries[j] {
			return manifestErrorf(fmt.Sprintf("%s.entries[%d]", at, j), "%q is out of order or repeated", p.Entries[j])
		}
	}
	for j, t := range p.Tests {
		if _, ok := slices.BinarySearch(p.Entries, compiler.TestPrefix+t); !ok {
			return manifestErrorf(fmt.Sprintf("%s.tests[%d]", at, j), "%q has no entry point", t)
		}
	}
	tests := slices.Sorted(slices.Values(p.Tests))
	for j := 1; j < len(tests); j++ {
		if tests[j-1] == tests[j] {
			// At its second place in the list, as written.
			k := slices.Index(p.Tests, tests[j])
			k += 1 + slices.Index(p.Tests[k+1:], tests[j])
			return manifestErrorf(fmt.Sprintf("%s.tests[%d]", at, k), "%q is listed twice", tests[j])
		}
	}
	for j, e := range p.Entries {
		if t, ok := strings.CutPrefix(e, compiler.TestPrefix); ok {
			if _, ok := slices.BinarySearch(tests, t); !ok {
				return manifestErrorf(fmt.Sprintf("%s.entries[%d]", at, j), "%q is not among the policy's tests", e)
			}
		}
	}
	// The sources are every file compiled into the policy, its own too.
	if _, ok := slices.BinarySearchFunc(p.Sources, p.File, func(s Source, file string) int { return strings.Compare(s.Path, file) }); !ok {
		return manifestErrorf(at+".file", "%q is not among the policy's sources", p.File)
	}
	return nil
}

// manifestJSONError words err, decodeJSON's error for the manifest js: a
// syntax error at its line and column in js; a value of the wrong type
// at its JSON path, the field names json gives less those of the Go
// structs Read embeds to decode the manifest ("policies[0].id: want a
// string, have a number"); another error as it is.
func manifestJSONError(js []byte, err error) error {
	if se, ok := errors.AsType[*syntaxError](err); ok && !se.Unreadable { // decodeJSON's, not decodeValid's
		return fmt.Errorf("invalid JSON: %s: %s", jsonx.LineCol(js, se.Offset), se.Msg)
	}
	te, ok := errors.AsType[*json.UnmarshalTypeError](err)
	if !ok {
		return err
	}
	msg, _ := jsonx.TypeError(te)
	var path string
	if pe, ok := errors.AsType[*policyError](err); ok {
		path = fmt.Sprintf("policies[%d]", pe.Index)
	}
	for f := range strings.SplitSeq(te.Field, ".") {
		switch {
		case f == "" || f == "Manifest" || f == "PolicyEntry":
		case path == "" || strings.HasPrefix(f, "["):
			path += f // an index (sized.UnmarshalJSON's) follows its list
		default:
			path += "." + f
		}
	}
	if path == "" {
		return errors.New(msg)
	}
	return &PathError{Path: path, Msg: msg}
}

// policyError is an error decoding the manifest's policy Index.
type policyError struct {
	Index int
	Err   error
}

func (e *policyError) Error() string { return fmt.Sprintf("policies[%d]: %v", e.Index, e.Err) }
func (e *policyError) Unwrap() error { return e.Err }

// policyList is the manifest's policies as Read decodes them: one entry
// at a time, each checked (checkPolicy) before the next is decoded, and
// at most MaxPolicies. What a list of junk entries allocates is then
// that of the valid entries before the first wrong one, each at least
// the 90 bytes of JSON of an id and a program hash.
type policyList []PolicyEntry

func (l *policyList) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return pathErrorf("policies", "want a list, have %s", jsonx.KindOfJSON(data))
	}
	for dec.More() {
		if len(*l) == MaxPolicies {
			return errorf("manifest", "more than %d policies", MaxPolicies)
		}
		*l = append(*l, PolicyEntry{})
		e := &(*l)[len(*l)-1]
		if err := dec.Decode(&struct {
			*PolicyEntry
			Sources *sized[Source] `json:"sources"`
			Entries *sized[string] `json:"entries"`
			Tests   *sized[string] `json:"tests"`
		}{e, (*sized[Source])(&e.Sources), (*sized[string])(&e.Entries), (*sized[string])(&e.Tests)}); err != nil {
			return &policyError{Index: len(*l) - 1, Err: err}
		}
		if err := checkPolicy(*l); err != nil {
			return err
		}
	}
	return nil
}

// sized is a list decoded into a slice made to its length, counted
// first: a list of many small values (`{}`, `""`) grows no slice,
// allocating once what its elements take.
type sized[T any] []T

func (l *sized[T]) UnmarshalJSON(data []byte) error {
	// json makes an error for each element of the wrong kind, keeping
	// the first: a list of many (`[0, 0, …]` for strings) allocated 60
	// times its size. The list up to its first such element gives that
	// error, having made one, and only its elements are made.
	if n, end := listScan(data, reflect.TypeFor[T]().Kind() == reflect.String); n > 0 {
		if end > 0 {
			data = append(data[:end:end], ']')
		}
		*l = make(sized[T], 0, n)
	}
	err := json.Unmarshal(data, (*[]T)(l))
	// json names the list, not the element at fault ("tests", not
	// "tests[2]"): its index, from where json stopped reading, leads the
	// field json names in the element ("[2].sha256"), after which the
	// decoder of the manifest puts the list's.
	// A value that is not a list (a string, though it holds a bracket:
	// "x[0, 0]") is the list's error.
	if te, ok := err.(*json.UnmarshalTypeError); ok && bytes.HasPrefix(bytes.TrimLeft(data, jsonSpace), []byte("[")) {
		item := fmt.Sprintf("[%d]", jsonListIndex(data, te.Offset))
		if te.Field != "" {
			item += "." + te.Field
		}
		te.Field = item
	}
	return err
}

// listScan walks the elements of the JSON list data (valid JSON) up to
// the first that is neither null nor a string (str) or an object (!str),
// the value a sized list holds: n counts them (that one included), end
// is where that one ends (0 when there is none). Another value (a string
// holding a bracket too) has no elements: json's to refuse.
func listScan(data []byte, str bool) (n, end int) {
	want := byte('{')
	if str {
		want = '"'
	}
	for start, el := range jsonx.Elements(data) {
		n++
		if el[0] != want && el[0] != 'n' {
			return n, start + len(el)
		}
	}
	return n, 0
}

// jsonListIndex is the index of the element of the JSON list data (valid
// JSON) that holds the byte at off, or that ends there.
func jsonListIndex(data []byte, off int64) int {
	i := 0
	for start, el := range jsonx.Elements(data) {
		if int64(start+len(el)) >= off {
			break
		}
		i++
	}
	return i
}

// jsonListLen is the length of the JSON list data (valid JSON, as
// UnmarshalJSON is given); 0 for another value.
func jsonListLen(data []byte) int {
	n, _ := jsonx.ListLen(data)
	return n
}

func validHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
