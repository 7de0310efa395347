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
	// ErrInvalidUTF8 means a string to be written is not valid UTF-8 (DuckDB
	// could not read the table back): nothing was written.
	ErrInvalidUTF8 = errors.New("string is not valid UTF-8 (decode or reject it before it reaches the lake)")
	// ErrUnsafeSQL means a user's query was refused before it ran: it could
	// write inside the lake, or run SQL the checks cannot see.
	ErrUnsafeSQL = errors.New("query refused")
	// ErrDeleteFiles means a snapshot has merge-on-read delete files (written
	// by another engine) where distill needs a plain file list, which would
	// count deleted rows: `distill compact` applies and drops them.
	ErrDeleteFiles = errors.New("snapshot has merge-on-read delete files (written by another engine): run `distill compact TABLE`, which applies them and drops the files")
)

// ErrTagExists means a tag name is taken; pass force to move it.
var ErrTagExists = errors.New("tag exists")

// ErrSchemaChanged means another engine changed a table's schema in a way
// distill's writers cannot follow (a column dropped, a required column added):
// nothing was written.
var ErrSchemaChanged = errors.New("the table's schema changed under distill")

// Errors about the lake folder itself: a lost catalog, a read-only folder, a
// moved or copied lake whose paths could not be rewritten.
var (
	// ErrCatalogLost means catalog.db is missing or holds no tables while
	// warehouse/ holds tables: `distill recover` re-registers them.
	ErrCatalogLost = errors.New("the catalog is lost but the warehouse holds tables")
	// ErrCatalogCorrupt means catalog.db is not a readable SQLite database
	// (overwritten, truncated): `distill recover` moves it aside and rebuilds
	// it from warehouse/.
	ErrCatalogCorrupt = errors.New("catalog.db is corrupt")
	// ErrReadOnly means a command tried to change a lake opened read-only,
	// or a write found its folder, file system or catalog.db read-only (what
	// it wrote was removed). Reads still work.
	ErrReadOnly = errors.New("read-only")
	// ErrRecoverConflict means recover found a catalog whose tables differ
	// from what the warehouse's newest metadata files say.
	ErrRecoverConflict = errors.New("the catalog already registers tables that differ from the warehouse")
	// ErrRelocate means a moved or copied lake's metadata could not be
	// rewritten to point under its new folder.
	ErrRelocate = errors.New("cannot rewrite the lake's paths to its new folder")
)
