package lake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LeaseLocker is the Locker of a lake whose catalog is in PostgreSQL: lock
// NAME is a row of distill_leases in the catalog database, so it excludes
// processes on every machine that shares the catalog, where a file lock
// would only exclude those on one machine. A lease lasts TTL from its last
// renewal; its holder renews it every TTL/3 while it holds it (a heartbeat),
// and deletes the row when it unlocks. A holder that dies (kill -9, a
// crashed machine, a lost network) stops renewing, and its lease is taken
// over by the next process that asks once TTL has passed; on the machine
// it ran on, at once (reapDead).
//
// Expiry is compared with the database server's clock (now()), never with
// the machines' own: their clocks may disagree, the server's is one.
//
// The TTL (DefaultLeaseTTL, 30 s) weighs two costs. After a holder on
// another machine is killed, others wait up to TTL before they take over:
// 30 s is little beside stage runs of minutes to hours. A live holder must
// renew within TTL or lose its lease while it still works: with a renewal
// every 10 s it survives two failed renewals in a row and stalls (a GC
// pause, a slow or restarting server, a network blip) of up to about 20 s.
// A holder that finds its lease lost says so on standard error.
type LeaseLocker struct {
	db      *sql.DB
	catalog string // the catalog's URL without password, for messages
	// TTL is how long a lease lasts without renewal.
	TTL time.Duration
}

// DefaultLeaseTTL is the lease TTL unless LeaseTTLEnv sets another.
const DefaultLeaseTTL = 30 * time.Second

// LeaseTTLEnv sets the lease TTL (a Go duration, e.g. 2s); tests that kill
// a holder shorten it so that takeover comes soon.
const LeaseTTLEnv = "DISTILL_LEASE_TTL"

func newLeaseLocker(db *sql.DB, catalog string) (*LeaseLocker, error) {
	ttl := DefaultLeaseTTL
	if v := os.Getenv(LeaseTTLEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			return nil, fmt.Errorf("%s=%q: want a duration of at least 100ms, e.g. 30s", LeaseTTLEnv, v)
		}
		ttl = d
	}
	return &LeaseLocker{db: db, catalog: catalog, TTL: ttl}, nil
}

// lease is a lock held by a LeaseLocker.
type lease struct {
	k           *LeaseLocker
	name, token string
	stop        chan struct{}
	done        chan struct{}
	once        sync.Once
}

