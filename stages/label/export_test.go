package label

// InjectFaults makes the journal's writes and syncs and the lake commits
// fail when f returns an error for their name ("journal write", "journal
// sync", "commit"); the returned function removes it.
func InjectFaults(f func(op string) error) (restore func()) {
	faults = f
	return func() { faults = nil }
}
