//go:build !unix

package lake

// machineID is "" where the platform cannot tell: leases only expire.
func machineID() string { return "" }

// processGone is never sure here.
func processGone(int) bool { return false }
