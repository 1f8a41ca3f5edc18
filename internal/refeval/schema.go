package refeval

import (
	"math/big"
	"strings"
	"time"
)

// Kind is a column's type as the reference sees it.
type Kind uint8

const (
	String   Kind = iota
	Int           // Integer: int64
	Decimal       // Decimal: *big.Rat
	Float         // Double: float64
	Bool          // Boolean: bool
	DateTime      // DateTime, User Local behaviour: time.Time (UTC instant, whole seconds)
	Guid          // the primary key: lower-case canonical text
	Lookup        // a lookup to Column.Target's primary key: lower-case canonical text
	Choice        // Picklist (int64), sorting by Column.Labels
	// DateOnly is a DateTime column with Date Only behaviour: a wall-clock
	// date, time.Time at 00:00 UTC.
	DateOnly
	// WallDateTime is a DateTime column with Time-Zone Independent
	// behaviour: a wall-clock date and time, held as time.Time in UTC.
	WallDateTime
	// MultiChoice is a multi-select choice: []int64 (stored as "1,3").
	MultiChoice
)

// IsDate reports whether the kind is one of the datetime behaviours.
func (k Kind) IsDate() bool { return k == DateTime || k == DateOnly || k == WallDateTime }

var kindNames = [...]string{"String", "Integer", "Decimal", "Double", "Boolean", "DateTime", "Uniqueidentifier", "Lookup", "Picklist", "DateOnly", "TimeZoneIndependent", "MultiSelectPicklist"}

func (k Kind) String() string { return kindNames[k] }

// Column is one column of a table.
type Column struct {
	Name   string
	Kind   Kind
	Target string // Lookup: the referenced table
	// Labels are a Choice column's option labels by value; a choice
	// sorts by label (values without one as a NULL label would).
	Labels map[int64]string
}

// Row maps column names to values: nil, string, int64, *big.Rat, float64,
// bool or time.Time as the column's Kind says.
type Row map[string]any

// Table is a table with its rows.
type Table struct {
	Name       string
	PrimaryKey string
	// PrimaryName is the column lookups to this table sort by.
	PrimaryName string
	Columns     []*Column
	Rows        []Row
}

// Column returns the named column (case-insensitive, as Dataverse matches
// logical names).
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// Database is a set of tables.
type Database struct {
	Tables []*Table
}

// Table returns the named table.
func (d *Database) Table(name string) *Table {
	for _, t := range d.Tables {
		if strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

// Clone copies the database deeply enough that rows can be removed (the
// shrinker's use); the values themselves are shared and never written.
func (d *Database) Clone() *Database {
	out := &Database{}
	for _, t := range d.Tables {
		nt := *t
		nt.Rows = append([]Row(nil), t.Rows...)
		out.Tables = append(out.Tables, &nt)
	}
	return out
}

// Env is the clock and the caller's calendar.
type Env struct {
	Now       time.Time
	Zone      *time.Location
	WeekStart time.Weekday
	Fiscal    *Fiscal // nil: fiscal operators are errors
	Caller    *Caller // nil: identity operators are errors
}

// Caller is who identity operators (eq-userid …) resolve against: ids
// lower-case canonical.
type Caller struct {
	UserID         string   `json:"userId"`
	BusinessUnitID string   `json:"businessUnitId"`
	TeamIDs        []string `json:"teamIds,omitempty"`
	Reports        []string `json:"reports,omitempty"`     // users below the caller
	ReportTeams    []string `json:"reportTeams,omitempty"` // their teams
	LanguageID     int64    `json:"languageId"`
}

// Rat is a helper for generators: n/d as a decimal value.
func Rat(n, d int64) *big.Rat { return big.NewRat(n, d) }
