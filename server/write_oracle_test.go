package server_test

// The write oracle (issue 16, item 7): drawn principals, policies and
// write bodies go through the real HTTP handler on SQLite and, when
// configured, PostgreSQL and MariaDB; each outcome is checked against the
// oracle's own reading of the model (write_oracle_model_test.go) by
// reading the database directly before and after every write:
//
//   - a refused write (4xx) changed nothing; no write is a 5xx;
//   - an accepted write was allowed by the model: Create at a depth that
//     reaches the new row's owner and unit, Write on the row, Assign (and
//     an owner able to read the table) for a change of owner or unit,
//     Delete on the row, Append on the row and AppendTo on every lookup
//     target, a column profile or field share for every secured column;
//   - an accepted write stored exactly what the body meant, on that row
//     only; a body of an ambiguous shape (two spellings of a column, Id
//     beside Value, unknown keys, a null owner …) is refused;
//   - a write the model allows, in a shape with one meaning, is accepted.
//
// docs/proof.md describes it; VECOMPILE_SEED replays a seed, and
// testdata/write_oracle holds shrunk counterexamples that are replayed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/security"
	"github.com/vecompile/vecompile/server"
)

// writeOracleSeed is the seed every run checks; each run also checks a
// fresh one, printed. VECOMPILE_SEED=<n> checks only n.
const writeOracleSeed = 20261206

// Budget: cases per seed (three writes each, on every engine).
const oracleCasesPerSeed = 180

var oracleRun atomic.Int64

// oracleEnv is one engine: the sample under a per-process prefix with
// account and contact emptied for the drawn rows, and a server whose
// security is the drawn model (behind oracleSecurity, which can inject
// faults for the self-check).
type oracleEnv struct {
	name   string
	db     *engine.DB
	prefix string
	e      *env
	sec    *oracleSecurity
	// fromTables: the server reads the model back from security tables
	// (as vecompile serve does) rather than from memory.
	fromTables bool
	// tally counts the outcomes judged (accepted or refused, and what
	// the oracle expected), for the figures.
	tally map[string]int
}

func oracleEnvs(t *testing.T, only string) []*oracleEnv {
	t.Helper()
	ctx := context.Background()
	dsns := testkit.Engines(t)
	var out []*oracleEnv
	for _, name := range []string{"sqlite", "postgres", "mysql"} {
		dsn, ok := dsns[name]
		if !ok || only != "" && name != only {
			continue
		}
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prefix := fmt.Sprintf("wo%d_%d_", os.Getpid(), oracleRun.Add(1))
		cat, err := engine.LoadFixture(ctx, db, prefix)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() {
			engine.DropFixture(context.Background(), db, prefix)
			db.Close()
		})
		oe := &oracleEnv{name: name, db: db, prefix: prefix, sec: &oracleSecurity{}, tally: map[string]int{}}
		stmts := []string{"DELETE FROM " + oe.tbl("opportunity")}
		stmts = append(stmts, oe.clearRows()...)
		for _, bu := range poolBUs[3:] {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES ('%s', 'oracle unit', '%s')",
				oe.tbl("businessunit"), oe.q("businessunitid"), oe.q("name"), oe.q("parentbusinessunitid"), bu, poolBUs[0]))
		}
		if err := oe.exec(ctx, stmts); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		empty, err := security.Compile(&security.Model{})
		if err != nil {
			t.Fatal(err)
		}
		oe.sec.SecurityModel = server.NewSecurityModel(empty)
		oe.e = newEnv(t, fixture{name, db, cat}, func(c *server.Config) {
			c.Insecure = false
			c.Security = oe.sec
			c.Users = server.SameIDs{}
		})
		for _, table := range []string{"account", "contact"} {
			if err := oe.e.srv.OnWrite(table, oe.sec.tamperHook); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, oe)
	}
	return out
}

