//go:build !unix

package router

// lockDataDir does not lock the data directory where flock is missing.
func lockDataDir(string) (release func(), err error) { return func() {}, nil }
