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
)

// ErrTagExists means a tag name is taken; pass force to move it.
var ErrTagExists = errors.New("tag exists")

// Errors about the lake folder itself: a lost catalog, a read-only folder, a
// moved or copied lake whose paths could not be rewritten.
var (
	// ErrCatalogLost means catalog.db is missing or holds no tables while
	// warehouse/ holds tables: `distill recover` re-registers them.
	ErrCatalogLost = errors.New("the catalog is lost but the warehouse holds tables")
	// ErrReadOnly means a command tried to change a lake opened read-only.
	ErrReadOnly = errors.New("read-only")
	// ErrRecoverConflict means recover found a catalog whose tables differ
	// from what the warehouse's newest metadata files say.
	ErrRecoverConflict = errors.New("the catalog already registers tables that differ from the warehouse")
	// ErrRelocate means a moved or copied lake's metadata could not be
	// rewritten to point under its new folder.
	ErrRelocate = errors.New("cannot rewrite the lake's paths to its new folder")
)
