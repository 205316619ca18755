package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// TestReadCanonicalVarints: the signature section's length is not
// signed, so a non-minimal varint there made another file, of another
// version, that verified with the same signature; Read takes minimal
// varints only, so that a signed bundle has one encoding.
func TestReadCanonicalVarints(t *testing.T) {
	key := testKey(t, 1)
	pub := key.Public().(ed25519.PublicKey)
	signed := buildExamples(t, key)
	sStart, sBody, sLen := sectionAt(t, signed, secSignature)
	if sLen >= 0x80 || sBody != sStart+2 {
		t.Fatalf("signature section length %d", sLen)
	}
	// The same length, 72, in two bytes: 0xc8 0x00.
	var re []byte
	re = append(re, signed[:sStart+1]...)
	re = append(re, byte(sLen)|0x80, 0)
	re = append(re, signed[sBody:]...)
	_, err := Read(re, ReadOptions{PublicKey: pub, RequireSignature: true})
	var be *Error
	if !errors.As(err, &be) || be.Section != "signature" || !strings.Contains(err.Error(), "not in its shortest form") {
		t.Errorf("re-encoded signature length: %v, want a signature error", err)
	}
	// The format version too.
	re = append([]byte(Magic), 0x81, 0x00)
	re = append(re, signed[len(Magic)+1:]...)
	if _, err := Read(re, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "bundle header") {
		t.Errorf("re-encoded format version: %v, want a header error", err)
	}
	if !bytes.Equal(signed[len(Magic):len(Magic)+1], []byte{1}) {
		t.Fatalf("format byte %x", signed[len(Magic)])
	}
}

// TestWriteLimits: Write refuses what Read would (more than MaxPolicies
// policies), rather than have Build call the bundle it wrote a bug.
func TestWriteLimits(t *testing.T) {
	m := Manifest{Policies: make([]PolicyEntry, MaxPolicies+1)}
	_, err := Write(m, make([][]byte, MaxPolicies+1), nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "65537 policies, more than the 65536 a bundle may hold") {
		t.Errorf("Write of %d policies: %v", MaxPolicies+1, err)
	}
}
