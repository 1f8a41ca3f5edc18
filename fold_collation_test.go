package vecompile_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// TestFoldOrderIgnoresColumnCollation: folded strings sort by code point
// (docs/semantics.md) on PostgreSQL whatever the column's collation: the
// fold is pinned COLLATE "C". Under the column's ICU collation 'Øst' would
// sort between 'Ost' and 'Zeta' (ø as a variant of o); by code point ø
// (U+00F8) comes after z, as on SQLite and MariaDB's binary collations.
// A sort key that followed the column's collation would also differ from
// database to database, and keyset cookies with it.
func TestFoldOrderIgnoresColumnCollation(t *testing.T) {
	ctx := context.Background()
	dsn := testkit.OptionalEngines(t)["postgres"]
	if dsn == "" {
		t.Skip("no PostgreSQL (VECOMPILE_POSTGRES_DSN)")
	}
	db, cat := adviseFixture(t, dsn, "fcoll")
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var icu int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'`).Scan(&icu); err != nil || icu == 0 {
		t.Skipf("PostgreSQL without ICU collations (%v)", err)
	}
	src := `<fetch><entity name="account"><attribute name="name"/>
	  <filter><condition attribute="name" operator="like" value="%fcoll-%"/></filter>
	  <order attribute="name"/></entity></fetch>`
	q, err := vecompile.Parse("fcoll", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	table := `"` + p.Root.Table.PhysicalName + `"`
	var ids []string
	rows, err := conn.QueryContext(ctx, `SELECT accountid FROM `+table+` ORDER BY accountid LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) != 3 {
		t.Fatalf("sample has %d accounts", len(ids))
	}
	for i, s := range []string{
		`ALTER TABLE ` + table + ` ALTER COLUMN name TYPE varchar(160) COLLATE "und-x-icu"`,
		`UPDATE ` + table + ` SET name = 'Zeta fcoll-' WHERE accountid = '` + ids[0] + `'`,
		`UPDATE ` + table + ` SET name = 'Øst fcoll-' WHERE accountid = '` + ids[1] + `'`,
		`UPDATE ` + table + ` SET name = 'OST fcoll-' WHERE accountid = '` + ids[2] + `'`,
	} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("setup %d: %s: %v", i, s, err)
		}
	}
	var icuOrder []string
	rows, err = conn.QueryContext(ctx, `SELECT name FROM `+table+` WHERE name LIKE '%fcoll-%' ORDER BY LOWER(name)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		icuOrder = append(icuOrder, s)
	}
	rows.Close()
	want := []string{"OST fcoll-", "Zeta fcoll-", "Øst fcoll-"}
	if slices.Equal(icuOrder, want) {
		t.Fatalf("the column's collation sorts by code point already (%q): the test shows nothing", icuOrder)
	}
	st, err := sql.Emit(p, sql.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = conn.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var name string
		var id any
		if err := rows.Scan(&name, &id); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
	}
	rows.Close()
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q (by code point; the column's collation gives %q)\n%s", got, want, icuOrder, strings.TrimSpace(st.SQL))
	}
}