func (oe *oracleEnv) q(name string) string {
	if oe.db.Dialect == engine.MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

func (oe *oracleEnv) tbl(name string) string { return oe.q(oe.prefix + name) }

func (oe *oracleEnv) ph(i int) string {
	if oe.db.Dialect == engine.Postgres {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

func (oe *oracleEnv) exec(ctx context.Context, stmts []string) error {
	for _, s := range stmts {
		if _, err := oe.db.SQL.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func (oe *oracleEnv) clearRows() []string {
	return []string{
		fmt.Sprintf("UPDATE %s SET %s = NULL, %s = NULL", oe.tbl("account"), oe.q("primarycontactid"), oe.q("parentaccountid")),
		fmt.Sprintf("UPDATE %s SET %s = NULL", oe.tbl("contact"), oe.q("parentcustomerid")),
		"DELETE FROM " + oe.tbl("contact"),
		"DELETE FROM " + oe.tbl("account"),
	}
}

// reset replaces the rows of account and contact with the case's.
func (oe *oracleEnv) reset(ctx context.Context, rows []seedRow) error {
	if err := oe.exec(ctx, oe.clearRows()); err != nil {
		return err
	}
	for _, r := range rows {
		cols := []string{r.Table + "id", "ownerid", "owningbusinessunit"}
		args := []any{r.ID, r.Owner, r.BU}
		keys := make([]string, 0, len(r.Values))
		for k := range r.Values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			cols, args = append(cols, k), append(args, r.Values[k])
		}
		var qc, qp []string
		for i, c := range cols {
			qc, qp = append(qc, oe.q(c)), append(qp, oe.ph(i+1))
		}
		s := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", oe.tbl(r.Table), strings.Join(qc, ", "), strings.Join(qp, ", "))
		if _, err := oe.db.SQL.ExecContext(ctx, s, args...); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// throughTables stores the model in security tables under a prefix of its
// own (the directory tables too: the sample's hold other units and
// managers) and reads it back, as vecompile serve does.
func (oe *oracleEnv) throughTables(ctx context.Context, m *security.Model) (*security.Compiled, error) {
	prefix := fmt.Sprintf("%ss%d_", oe.prefix, oracleRun.Add(1))
	defer func() {
		for _, t := range security.Tables {
			oe.db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+oe.q(prefix+t.Name))
		}
	}()
	if err := engine.InitSecurity(ctx, oe.db, prefix, m); err != nil {
		return nil, err
	}
	c, ok, err := engine.LoadSecurity(ctx, oe.db, prefix)
	if err == nil && !ok {
		err = fmt.Errorf("the security tables under %s were not found", prefix)
	}
	return c, err
}

// oracleNull is how a snapshot spells NULL.
const oracleNull = "<null>"

// dbSnapshot is every oracle column of every row of account and contact,
// as normalized text, by table and lower-case id.
type dbSnapshot map[string]map[string]map[string]string

func (oe *oracleEnv) snapshot(ctx context.Context) (dbSnapshot, error) {
	out := dbSnapshot{}
	for table, cols := range oracleTables {
		names := []string{oe.q(table + "id")}
		for _, c := range cols {
			names = append(names, oe.q(c.name))
		}
		rows, err := oe.db.SQL.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+oe.tbl(table))
		if err != nil {
			return nil, err
		}
		scanned, err := testkit.ScanRows(rows)
		if err != nil {
			return nil, err
		}
		out[table] = map[string]map[string]string{}
		for _, vals := range scanned {
			rec := map[string]string{}
			for i, c := range cols {
				rec[c.name] = normalizeStored(c.kind, vals[i+1])
			}
			out[table][normalizeStored(kLookup, vals[0])] = rec
		}
	}
	return out, nil
}

// normalizeStored reads a scanned value as text comparable with the
// oracle's meaning of a body value.
func normalizeStored(k oracleKind, v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return oracleNull
	case []byte:
		s = string(x)
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case [16]byte:
		s = fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	default:
		s = fmt.Sprint(x)
	}
	return normalizeText(k, s)
}

func normalizeText(k oracleKind, s string) string {
	switch {
	case k.isRef():
		return strings.ToLower(strings.TrimSpace(s))
	case k == kDecimal || k == kInt:
		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok {
			return "bad number " + s
		}
		return r.FloatString(4)
	}
	return s
}

// oracleSecurity is the server's security: the drawn model, with one of
// the self-check's faults when fault is set.
type oracleSecurity struct {
	*server.SecurityModel
	fault string
	model *security.Model
}

// The injected faults, each a hole the oracle must catch.
const (
	// faultAssignUnchecked lets an owner or unit change pass without
	// Assign, the effect of the check that read Id where the writer read
	// Value.
	faultAssignUnchecked = "assign-unchecked"
	// faultHierarchyDelete lets a manager delete a direct report's row.
	faultHierarchyDelete = "hierarchy-grants-delete"
	// faultColumnUnchecked lets secured columns be written without a
	// profile.
	faultColumnUnchecked = "column-security-skipped"
	// faultTamper stores another name than the checked one, as when the
	// last of two spellings is written.
	faultTamper = "stored-value-differs"
)

// oracleFaults are the faults with what the oracle must say about each.
var oracleFaults = []struct{ name, says string }{
	{faultAssignUnchecked, "no Assign"},
	{faultHierarchyDelete, "no Delete"},
	{faultColumnUnchecked, "no column permission"},
	{faultTamper, "stored is not what the body meant"},
}

func (s *oracleSecurity) CheckWrite(ctx context.Context, p *server.Principal, w *server.WriteRequest) error {
	err := s.SecurityModel.CheckWrite(ctx, p, w)
	if err == nil {
		return nil
	}
	switch s.fault {
	case faultAssignUnchecked:
		if strings.Contains(err.Error(), "prvAssign") {
			return nil
		}
	case faultHierarchyDelete:
		if w.Values == nil && w.Before != nil && s.model != nil {
			o := oracleModel{s.model}
			if u := o.user(strings.ToLower(w.Before.OwnerID)); u != nil && u.ManagerID == strings.ToLower(p.BackendID) {
				return nil
			}
		}
	case faultColumnUnchecked:
		if diag.CodeOf(err) == diag.HiddenColumnWrite {
			return nil
		}
	}
	return err
}

func (s *oracleSecurity) tamperHook(_ context.Context, _ *server.WriteTx, w *server.WriteRequest) error {
	if s.fault != faultTamper {
		return nil
	}
	for k, v := range w.Values {
		if x, ok := v.(string); ok && (strings.EqualFold(k, "name") || strings.EqualFold(k, "fullname")) {
			w.Values[k] = x + " (another spelling)"
		}
	}
	return nil
}

// renderAttrs writes the attributes as a JSON object, keys repeated as
// drawn.
func renderAttrs(attrs []bodyAttr) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, a := range attrs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(a.Key)
		b.Write(k)
		b.WriteByte(':')
		if err := json.Compact(&b, a.Value); err != nil {
			b.Write(a.Value) // not JSON: sent as drawn
		}
	}
	b.WriteByte('}')
	return b.String()
}

// request is the HTTP request of a write.
func (w writeSpec) request() (method, path, body string) {
	set := oracleEntitySets[w.Table]
	key := strings.Trim(w.ID, "{}")
	switch w.API + " " + w.Op {
	case "sdk create", "sdk update":
		id := ""
		if w.ID != "" {
			id = fmt.Sprintf(`,"Id":%q`, w.ID)
		}
		op := "Create"
		if w.Op == "update" {
			op = "Update"
		}
		return "POST", "/api/ve/v1/" + op, fmt.Sprintf(`{"Target":{"LogicalName":%q%s,"Attributes":%s}}`, w.Table, id, renderAttrs(w.Attrs))
	case "sdk delete":
		return "POST", "/api/ve/v1/Delete", fmt.Sprintf(`{"EntityName":%q,"Id":%q}`, w.Table, w.ID)
	case "odata create":
		attrs := w.Attrs
		if w.ID != "" {
			attrs = append([]bodyAttr{{Key: w.Table + "id", Value: rawJSON(w.ID)}}, attrs...)
		}
		return "POST", "/odata/" + set, renderAttrs(attrs)
	case "odata update":
		return "PATCH", "/odata/" + set + "(" + key + ")", renderAttrs(w.Attrs)
	}
	return "DELETE", "/odata/" + set + "(" + key + ")", ""
}

// runCase applies the case on one engine and returns what the oracle
// found wrong ("" when nothing); err means the case itself is invalid
// (a shrunk model that does not compile).
func (oe *oracleEnv) runCase(ctx context.Context, c *writeCase) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute) // a stuck engine fails the case, not the run
	defer cancel()
	m := c.clone().Model
	compiled, err := security.Compile(&m)
	if err != nil {
		return "", err
	}
	if oe.fromTables {
		if compiled, err = oe.throughTables(ctx, &c.clone().Model); err != nil {
			return "", err
		}
	}
	oe.sec.SetModel(compiled)
	oe.sec.model = &c.Model
	if err := oe.reset(ctx, c.Rows); err != nil {
		return "", err
	}
	before, err := oe.snapshot(ctx)
	if err != nil {
		return "", err
	}
	o := oracleModel{&c.Model}
	for i, w := range c.Writes {
		method, path, body := w.request()
		oe.e.user = w.Caller
		res := oe.e.do(method, path, body)
		after, err := oe.snapshot(ctx)
		if err != nil {
			return "", err
		}
		if probs := oracleJudge(o, w, before, after, res.status, oe.tally); len(probs) > 0 {
			return fmt.Sprintf("%s: write %d, %s %s as %s: %s\n  body: %s\n  reply %d: %.300s\n  - %s",
				oe.name, i+1, method, path, w.Caller, w.Op, body, res.status, res.body, strings.Join(probs, "\n  - ")), nil
		}
		before = after
	}
	return "", nil
}

