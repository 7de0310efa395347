package lake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// TableName names a table as namespace.table, e.g. corpus.raw or uplifting.labels.
type TableName struct {
	Namespace string
	Table     string
}

func (n TableName) String() string { return n.Namespace + "." + n.Table }

var identRe = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ParseTableName parses "ns.table". When s has no namespace, defaultNS is used;
// an empty defaultNS makes a bare name an error.
func ParseTableName(s, defaultNS string) (TableName, error) {
	ns, tbl, ok := strings.Cut(s, ".")
	if !ok {
		ns, tbl = defaultNS, s
	}
	if ns == "" {
		return TableName{}, fmt.Errorf("%w %q: want namespace.table (e.g. corpus.raw)", ErrBadRef, s)
	}
	if !identRe.MatchString(ns) || !identRe.MatchString(tbl) {
		return TableName{}, fmt.Errorf("%w %q: names are lower-case letters, digits and _", ErrBadRef, s)
	}
	return TableName{Namespace: ns, Table: tbl}, nil
}

// Ref is a table at a snapshot: the current one (At == ""), the one whose
// Iceberg sequence number is At (all digits), or the one a tag named At points to.
type Ref struct {
	TableName
	At string
}

func (r Ref) String() string {
	if r.At == "" {
		return r.TableName.String()
	}
	return r.TableName.String() + "@" + r.At
}

// Seq returns the sequence number the reference pins, if it pins one.
func (r Ref) Seq() (int64, bool) {
	if r.At == "" || !isDigits(r.At) {
		return 0, false
	}
	n, err := strconv.ParseInt(r.At, 10, 64)
	return n, err == nil
}

var tagRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`)

// ParseRef parses "ns.table", "ns.table@N" or "ns.table@tag" (bare table names
// take defaultNS). @N is always a sequence number, never a snapshot id.
func ParseRef(s, defaultNS string) (Ref, error) {
	name, at, hasAt := strings.Cut(s, "@")
	if hasAt && at == "" {
		return Ref{}, fmt.Errorf("%w %q: nothing after @", ErrBadRef, s)
	}
	if hasAt && !tagRe.MatchString(at) {
		return Ref{}, fmt.Errorf("%w %q: a snapshot is @N (sequence number) or @tag", ErrBadRef, s)
	}
	tn, err := ParseTableName(name, defaultNS)
	if err != nil {
		return Ref{}, err
	}
	return Ref{TableName: tn, At: at}, nil
}

// ValidTagName reports whether name can name a tag: never all digits, since
// @N always means a sequence number.
func ValidTagName(name string) error {
	if name == "" || isDigits(name) || !tagRe.MatchString(name) || name == "main" {
		return fmt.Errorf("%w: tag %q must be letters, digits, _ . - and not all digits or \"main\"", ErrBadRef, name)
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
