package vecompile_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// pipelineNow is the fixed clock of every pipeline case (a Sunday).
var pipelineNow = time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC)

var dialects = []string{"postgres", "sqlite", "mysql", "sqlserver"}

// target is one engine holding the sample data.
type target struct {
	name    string
	db      *engine.DB
	catalog plan.Catalog
	// caller, when set, gives the caller context instead of the
	// database's user tables (as --businessunit, --teams, --reports do).
	caller func(userID string) (*plan.Caller, error)
}

func TestPipeline(t *testing.T) {
	ctx := context.Background()
	sdb, scat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	targets := []target{{"sqlite", sdb, scat, nil}}
	engines := testkit.OptionalEngines(t)
	engines["sqlite"] = "sqlite::memory:"
	for _, e := range pipelineForms {
		dsn := engines[e.engine]
		if dsn == "" {
			continue
		}
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", e.engine, err)
		}
		defer db.Close()
		// A prefix per run, so that concurrent runs sharing a database
		// never see each other's tables.
		prefix := fmt.Sprintf("pipe%d_%s_", os.Getpid(), e.name)
		cat, err := engine.LoadFixtureForm(ctx, db, prefix, e.form)
		if err != nil {
			t.Fatalf("%s %s: loading the sample: %v", e.engine, e.name, err)
		}
		defer engine.DropFixture(ctx, db, prefix)
		targets = append(targets, target{e.engine + " " + e.name, db, cat, nil})
	}

	files, _ := filepath.Glob("testdata/pipeline/*.ddt")
	if len(files) == 0 {
		t.Fatal("no pipeline cases")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			testkit.RunFile(t, file, func(t *testing.T, d *testkit.Directive) string {
				return runDirective(t, ctx, d, targets)
			})
		})
	}
}

// pipelineForms are the engines and storage forms every exec case runs on
// besides the in-memory sample: the sample as vecompile loads it, and as
// other tools store Dataverse data — GUIDs as upper-case text (SQL Server's
// exports), in both cases, as 16 bytes, in native types, without foreign
// keys — with the storage forms probed from the database, as vecompile
// does when it opens a database with --metadata.
var pipelineForms = []struct {
	engine, name string
	form         engine.FixtureForm
}{
	{"postgres", "uuid", engine.FixtureForm{}},
	{"mysql", "char36", engine.FixtureForm{}},
	{"sqlite", "text_upper", engine.FixtureForm{Guid: plan.GuidUpper, GuidType: "TEXT", NoForeignKeys: true, Probe: true}},
	{"sqlite", "uniqueidentifier_anycase", engine.FixtureForm{Guid: plan.GuidAnyCase, GuidType: "UNIQUEIDENTIFIER", NoForeignKeys: true, Probe: true}},
	{"sqlite", "blob", engine.FixtureForm{Guid: plan.GuidBinary, GuidType: "BLOB(16)", NoForeignKeys: true, Probe: true}},
	{"sqlite", "char36_upper", engine.FixtureForm{Guid: plan.GuidUpper, NoForeignKeys: true, Probe: true}},
	{"postgres", "text_upper", engine.FixtureForm{Guid: plan.GuidUpper, NoForeignKeys: true, Probe: true}},
	{"postgres", "text_anycase", engine.FixtureForm{Guid: plan.GuidAnyCase, NoForeignKeys: true, Probe: true}},
	{"postgres", "uuid_probed", engine.FixtureForm{Guid: plan.GuidNative, NoForeignKeys: true, Probe: true}},
	{"mysql", "char36_upper", engine.FixtureForm{Guid: plan.GuidUpper, NoForeignKeys: true, Probe: true}},
	{"mysql", "char36_anycase", engine.FixtureForm{Guid: plan.GuidAnyCase, NoForeignKeys: true, Probe: true}},
	{"mysql", "binary16", engine.FixtureForm{Guid: plan.GuidBinary, NoForeignKeys: true, Probe: true}},
	{"mysql", "char36_ci_anycase", engine.FixtureForm{Guid: plan.GuidAnyCase, GuidType: "CHAR(36) COLLATE utf8mb4_general_ci", NoForeignKeys: true, Probe: true}},
}