// runOracleCase runs the case on every engine, stopping at the first failure.
func runOracleCase(envs []*oracleEnv, c *writeCase, count bool) string {
	for _, oe := range envs {
		tally := oe.tally
		if !count {
			oe.tally = map[string]int{}
		}
		msg, err := oe.runCase(context.Background(), c)
		oe.tally = tally
		if err != nil {
			return "" // an invalid case (a shrink step too far) is no counterexample
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}

func oracleSeeds(t *testing.T) []int64 {
	if s := os.Getenv("VECOMPILE_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("VECOMPILE_SEED=%q: %v", s, err)
		}
		t.Logf("seed %d (VECOMPILE_SEED)", n)
		return []int64{n}
	}
	fresh := time.Now().UnixNano() % 1_000_000_000
	t.Logf("seeds: fixed %d, fresh %d (reproduce: VECOMPILE_SEED=%d go test ./server -run TestWriteOracle)", writeOracleSeed, fresh, fresh)
	return []int64{writeOracleSeed, fresh}
}

// TestWriteOracle is the property: for every drawn case, on every
// engine, the oracle finds nothing wrong. A failure is shrunk by gopter
// (writeCaseVariants) and printed as a case file to keep in
// testdata/write_oracle.
func TestWriteOracle(t *testing.T) {
	envs := oracleEnvs(t, "")
	for _, seed := range oracleSeeds(t) {
		params := gopter.DefaultTestParametersWithSeed(seed)
		params.MinSuccessfulTests = oracleCasesPerSeed
		params.MaxShrinkCount = 400
		// Once a case fails, shrinking runs on the engine it failed on,
		// and its steps are not counted in the figures.
		on := envs
		res := prop.ForAll(func(c *writeCase) bool {
			msg := runOracleCase(on, c, len(on) == len(envs))
			if msg != "" && len(on) == len(envs) {
				on = slices.DeleteFunc(slices.Clone(envs), func(oe *oracleEnv) bool { return !strings.HasPrefix(msg, oe.name+":") })
			}
			return msg == ""
		}, writeCaseGen()).Check(params)
		if res.Passed() {
			continue
		}
		if len(res.Args) == 0 {
			t.Fatalf("seed %d: %v", seed, res.Error)
		}
		shrunk := res.Args[0].Arg.(*writeCase)
		t.Errorf("seed %d: the write oracle failed after %d cases (shrunk in %d steps):\n%s\n\ncase (keep as testdata/write_oracle/<name>.json):\n%s",
			seed, res.Succeeded, res.Args[0].Shrinks, runOracleCase(on, shrunk, false), shrunk)
	}
	for _, oe := range envs {
		t.Logf("%s: %s", oe.name, oracleFigures(oe.tally))
	}
}

// oracleFigures prints a tally in a fixed order.
func oracleFigures(tally map[string]int) string {
	var parts []string
	total := 0
	for _, k := range slices.Sorted(maps.Keys(tally)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, tally[k]))
		total += tally[k]
	}
	return fmt.Sprintf("%d writes: %s", total, strings.Join(parts, ", "))
}

