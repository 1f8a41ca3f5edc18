package engine

import (
	"context"
	"fmt"

	"github.com/vecompile/vecompile/internal/diag"
)

// LoadSample loads the embedded sample into a database a user runs
// vecompile on (vecompile sample load --db DSN): its tables and rows
// (LoadFixture), its metadata document in vecompile_metadata (so that
// introspection returns the exact catalog: Money, choices and their
// labels, owners, date behaviours) and its security model in the security
// tables (InitSecurity). A database that already holds a table of the
// sample, vecompile_metadata or the security tables is refused unless
// replace, which drops and reloads them.
func LoadSample(ctx context.Context, db *DB, replace bool) error {
	doc, err := sampleDoc()
	if err != nil {
		return err
	}
	names := []string{MetadataTable, "role", "roleprivileges", "systemuserroles"}
	for _, e := range doc.entities {
		names = append(names, e.PhysicalName)
	}
	if !replace {
		for _, n := range names {
			ok, err := tableExists(ctx, db, n)
			if err != nil {
				return err
			}
			if ok {
				return diag.ErrorList{&diag.Error{Code: diag.BadFlag, Msg: fmt.Sprintf("the database already has a table %s: sample load would replace it; give --replace to drop and reload the sample's tables", n)}}.Err()
			}
		}
	} else {
		if err := DropSecurity(ctx, db, ""); err != nil {
			return err
		}
	}
	if _, err := LoadFixture(ctx, db, ""); err != nil {
		return err
	}
	exec := func(q string, args ...any) error {
		if _, err := db.SQL.ExecContext(ctx, q, args...); err != nil {
			return dbError(err, "")
		}
		return nil
	}
	if err := exec("DROP TABLE IF EXISTS " + db.quote(MetadataTable)); err != nil {
		return err
	}
	if err := exec("CREATE TABLE " + db.quote(MetadataTable) + " (" + db.quote("document") + " TEXT)"); err != nil {
		return err
	}
	if err := exec("INSERT INTO "+db.quote(MetadataTable)+" ("+db.quote("document")+") VALUES ("+db.placeholder(1)+")", string(sampleMetadata)); err != nil {
		return err
	}
	model, err := SampleSecurity()
	if err != nil {
		return err
	}
	return InitSecurity(ctx, db, "", model.Model())
}
