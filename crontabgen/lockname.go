package crontabgen

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxDerivedLockName is the longest lock name derived from params, in
// bytes; longer ones are cut and end in a hash of the params so they stay
// distinct.
const MaxDerivedLockName = 100

// hashLen is the number of hex digits of the params hash: 32 bits, so two
// shards of one script collide with odds of one in four billion, and a
// collision is reported, never silent.
const hashLen = 8

// DeriveLockName returns the lock name of one block of a script whose
// blocks differ in params: base + "-" + the params slugged. Slugging keeps
// A-Z a-z 0-9 _ . and turns every run of other characters into one "-",
// trimmed at both ends, so "--mod 2 --rem 0" gives "mod-2-rem-0". When the
// slug is empty or the name would be longer than MaxDerivedLockName, the
// name is cut and ends in "-" and 8 hex digits of the SHA-256 of the params
// words. words are the params as sh splits them, so quoting does not change
// the name.
func DeriveLockName(base string, words []string) string {
	slug := Slug(strings.Join(words, " "))
	name := base + "-" + slug
	if slug != "" && len(name) <= MaxDerivedLockName {
		return name
	}
	hash := shortHash(strings.Join(words, "\x00"))
	keep := MaxDerivedLockName - len(base) - 2 - hashLen
	if keep < 0 {
		keep = 0
	}
	if len(slug) > keep {
		slug = strings.TrimRight(slug[:keep], "-")
	}
	if slug == "" {
		return base + "-" + hash
	}
	return base + "-" + slug + "-" + hash
}

// shortHash is the first hashLen hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// Slug keeps A-Z a-z 0-9 _ . of s and replaces every run of other bytes
// with one "-", without a "-" at either end.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isSlugByte(c) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteByte(c)
			continue
		}
		dash = true
	}
	return b.String()
}

func isSlugByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.'
}
