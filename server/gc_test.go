package server_test

import (
	"runtime/debug"
	"testing"

	"github.com/vecompile/vecompile/server"
)

// TestSetGCPercent: the server's default applies unless GOGC is set, a
// given flag wins over GOGC, and a target that is not positive is refused.
func TestSetGCPercent(t *testing.T) {
	was := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(was) })
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	t.Setenv("GOGC", "")
	if p, src, err := server.SetGCPercent(server.DefaultGCPercent, false); err != nil || p != server.DefaultGCPercent || src != "default" || current() != server.DefaultGCPercent {
		t.Errorf("no GOGC: %d %q %v, runtime %d", p, src, err, current())
	}
	debug.SetGCPercent(150) // as the runtime would have read GOGC=150
	t.Setenv("GOGC", "150")
	if p, src, err := server.SetGCPercent(server.DefaultGCPercent, false); err != nil || p != 150 || src != "GOGC=150" || current() != 150 {
		t.Errorf("GOGC=150: %d %q %v, runtime %d", p, src, err, current())
	}
	if p, src, err := server.SetGCPercent(250, true); err != nil || p != 250 || src != "flag" || current() != 250 {
		t.Errorf("flag over GOGC: %d %q %v, runtime %d", p, src, err, current())
	}
	for _, bad := range []int{0, -1} {
		if _, _, err := server.SetGCPercent(bad, true); err == nil {
			t.Errorf("target %d accepted", bad)
		}
	}
	if current() != 250 {
		t.Errorf("a refused target changed the runtime's: %d", current())
	}
}
