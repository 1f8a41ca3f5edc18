package engine

import (
	"database/sql/driver"
	"fmt"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	sqlite "modernc.org/sqlite"
)

// localTime is SQLite's vecompile_local(ts, zone) (sql.ZoneFunctionName,
// sql.LocalTime); NULL stays NULL.
func localTime(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	ts, ok1 := text(args[0])
	zone, ok2 := text(args[1])
	if args[0] == nil {
		return nil, nil
	}
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s(%v, %v): text arguments expected", sqlemit.ZoneFunctionName, args[0], args[1])
	}
	return sqlemit.LocalTime(ts, zone)
}

func text(v driver.Value) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}
