package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vecompile/vecompile/internal/testkit"
)

// TestMySQLCancelKillsQuery: a statement whose context ends stops running
// in the server (KILL CONNECTION), instead of running on after the client left.
func TestMySQLCancelKillsQuery(t *testing.T) {
	dsn := testkit.MySQLDSN(t)
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A marker in the statement text finds it in the process list.
	marker := fmt.Sprintf("vecompile_cancel_%d_%d", os.Getpid(), time.Now().UnixNano())
	running := func() int {
		var n int
		q := "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'"
		if err := db.SQL.QueryRowContext(ctx, q, "%"+marker+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, withArgs := range []bool{false, true} { // text protocol, and prepared statements
		qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		start := time.Now()
		var err error
		if withArgs {
			_, err = db.SQL.QueryContext(qctx, "SELECT SLEEP(?) AS "+marker, 20)
		} else {
			_, err = db.SQL.QueryContext(qctx, "SELECT SLEEP(20) AS "+marker)
		}
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) && time.Since(start) > 5*time.Second {
			t.Fatalf("args %v: the sleep was not cancelled: %v after %s", withArgs, err, time.Since(start))
		}
		// Without the kill the sleep runs its 20 s; a loaded machine may take
		// a few seconds to deliver and apply the kill.
		deadline := time.Now().Add(15 * time.Second)
		for running() > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("args %v: the cancelled statement is still running in the server", withArgs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// The pool still works, and a connection is not killed by a late kill.
	for range 20 {
		var one int
		if err := db.SQL.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("after cancellations: %v", err)
		}
	}
}
