package main

import (
	"flag"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// checkCallerFlags refuses caller ids that are not GUIDs (VE5004,
// positioned in the flag's value: "--teams:1:38"), and the caller's
// business unit, teams or reports without --user (they are a user's): an
// id that is not one would bind "" and match nothing, silently.
func checkCallerFlags(fs *flag.FlagSet, user string) error {
	var errs diag.ErrorList
	check := func(name, value string, list bool) {
		items := []string{value}
		if list {
			items = strings.Split(value, ",")
		}
		at := 0
		for _, it := range items {
			start, id := at, strings.TrimSpace(it)
			at += len(it) + 1
			if id == "" && list {
				continue // "--teams=" is none
			}
			if _, ok := plan.CanonicalGUID(id); ok {
				continue
			}
			start += strings.Index(it, id)
			src := diag.NewSource("--"+name, []byte(value))
			errs.Add(diag.Errorf(src, diag.Span{Start: diag.Pos(start), End: diag.Pos(start + len(id))}, diag.BadFlag, "%q is not a GUID", id))
		}
	}
	if flagSet(fs, "user") {
		check("user", user, false)
	}
	parts := false
	for _, f := range []struct {
		name string
		list bool
	}{{"businessunit", false}, {"teams", true}, {"reports", true}} {
		if !flagSet(fs, f.name) {
			continue
		}
		parts = true
		v := fs.Lookup(f.name).Value.String()
		if v == "" && !f.list {
			continue // --businessunit= : unknown, as when not given
		}
		check(f.name, v, f.list)
	}
	if parts && user == "" {
		errs.Add(diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "--businessunit, --teams and --reports are the calling user's: give --user too"))
	}
	return errs.Err()
}
