package server

import (
	"fmt"
	"os"
	"runtime/debug"
)

// DefaultGCPercent is the garbage collector's target (GOGC) the adapter
// server runs with. The server's live heap is a few MiB, so the runtime's
// 100 collects every 4 MiB allocated, about a hundred times a second
// under load; each cycle's pauses and assists land on the requests in
// flight. At 400 the heap may grow to five times the live data (tens of
// MiB, still flat), and p99 at 8 connections drops by a fifth to a
// third (docs/performance.md, "Garbage collector target").
const DefaultGCPercent = 400

// SetGCPercent applies a server process's collector target: percent when
// explicit (a flag was given), else percent unless the GOGC environment
// variable is set, which then stands. It returns the target in force and
// where it comes from, for the start-up log. percent must be positive.
func SetGCPercent(percent int, explicit bool) (int, string, error) {
	if percent <= 0 {
		return 0, "", fmt.Errorf("the collector target must be a positive percent, not %d", percent)
	}
	if env := os.Getenv("GOGC"); env != "" && !explicit {
		// The runtime has read GOGC; reading its target back changes
		// nothing.
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, "GOGC=" + env, nil
	}
	debug.SetGCPercent(percent)
	if explicit {
		return percent, "flag", nil
	}
	return percent, "default", nil
}
