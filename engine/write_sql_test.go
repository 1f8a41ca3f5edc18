package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

func TestEmitWriteDialects(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := cat.Table("account")
	name, _ := acc.Column("name")
	emp, _ := acc.Column("numberofemployees")
	key := &plan.Value{Kind: plan.KGuid, V: "0a000000-0000-4000-8000-000000000001"}
	set := []engine.Assignment{{Column: name, Value: &plan.Value{Kind: plan.KString, V: "x'; DROP TABLE account; --"}}, {Column: emp, Value: nil}}
	want := map[string]string{
		"postgres":  `UPDATE "account" SET "name" = $1, "numberofemployees" = $2 WHERE "accountid" = $3`,
		"sqlite":    `UPDATE "account" SET "name" = ?, "numberofemployees" = ? WHERE "accountid" = ?`,
		"mysql":     "UPDATE `account` SET `name` = ?, `numberofemployees` = ? WHERE `accountid` = ?",
		"sqlserver": `UPDATE [account] SET [name] = @p1, [numberofemployees] = @p2 WHERE [accountid] = @p3`,
	}
	for _, d := range sqlemit.Dialects() {
		st, err := engine.EmitWrite(d, acc, engine.Update, key, set)
		if err != nil {
			t.Fatal(err)
		}
		if st.SQL != want[d.Name()] {
			t.Errorf("%s: got %s", d.Name(), st.SQL)
		}
		if len(st.Args) != 3 || st.Args[1] != nil || st.Args[0] != "x'; DROP TABLE account; --" {
			t.Errorf("%s: args %v", d.Name(), st.Args)
		}
	}
	if _, err := engine.EmitWrite(sqlemit.SQLite, acc, engine.Update, key, nil); diag.CodeOf(err) != diag.BadAttributeValue {
		t.Errorf("empty update: %v", err)
	}
	st, err := engine.EmitWrite(sqlemit.Postgres, acc, engine.Delete, key, nil)
	if err != nil || st.SQL != `DELETE FROM "account" WHERE "accountid" = $1` {
		t.Errorf("delete: %v %v", st, err)
	}
}

func TestWriteRoundTripSQLite(t *testing.T) {
	ctx := context.Background()
	db, cat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acc, _ := cat.Table("account")
	var set []engine.Assignment
	for col, raw := range map[string]string{
		"accountid":         `"{0A0000FF-0000-4000-8000-000000000001}"`,
		"name":              `"Written Ltd"`,
		"revenue":           `{"Value": 1234.5}`,
		"numberofemployees": `12`,
		"donotemail":        `true`,
		"createdon":         `"2026-01-02T03:04:05Z"`,
		"new_contractend":   `"2027-06-30"`,
		"industrycode":      `{"Value": 3}`,
	} {
		c, ok := acc.Column(col)
		if !ok {
			t.Fatalf("no column %s", col)
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		val, err := engine.ValueFor(c, v)
		if err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		set = append(set, engine.Assignment{Column: c, Value: val})
	}
	d, _ := sqlemit.DialectByName(db.Dialect)
	st, err := engine.EmitWrite(d, acc, engine.Insert, nil, set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, st.SQL, st.Args...); err != nil {
		t.Fatal(err)
	}
	var name, created string
	var emp int64
	if err := db.SQL.QueryRowContext(ctx, `SELECT name, numberofemployees, createdon FROM account WHERE accountid = ?`, "0a0000ff-0000-4000-8000-000000000001").Scan(&name, &emp, &created); err != nil {
		t.Fatal(err)
	}
	if name != "Written Ltd" || emp != 12 || !strings.HasPrefix(created, "2026-01-02") {
		t.Errorf("row read back: %q %d %q", name, emp, created)
	}
	emp2, _ := acc.Column("numberofemployees")
	if _, err := engine.ValueFor(emp2, "twelve"); diag.CodeOf(err) != diag.TypeMismatch {
		t.Errorf("string into integer: %v", err)
	}
}
