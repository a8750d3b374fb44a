//go:build !unix

package metadata

import "os"

// readFile reads a whole file; buf is not needed here.
func readFile(path string, _ []byte) ([]byte, error) {
	return os.ReadFile(path)
}
