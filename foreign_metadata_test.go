package vecompile_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// csdlLossy are the sample's columns whose type a $metadata document does
// not carry (docs/semantics.md, "Metadata from the organization"): choice
// columns (statecode and statuscode too) are Edm.Int32 without their labels,
// which Dataverse orders them by, multi-select choices and
// memos Edm.String, money Edm.Decimal without a _base column, and a
// time-zone-independent date Edm.DateTimeOffset like a user-local one. A
// case naming one of them may answer differently under the CSDL
// description; every other case must return the sample's rows.
var csdlLossy = regexp.MustCompile(`"(industrycode|teamtype|statecode|statuscode|new_tags|new_contractend|revenue|estimatedvalue|description)"`)

// TestPipelineForeignMetadata runs every exec case of testdata/pipeline on
// the sample described by an organization's own metadata, as --db with
// --metadata does: testdata/foreign/metadata.xml (a CSDL $metadata
// document in Dataverse's form; model.json describes the tables Synapse
// Link writes, with its system columns: TestPipelineForeignForms loads
// and runs them), on the sample itself and on
// copies stored as exports store it (upper-case text, bytes or both cases,
// no foreign keys; on SQLite, PostgreSQL and MariaDB when configured) with
// the GUID storage probed from the database. Each must return
// the rows the sample's own metadata returns.
func TestPipelineForeignMetadata(t *testing.T) {
	ctx := context.Background()
	sdb, scat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	// The sample as exports store it (upper-case text, bytes, both cases;
	// no foreign keys) on SQLite and, when configured, PostgreSQL and
	// MariaDB, under Dataverse's own table names.
	dbs := map[string]*engine.DB{"sqlite": sdb}
	names := []string{"sqlite"}
	for _, f := range foreignDatabases(t) {
		db, err := engine.Open(ctx, f.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[f.name] = db
		names = append(names, f.name)
	}
	reference := []target{{"sqlite", sdb, scat, nil}}
	for _, doc := range []struct {
		file  string
		lossy *regexp.Regexp
	}{
		{"testdata/foreign/metadata.xml", csdlLossy},
	} {
		t.Run(filepath.Base(doc.file), func(t *testing.T) {
			data, err := os.ReadFile(doc.file)
			if err != nil {
				t.Fatal(err)
			}
			load := func(db *engine.DB) plan.Catalog {
				cat, err := engine.ParseMetadata(doc.file, data)
				if err != nil {
					t.Fatal(err)
				}
				if err := engine.ProbeGuidStorage(ctx, db, cat); err != nil {
					t.Fatal(err)
				}
				return cat
			}
			var forms []target
			for _, n := range names {
				forms = append(forms, target{n, dbs[n], load(dbs[n]), nil})
			}
			files, _ := filepath.Glob("testdata/pipeline/*.ddt")
			same, lossy := 0, 0
			for _, file := range files {
				t.Run(filepath.Base(file), func(t *testing.T) {
					testkit.RunFile(t, file, func(t *testing.T, d *testkit.Directive) string {
						if d.Cmd != "exec" {
							return d.Expected // plans and SQL are TestPipeline's
						}
						want := runDirective(t, ctx, d, reference)
						for _, tg := range forms {
							got := runDirective(t, ctx, d, []target{tg})
							switch {
							case got == want:
								same++
							case doc.lossy.MatchString(d.Input):
								lossy++
								t.Logf("%s: %s differs on a column whose type the document does not carry", d.Pos, tg.name)
							default:
								t.Errorf("%s: %s returns other rows than the sample's metadata\n--- sample\n%s\n--- %s\n%s", d.Pos, tg.name, want, tg.name, got)
							}
						}
						return want
					})
				})
			}
			t.Logf("%d runs agree with the sample's metadata, %d differ on columns the document does not type", same, lossy)
			if same == 0 {
				t.Fatal("no exec case ran")
			}
		})
	}
}