// TestWriteOracleRegressions replays the kept counterexamples, the model
// stored in and read back from the security tables.
func TestWriteOracleRegressions(t *testing.T) {
	files, err := filepath.Glob("testdata/write_oracle/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no kept cases in testdata/write_oracle")
	}
	envs := oracleEnvs(t, "")
	for _, oe := range envs {
		oe.fromTables = true
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c writeCase
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, oe := range envs {
				msg, err := oe.runCase(context.Background(), &c)
				if err != nil {
					t.Fatalf("%s: %v", oe.name, err)
				}
				switch {
				case msg != "" && c.Known == "":
					t.Errorf("%s", msg)
				case msg == "" && c.Known != "":
					t.Errorf("%s: passes now: remove the known mark (%s)", oe.name, c.Known)
				case msg != "":
					t.Logf("known (%s): %s", c.Known, msg)
				}
			}
		})
	}
}

// TestWriteOracleCatchesFaults is the oracle's self-check: with each
// injected fault, some drawn case that passes without the fault fails
// with it.
func TestWriteOracleCatchesFaults(t *testing.T) {
	envs := oracleEnvs(t, "sqlite")
	oe := envs[0]
	ctx := context.Background()
	for _, f := range oracleFaults {
		fault := f.name
		t.Run(fault, func(t *testing.T) {
			defer func() { oe.sec.fault = "" }()
			r := rand.New(rand.NewSource(writeOracleSeed))
			for n := 1; n <= 600; n++ {
				c := drawWriteCase(r)
				oe.sec.fault = fault
				with, err := oe.runCase(ctx, c)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(with, f.says) {
					continue
				}
				oe.sec.fault = ""
				without, err := oe.runCase(ctx, c)
				if err != nil {
					t.Fatal(err)
				}
				if without == "" {
					t.Logf("caught after %d cases:\n%s", n, with)
					return
				}
			}
			t.Errorf("fault %s was not caught (%q) in 600 cases", fault, f.says)
		})
	}
}
