package lake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// claimTable holds the claims of the lake's workers, in the catalog
// database beside the leases.
const claimTable = "distill_claims"

// Claims lets several processes (on one machine or many) that share a
// PostgreSQL catalog split one piece of work, key by key, without doing a
// key twice: a worker claims a key before it works on it, stores what it
// paid for in the claim (Paid) before it commits it, and marks the key done
// once its result is in the lake (Done). A claim lasts the lease TTL
// (DISTILL_LEASE_TTL, 30 s) from the holder's last heartbeat, sent every
// TTL/3 for all its claims at once; a holder that dies stops renewing, and
// the next worker that asks for the key takes the claim over, with what the
// dead holder paid for, so that it commits that instead of paying again. On
// the machine the dead holder ran on, at once (as leases are reaped).
//
// A key marked done before this Claims began is claimable again: the work
// that marked it was committed before this worker read what is done, so a
// key it still finds to do (its result was since removed, or the worker
// redoes everything) is to be done again.
type Claims struct {
	db            *sql.DB
	scope         string
	holder, owner string
	token         string
	ttl           time.Duration
	start         time.Time // the server's clock when the Claims began

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// ClaimState is what Claim found.
type ClaimState int

const (
	// Claimed: the key is this worker's now (Paid, when not nil, is what a
	// dead holder paid for and did not commit).
	Claimed ClaimState = iota
	// HeldByOther: a live worker holds the key; ask again later.
	HeldByOther
	// DoneByOther: another worker committed the key's result since this
	// Claims began.
	DoneByOther
)

// Claims opens the claims of scope (e.g. a stage and its output table) for
// this process, or returns nil, nil for a lake whose catalog is not shared
// (one machine: its table lock is enough). holder describes the worker in
// messages. Close stops the heartbeat and frees the keys not done.
func (l *Lake) Claims(ctx context.Context, scope, holder string) (*Claims, error) {
	if l.shared == nil {
		return nil, nil
	}
	if err := l.writable(); err != nil {
		return nil, err
	}
	db := l.shared.leases.db
	// Two workers starting at once may both create the table: the loser's
	// CREATE fails on the catalog's unique names, and the table is there.
	create := `CREATE TABLE IF NOT EXISTS ` + claimTable + ` (scope TEXT NOT NULL, key TEXT NOT NULL, holder TEXT NOT NULL, owner TEXT NOT NULL,
		token TEXT NOT NULL, paid TEXT, done_at TIMESTAMPTZ, expires_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (scope, key))`
	index := `CREATE INDEX IF NOT EXISTS ` + claimTable + `_token ON ` + claimTable + ` (token)` // the heartbeat's
	for _, s := range []string{create, index} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			if _, err2 := db.ExecContext(ctx, s); err2 != nil {
				return nil, fmt.Errorf("claims in catalog %s: %w", l.shared.url, err)
			}
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	host, _ := os.Hostname()
	c := &Claims{db: db, scope: scope, token: hex.EncodeToString(b[:]), ttl: l.shared.leases.TTL,
		holder: fmt.Sprintf("host %s, pid %d, %s", host, os.Getpid(), holder),
		owner:  fmt.Sprintf("%s|%d", thisMachine(), os.Getpid()),
		stop:   make(chan struct{}), done: make(chan struct{})}
	if err := db.QueryRowContext(ctx, `SELECT now()`).Scan(&c.start); err != nil {
		return nil, fmt.Errorf("claims in catalog %s: %w", l.shared.url, err)
	}
	go c.heartbeat()
	return c, nil
}

// Claim tries to take key. It returns Claimed with what a dead holder paid
// for (nil when nothing), or HeldByOther with who holds it, or DoneByOther.
func (c *Claims) Claim(ctx context.Context, key string) (ClaimState, []byte, string, error) {
	for try := 0; ; try++ {
		var paid sql.NullString
		err := c.db.QueryRowContext(ctx, `INSERT INTO `+claimTable+` AS c (scope, key, holder, owner, token, expires_at)
			VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
			ON CONFLICT (scope, key) DO UPDATE SET holder = excluded.holder, owner = excluded.owner, token = excluded.token,
				expires_at = excluded.expires_at, done_at = NULL,
				paid = CASE WHEN c.done_at IS NULL THEN c.paid END
			WHERE (c.done_at IS NULL AND c.expires_at < now()) OR c.done_at < $7
			RETURNING paid`, c.scope, key, c.holder, c.owner, c.token, c.ttl.Seconds(), c.start).Scan(&paid)
		if err == nil {
			if paid.Valid {
				return Claimed, []byte(paid.String), "", nil
			}
			return Claimed, nil, "", nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, nil, "", fmt.Errorf("claim %s: %w", key, err)
		}
		var holder, owner string
		var doneAt sql.NullTime
		err = c.db.QueryRowContext(ctx, `SELECT holder, owner, done_at FROM `+claimTable+` WHERE scope = $1 AND key = $2`, c.scope, key).Scan(&holder, &owner, &doneAt)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released meanwhile
		}
		if err != nil {
			return 0, nil, "", fmt.Errorf("claim %s: %w", key, err)
		}
		if doneAt.Valid {
			return DoneByOther, nil, holder, nil
		}
		if try == 0 && c.reapDead(ctx, key, owner) {
			continue
		}
		return HeldByOther, nil, holder, nil
	}
}