// Lock takes the named lease, polling while another holder has it.
func (k *LeaseLocker) Lock(ctx context.Context, name, holder string, waiting func(heldBy string)) (Unlocker, error) {
	told := false
	poll := min(k.TTL/10, time.Second)
	for {
		u, heldBy, err := k.take(ctx, name, holder)
		if err != nil || u != nil {
			return u, ctxError(ctx, err)
		}
		if !told && waiting != nil {
			waiting(heldBy)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// TryLock takes the named lease or returns ErrLocked at once.
func (k *LeaseLocker) TryLock(name, holder string) (Unlocker, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, heldBy, err := k.take(ctx, name, holder)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, fmt.Errorf("%w: lease %s in catalog %s (%s)", ErrLocked, name, k.catalog, heldBy)
	}
	return u, nil
}

// take inserts the lease, or takes over an expired one, in one statement:
// PostgreSQL locks the row, so of two processes at once exactly one gets
// it. A lease whose holder ran on this machine and is gone (kill -9) is
// removed first, without waiting for it to expire: on one machine a killed
// holder's lock is free at once, as a file lock is. It returns the lease,
// or who holds it.
func (k *LeaseLocker) take(ctx context.Context, name, holder string) (*lease, string, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	host, _ := os.Hostname()
	desc := fmt.Sprintf("host %s, pid %d", host, os.Getpid())
	if holder != "" {
		desc += ", " + holder
	}
	owner := fmt.Sprintf("%s|%d", thisMachine(), os.Getpid())
	for try := 0; ; try++ {
		err := k.db.QueryRowContext(ctx, `INSERT INTO `+leaseTable+` (name, holder, owner, token, taken_at, expires_at)
			VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, owner = excluded.owner, token = excluded.token,
				taken_at = excluded.taken_at, expires_at = excluded.expires_at
			WHERE `+leaseTable+`.expires_at < now()
			RETURNING token`, name, desc, owner, token, k.TTL.Seconds()).Scan(&token)
		if errors.Is(err, sql.ErrNoRows) {
			if try == 0 && k.reapDead(ctx, name) {
				continue
			}
			return nil, k.heldBy(ctx, name), nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("lease %s in catalog %s: %w", name, k.catalog, err)
		}
		break
	}
	ls := &lease{k: k, name: name, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	go ls.heartbeat()
	return ls, "", nil
}

// reapDead deletes the lease when its holder ran on this machine (same
// boot, same process namespace) and its process is gone. A holder on
// another machine, or whose pid now names another process, is left to
// expire.
func (k *LeaseLocker) reapDead(ctx context.Context, name string) bool {
	var owner, token string
	if err := k.db.QueryRowContext(ctx, `SELECT owner, token FROM `+leaseTable+` WHERE name = $1`, name).Scan(&owner, &token); err != nil {
		return false
	}
	if !ownerGone(owner) {
		return false
	}
	res, err := k.db.ExecContext(ctx, `DELETE FROM `+leaseTable+` WHERE name = $1 AND token = $2`, name, token)
	if err != nil {
		return false
	}
	n, err := res.RowsAffected()
	return err == nil && n > 0
}

// ownerGone reports whether owner ("machine|pid", as leases and claims
// record their holder) ran on this machine and its process is gone.
func ownerGone(owner string) bool {
	machine, p, ok := strings.Cut(owner, "|")
	pid, err := strconv.Atoi(p)
	return ok && err == nil && machine != "" && machine == thisMachine() && processGone(pid)
}

// thisMachine names this machine's boot and process namespace, where pids
// are comparable ("" where that cannot be told: leases then only expire).
// LeaseMachineEnv overrides it, so that a test can play another machine.
func thisMachine() string {
	if v := os.Getenv(LeaseMachineEnv); v != "" {
		return v
	}
	return machineID()
}

// LeaseMachineEnv, when set, names the machine a lease holder says it runs
// on, in place of its boot id and process namespace (for tests).
const LeaseMachineEnv = "DISTILL_LEASE_MACHINE"

// heldBy says who holds a lease and until when it lasts unrenewed.
func (k *LeaseLocker) heldBy(ctx context.Context, name string) string {
	var holder string
	var since time.Time
	var left float64
	err := k.db.QueryRowContext(ctx, `SELECT holder, taken_at, extract(epoch FROM expires_at - now())::float8 FROM `+leaseTable+` WHERE name = $1`, name).Scan(&holder, &since, &left)
	if err != nil {
		return "holder unknown"
	}
	return fmt.Sprintf("%s, since %s; the lease lapses %.0fs after its holder stops renewing it", holder, since.UTC().Format("15:04:05 UTC"), max(left, 0))
}

// heartbeat renews the lease every TTL/3 until Unlock.
func (ls *lease) heartbeat() {
	defer close(ls.done)
	t := time.NewTicker(ls.k.TTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ls.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), ls.k.TTL/3)
		res, err := ls.k.db.ExecContext(ctx, `UPDATE `+leaseTable+` SET expires_at = now() + make_interval(secs => $3) WHERE name = $1 AND token = $2`,
			ls.name, ls.token, ls.k.TTL.Seconds())
		cancel()
		if err != nil && strings.Contains(err.Error(), "database is closed") {
			return // the lake was closed: nothing can renew it
		}
		if err != nil {
			continue // the next beat tries again; the lease lasts TTL
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			fmt.Fprintf(os.Stderr, "distill: lost lease %s in catalog %s: it was not renewed within %s and another process may have taken it\n", ls.name, ls.k.catalog, ls.k.TTL)
			return
		}
	}
}

// Unlock stops the heartbeat and deletes the lease (only if it is still
// this holder's).
func (ls *lease) Unlock() {
	ls.once.Do(func() {
		close(ls.stop)
		<-ls.done
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = ls.k.db.ExecContext(ctx, `DELETE FROM `+leaseTable+` WHERE name = $1 AND token = $2`, ls.name, ls.token)
	})
}
