package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// Signatures are ed25519 over a domain-separated digest of everything
// before the signature section:
//
//	ed25519.Sign(key, sigContext || sha256(bundle[:signature section]))
//
// so the signature covers the header, the manifest (and through its
// hashes every program, the catalogue and the tenant registry) and the
// sections themselves; not the signature section's own id and length.

const sigContext = "rplb signature v1\x00"

// keyIDSize is the length of a key id: the first bytes of the sha256 of
// the raw 32-byte public key.
const keyIDSize = 8

func keyID(pub ed25519.PublicKey) []byte {
	sum := sha256.Sum256(pub)
	return sum[:keyIDSize]
}

// KeyID returns the id of a public key as a bundle records it (16 hex
// digits), to tell keys apart in messages.
func KeyID(pub ed25519.PublicKey) string { return hex.EncodeToString(keyID(pub)) }

func signedMessage(prefix []byte) []byte {
	sum := sha256.Sum256(prefix)
	return append([]byte(sigContext), sum[:]...)
}

func sign(key ed25519.PrivateKey, prefix []byte) []byte {
	return ed25519.Sign(key, signedMessage(prefix))
}

func verify(pub ed25519.PublicKey, prefix, sig []byte) bool {
	return ed25519.Verify(pub, signedMessage(prefix), sig)
}

// Keys are read and written in the standard formats that OpenSSL and Go's
// crypto/x509 use: a private key is a PEM "PRIVATE KEY" block (PKCS #8),
// as written by `openssl genpkey -algorithm ed25519`; a public key a PEM
// "PUBLIC KEY" block (PKIX), as written by `openssl pkey -pubout`. Raw
// forms are accepted too: a 32-byte seed or public key, as bytes or as 64
// hex digits.

// GenerateKey returns a new key pair in PEM form (private, public).
func GenerateKey(random io.Reader) (priv, pub []byte, err error) {
	if random == nil {
		random = rand.Reader
	}
	pk, sk, err := ed25519.GenerateKey(random)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(sk)
	if err != nil {
		return nil, nil, err
	}
	pder, err := x509.MarshalPKIXPublicKey(pk)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), nil
}

// ParsePrivateKey reads an ed25519 private key: PEM PKCS #8, or a raw
// 32-byte seed (bytes or hex).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	if blk, _ := pem.Decode(data); blk != nil {
		if blk.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("PEM block %q, want \"PRIVATE KEY\" (PKCS #8)", blk.Type)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		sk, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("a %T, want an ed25519 key", k)
		}
		return sk, nil
	}
	seed, err := raw(data, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("not a private key: %v", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads an ed25519 public key: PEM PKIX, or a raw 32-byte
// key (bytes or hex).
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if blk, _ := pem.Decode(data); blk != nil {
		if blk.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("PEM block %q, want \"PUBLIC KEY\"", blk.Type)
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		pk, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("a %T, want an ed25519 key", k)
		}
		return pk, nil
	}
	b, err := raw(data, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("not a public key: %v", err)
	}
	return ed25519.PublicKey(b), nil
}

func raw(data []byte, size int) ([]byte, error) {
	if len(data) == size {
		return bytes.Clone(data), nil
	}
	s := bytes.TrimSpace(data)
	if len(s) == 2*size {
		b := make([]byte, size)
		if _, err := hex.Decode(b, s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("want PEM, or " + fmt.Sprint(size) + " raw bytes, or " + fmt.Sprint(2*size) + " hex digits")
}