// options builds the planner options a directive asks for.
func options(t *testing.T, ctx context.Context, d *testkit.Directive, tg target) plan.Options {
	opt := plan.Options{Catalog: tg.catalog, Now: pipelineNow, Zone: time.UTC}
	if _, ok := d.Arg("untyped"); ok {
		opt.Catalog = plan.Untyped{}
	}
	if z, ok := d.Arg("zone"); ok {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		opt.Zone = loc
	}
	if f, ok := d.Arg("fiscal"); ok {
		start, typ, _ := strings.Cut(f, ",")
		st, err := time.Parse("01-02", start)
		if err != nil {
			t.Fatal(err)
		}
		var pt int
		fmt.Sscan(typ, &pt)
		opt.Fiscal = &plan.Fiscal{Start: st, PeriodType: pt}
	}
	if u, ok := d.Arg("user"); ok {
		id := engine.SampleUsers[u]
		if id == "" {
			t.Fatalf("no sample user %q", u)
		}
		load := func(id string) (*plan.Caller, error) { return engine.LoadCaller(ctx, tg.db, tg.catalog, id, 3) }
		if tg.caller != nil {
			load = tg.caller
		}
		caller, err := load(id)
		if err != nil {
			t.Fatal(err)
		}
		opt.Caller = caller
	}
	if n, ok := d.Arg("quickfindlimit"); ok { // the organization's quick-find record limit
		fmt.Sscan(n, &opt.QuickFindRecordLimit)
	}
	if _, ok := d.Arg("accentsensitive"); ok { // an accent-sensitive collation (spec §5.3)
		opt.AccentSensitive = true
	}
	if _, ok := d.Arg("quickfindoff"); ok { // the organization turned the limit off
		opt.QuickFindLimitDisabled = true
	}
	if u, ok := d.Arg("secure"); ok { // run as a sample user under the sample's security model
		model, err := engine.SampleSecurity()
		if err != nil {
			t.Fatal(err)
		}
		s, err := model.Session(security.Principal{UserID: engine.SampleUsers[u]})
		if err != nil {
			t.Fatal(err)
		}
		opt.Security = plan.ModelSecurity{Session: s}
	}
	return opt
}

func compile(t *testing.T, ctx context.Context, d *testkit.Directive, tg target) (*plan.Plan, string) {
	q, err := fetchxml.Parse(diag.NewSource("query.xml", []byte(d.Input)))
	if err != nil {
		return nil, "error: " + err.Error()
	}
	p, err := plan.Build(q, options(t, ctx, d, tg))
	if err != nil {
		return nil, "error: " + err.Error()
	}
	return p, ""
}

func runDirective(t *testing.T, ctx context.Context, d *testkit.Directive, targets []target) string {
	switch d.Cmd {
	case "plan":
		p, msg := compile(t, ctx, d, targets[0])
		if p == nil {
			return msg
		}
		return plan.Format(p)
	case "sql":
		p, msg := compile(t, ctx, d, targets[0])
		if p == nil {
			return msg
		}
		var out strings.Builder
		for _, w := range p.Warnings { // what untyped mode assumed
			fmt.Fprintf(&out, "-- warning: %s\n", w)
		}
		names := dialects
		if v, ok := d.Arg("dialects"); ok {
			names = strings.Split(v, ",")
		}
		for _, name := range names {
			dl, ok := sql.DialectByName(name)
			if !ok {
				t.Fatalf("unknown dialect %q", name)
			}
			st, err := sql.Emit(p, dl)
			fmt.Fprintf(&out, "-- %s\n", name)
			if err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
				continue
			}
			fmt.Fprintf(&out, "%s\n-- args: %s\n", st.SQL, formatArgs(st.Args))
			if p.QuickFindLimit > 0 {
				qf, err := sql.EmitQuickFindCount(p, dl)
				if err != nil {
					fmt.Fprintf(&out, "-- quick find count: error: %v\n", err)
					continue
				}
				fmt.Fprintf(&out, "-- quick find count:\n%s\n-- args: %s\n", qf.SQL, formatArgs(qf.Args))
			}
		}
		return out.String()
	case "exec":
		var first string
		for i, tg := range targets {
			p, msg := compile(t, ctx, d, tg)
			if p == nil {
				return msg
			}
			res, err := tg.db.Exec(ctx, p)
			var got string
			if err != nil {
				got = "error: " + err.Error()
			} else {
				var buf bytes.Buffer
				if err := engine.Write(&buf, res, "jsonl"); err != nil {
					t.Fatal(err)
				}
				got = buf.String()
				if res.MoreRecords || p.ReturnTotalRecordCount {
					got += fmt.Sprintf("-- morerecords=%v totalrecordcount=%d\n", res.MoreRecords, res.TotalRecordCount)
				}
			}
			if i == 0 {
				first = got
			} else if got != first {
				t.Errorf("%s: %s returns other rows than sqlite\n--- sqlite\n%s\n--- %s\n%s", d.Pos, tg.name, first, tg.name, got)
			}
		}
		return first
	}
	t.Fatalf("%s: unknown directive %q", d.Pos, d.Cmd)
	return ""
}

func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			parts[i] = fmt.Sprintf("%q", v)
		case time.Time:
			parts[i] = v.UTC().Format(time.RFC3339Nano)
		case []any: // a list bound as one parameter (PostgreSQL)
			parts[i] = formatArgs(v)
		default:
			parts[i] = fmt.Sprintf("%v", v)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
