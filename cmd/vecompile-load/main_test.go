package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCompareRefusesNoRounds: -count or -slices below 1 is refused before
// anything is measured, not read as 1.
func TestCompareRefusesNoRounds(t *testing.T) {
	for _, c := range []struct{ count, slices int }{{0, 4}, {1, 0}, {1, -2}} {
		err := runCompare(context.Background(), "", "sqlite", "a", "1", "floor", "", time.Millisecond, c.count, "", false, false, c.slices)
		if err == nil || !strings.Contains(err.Error(), "at least 1") {
			t.Errorf("-count %d -slices %d: %v", c.count, c.slices, err)
		}
	}
}
