package sql

import (
	"fmt"
	"sync"
	"time"
)

// LocalTime is what ZoneFunctionName computes: the UTC datetime text ts
// ('YYYY-MM-DD[ HH:MM:SS[.fff]]', as SQLite stores datetimes) as the wall
// clock of IANA zone zone, in the same text form, so that strftime reads
// its local date parts. Executors register it on their SQLite connections
// (package engine does); an unknown zone or a malformed datetime is an
// error.
func LocalTime(ts, zone string) (string, error) {
	loc, err := location(zone)
	if err != nil {
		return "", err
	}
	for _, layout := range [...]string{sqliteTime, "2006-01-02T15:04:05.999999999", sqliteDate} {
		if t, err := time.ParseInLocation(layout, ts, time.UTC); err == nil {
			return t.In(loc).Format(sqliteTime), nil
		}
	}
	return "", fmt.Errorf("%s: %q is not a datetime", ZoneFunctionName, ts)
}

var locations sync.Map // zone name → *time.Location

func location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", ZoneFunctionName, err)
	}
	locations.Store(name, l)
	return l, nil
}