// reapDead lets the claim of a holder that ran on this machine and is gone
// expire at once.
func (c *Claims) reapDead(ctx context.Context, key, owner string) bool {
	if !ownerGone(owner) {
		return false
	}
	res, err := c.db.ExecContext(ctx, `UPDATE `+claimTable+` SET expires_at = now() - interval '1 second' WHERE owner = $1 AND done_at IS NULL`, owner)
	if err != nil {
		return false
	}
	n, err := res.RowsAffected()
	return err == nil && n > 0
}

// Paid stores what the worker paid for under its claim of key, so that a
// worker that takes the claim over after this one dies uses it.
func (c *Claims) Paid(ctx context.Context, key string, paid []byte) error {
	_, err := c.db.ExecContext(ctx, `UPDATE `+claimTable+` SET paid = $3 WHERE scope = $1 AND key = $2 AND token = $4 AND done_at IS NULL`,
		c.scope, key, string(paid), c.token)
	if err != nil {
		return fmt.Errorf("claim %s: store the paid answer: %w", key, err)
	}
	return nil
}

// Done marks keys whose results are in the lake: no worker claims them
// again, and what was paid for them is dropped.
func (c *Claims) Done(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := c.db.ExecContext(ctx, `UPDATE `+claimTable+` SET done_at = now(), paid = NULL WHERE scope = $1 AND key = ANY($2)`, c.scope, keys)
	if err != nil {
		return fmt.Errorf("claims: mark %d keys done: %w", len(keys), err)
	}
	return nil
}

// Release gives key back (the work failed and may be tried again).
func (c *Claims) Release(ctx context.Context, key string) error {
	_, err := c.db.ExecContext(ctx, `DELETE FROM `+claimTable+` WHERE scope = $1 AND key = $2 AND token = $3 AND done_at IS NULL AND paid IS NULL`, c.scope, key, c.token)
	return err
}

// Poll is how long to wait before asking again for a key another holds.
func (c *Claims) Poll() time.Duration { return min(c.ttl/10, 250*time.Millisecond) }

// heartbeat renews every claim of this Claims every TTL/3 until Close.
func (c *Claims) heartbeat() {
	defer close(c.done)
	t := time.NewTicker(c.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), c.ttl/3)
			_, err := c.db.ExecContext(ctx, `UPDATE `+claimTable+` SET expires_at = now() + make_interval(secs => $2) WHERE token = $1 AND done_at IS NULL`, c.token, c.ttl.Seconds())
			cancel()
			if err != nil {
				fmt.Fprintf(os.Stderr, "distill: renew claims: %v (another worker may take them over after %s)\n", err, c.ttl)
			}
		}
	}
}

// Close stops the heartbeat and frees this worker's claims that hold
// nothing paid and are not done (those that hold a paid answer expire, and
// the next worker commits the answer).
func (c *Claims) Close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() { close(c.stop) })
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.db.ExecContext(ctx, `DELETE FROM `+claimTable+` WHERE token = $1 AND done_at IS NULL AND paid IS NULL`, c.token)
	return err
}

// Shared reports whether the lake's catalog is shared by several machines
// (PostgreSQL): their processes then coordinate through the catalog
// database (leases, Claims), never through this folder.
func (l *Lake) Shared() bool { return l.shared != nil }
