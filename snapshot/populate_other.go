//go:build !linux

package snapshot

// populate does nothing where there is no MADV_POPULATE_WRITE: the pages
// of s fault as they are written.
func populate[T any](s []T) {}
