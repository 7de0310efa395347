package lake

import "errors"

// Sentinel errors returned (wrapped with the table or path they concern) by this package.
var (
	// ErrNoLake means the lake directory has no catalog: run `distill init`.
	ErrNoLake = errors.New("no lake here (run `distill init` first)")
	// ErrLakeExists means `init` found a catalog already in place.
	ErrLakeExists = errors.New("a lake already exists here")
	// ErrNoTable means the named table is not in the catalog.
	ErrNoTable = errors.New("no such table")
	// ErrNoSnapshot means a `@N` or `@tag` reference names no snapshot of the table.
	ErrNoSnapshot = errors.New("no such snapshot")
	// ErrBadRef means a table reference could not be parsed.
	ErrBadRef = errors.New("bad table reference")
	// ErrCommitConflict means a commit still conflicted after every retry.
	ErrCommitConflict = errors.New("commit kept conflicting with other writers")
	// ErrAlreadyCurrent means a rollback named the snapshot the table is
	// already at: nothing was committed.
	ErrAlreadyCurrent = errors.New("already the current snapshot")
	// ErrOutsideLake means a table's files live outside this lake's
	// warehouse (a lake copied or moved without rewriting its paths): files
	// there are never deleted.
	ErrOutsideLake = errors.New("table location is outside the lake's warehouse")
	// ErrDiskFull means a write ran out of space; what it wrote was removed.
	ErrDiskFull = errors.New("disk full: free space and rerun")
	// ErrReadOnly means the lake's folder, file system or catalog.db cannot
	// be written; what the write wrote was removed. Reads still work.
	ErrReadOnly = errors.New("the lake cannot be written here (read-only folder, file system or catalog.db): give write permission and rerun")
	// ErrInvalidUTF8 means a string to be written is not valid UTF-8 (DuckDB
	// could not read the table back): nothing was written.
	ErrInvalidUTF8 = errors.New("string is not valid UTF-8 (decode or reject it before it reaches the lake)")
	// ErrUnsafeSQL means a user's query was refused before it ran: it could
	// write inside the lake, or run SQL the checks cannot see.
	ErrUnsafeSQL = errors.New("query refused")
	// ErrDeleteFiles means a snapshot has merge-on-read delete files (written
	// by another engine): distill keeps tables copy-on-write and reads plain
	// file lists, which would count deleted rows.
	ErrDeleteFiles = errors.New("snapshot has delete files: distill keeps tables copy-on-write (rewrite the table without deletes in the engine that wrote them)")
)

// ErrTagExists means a tag name is taken; pass force to move it.
var ErrTagExists = errors.New("tag exists")
