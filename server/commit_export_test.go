package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
)

// FailCommit makes every COMMIT fail as a dropped connection does: with
// "after" the database committed first, with "before" it rolled back
// first; with "unreachable" as "after", and the read-back never gets an
// answer. It returns the function that restores the real commit.
func FailCommit(mode string) (restore func()) {
	commit, check := commitTx, writeCheck
	dropped := fmt.Errorf("reading the COMMIT reply: %w", io.ErrUnexpectedEOF)
	commitTx = func(tx *sql.Tx) error {
		if mode == "before" {
			tx.Rollback()
			return dropped
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		return dropped
	}
	if mode == "unreachable" {
		writeCheck = func(*Server, context.Context, *WriteRequest) (bool, error) {
			return false, errors.New("dial tcp: connection refused")
		}
	}
	return func() { commitTx, writeCheck = commit, check }
}
