package vecompile_test

// Conformance tests against the SQL 4 CDS FetchXML ⇄ SQL corpus in
// ../shared/corpus/sql4cds-fetchxml (see its README.md). The corpus is read
// in place, never copied; the tests skip when it is absent.
//
//   - TestSQL4CDSCorpusCompiles: every FetchXML document parses, plans (with
//     its schema, and in untyped mode) and emits SQL in all four dialects.
//   - TestSQL4CDSCorpusMeaning: for the 42 fetchxml2sql pairs, our SQLite SQL
//     and their T-SQL (adapted mechanically to SQLite) return the same rows
//     from one deterministic dataset.
//
// Every case that does not behave is listed, with its reason, in one of the
// tables below; a listed case that starts to behave fails the test too, so
// the tables stay honest.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

const (
	sql4cdsEngineSchema   = "MarkMpn.Sql4Cds.Engine.Tests"
	sql4cdsFetchXMLSchema = "MarkMpn.Sql4Cds.Engine.FetchXml.Tests"
	sql4cdsPairs          = 396
	sql4cdsFetchXML2SQL   = 42
)

// sql4cdsNow is the fixed clock of the corpus tests (a Sunday afternoon).
var sql4cdsNow = time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC)

// sql4cdsCaller is a made-up caller so identity operators resolve.
var sql4cdsCaller = &plan.Caller{
	UserID:         "5f1c1b8e-0000-4000-8000-0000000000a1",
	BusinessUnitID: "5f1c1b8e-0000-4000-8000-0000000000b1",
	TeamIDs:        []string{"5f1c1b8e-0000-4000-8000-0000000000c1", "5f1c1b8e-0000-4000-8000-0000000000c2"},
	LanguageID:     1033,
}

// sql4cdsFiscal: fiscal year from 1 January, quarterly periods.
var sql4cdsFiscal = &plan.Fiscal{Start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), PeriodType: 2002}

// knownFailure is a corpus document that is expected not to compile, with
// the one code every error it raises must carry.
type knownFailure struct {
	code   diag.Code
	reason string
}

// sql4cdsAlsoFails are second codes a known failure also fails with.
var sql4cdsAlsoFails = map[string]diag.Code{"026": diag.UnknownColumn}

// Reasons starting with "BUG" are defects in vecompile; "GAP" marks a
// missing feature of engine's SQL 4 CDS schema adapter; everything else is a
// document that uses something outside FetchXML semantics or that Dataverse
// rejects.
const (
	reasonPlaceholder = "generator:IsVariable run-time parameter placeholder (%s), not a FetchXML literal; typed as %s it cannot parse"
	reasonNoColumn    = "uses %s, absent from the FetchXml.Tests schema (SQL 4 CDS's converter does not validate columns; Dataverse rejects unknown attributes)"
	reasonMaxRecurse  = "fetch/@options 'MaxRecursion=2' is a SQL 4 CDS extension, not one of the query hints Learn and spec §1.10 list"
	reasonArchive     = "datasource=\"archive\" reads long-term-retention rows only, which vecompile has no store for: refused rather than answered from the live tables"
	reasonVirtualType = "GAP: filters on the virtual parentcustomeridtype attribute, which FakeXrmEasyTestsBase adds but engine.LoadSQL4CDSMetadata does not model"
)

// sql4cdsTypedFailures: documents that do not compile against their schema.
var sql4cdsTypedFailures = map[string]knownFailure{
	"024": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "account.ownerid")},
	"025": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "account.ownerid")},
	"026": {diag.UnsupportedFeature, reasonArchive + "; " + fmt.Sprintf(reasonNoColumn, "account.ownerid")},
	"027": {diag.UnsupportedFeature, reasonArchive},
	"033": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname and account.statecode")},
	"034": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname and account.statecode")},
	"035": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname")},
	"037": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname")},
	"038": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname and contact.statecode")},
	"039": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname and contact.statecode")},
	"040": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname")},
	"041": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname")},
	"042": {diag.UnknownColumn, fmt.Sprintf(reasonNoColumn, "contact.fullname")},
	"118": {diag.TypeMismatch, "valueof compares name (String) with accountid (Uniqueidentifier); Learn: both columns must have the same type"},
	"156": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@Expr2", "DateTime")},
	"217": {diag.BadAttributeValue, reasonMaxRecurse},
	"252": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@Expr2", "Money")},
	"253": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@Expr2", "Money")},
	"261": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "{outerReference}", "Uniqueidentifier")},
	"266": {diag.UnknownColumn, reasonVirtualType},
	"267": {diag.UnknownColumn, reasonVirtualType},
	"268": {diag.UnknownColumn, reasonVirtualType},
	"269": {diag.UnknownColumn, reasonVirtualType},
	"270": {diag.UnknownColumn, reasonVirtualType},
	"271": {diag.UnknownColumn, reasonVirtualType},
	"273": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@@IDENTITY", "Uniqueidentifier")},
	"327": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@Expr1", "Lookup")},
	"370": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@Id1, @Id2", "Uniqueidentifier")},
	"375": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@AccountId", "Uniqueidentifier")},
	"376": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@AccountId", "Uniqueidentifier")},
	"391": {diag.TypeMismatch, fmt.Sprintf(reasonPlaceholder, "@Expr3", "Customer")},
}

// sql4cdsUntypedFailures: documents that do not compile in untyped mode
// although they need no metadata (those that do are checked separately).
var sql4cdsUntypedFailures = map[string]knownFailure{
	"217": {diag.BadAttributeValue, reasonMaxRecurse},
	"026": {diag.UnsupportedFeature, reasonArchive},
	"027": {diag.UnsupportedFeature, reasonArchive},
}

// sql4cdsCase is one row of index.tsv.
type sql4cdsCase struct {
	id, direction, sourcePath, testName string
	xml                                 []byte
}

// schema is the test-metadata.json schema the pair runs against.
func (c *sql4cdsCase) schema() string {
	if strings.HasPrefix(c.sourcePath, sql4cdsFetchXMLSchema+"/") {
		return sql4cdsFetchXMLSchema
	}
	return sql4cdsEngineSchema
}

// sql4cdsCorpus reads the corpus in place, skipping the test without it.
func sql4cdsCorpus(t *testing.T) (dir string, cases []*sql4cdsCase) {
	t.Helper()
	dir = filepath.Join("..", "shared", "corpus", "sql4cds-fetchxml")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("SQL 4 CDS corpus not available: %v", err)
	}
	idx, err := os.ReadFile(filepath.Join(dir, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(idx), "\n"), "\n")
	head := strings.Split(lines[0], "\t")
	col := func(name string) int {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("index.tsv has no column %q", name)
		}
		return i
	}
	cID, cDir, cPath, cTest := col("id"), col("direction"), col("source_path"), col("test_name")
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != len(head) {
			t.Fatalf("index.tsv: malformed row %q", line)
		}
		c := &sql4cdsCase{id: f[cID], direction: f[cDir], sourcePath: f[cPath], testName: f[cTest]}
		if c.xml, err = os.ReadFile(filepath.Join(dir, c.id+".xml")); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	if len(cases) != sql4cdsPairs {
		t.Errorf("index.tsv lists %d pairs, want %d (the known-failure tables are keyed by id)", len(cases), sql4cdsPairs)
	}
	return dir, cases
}

func sql4cdsCatalogs(t *testing.T, dir string) map[string]plan.Catalog {
	t.Helper()
	cats := map[string]plan.Catalog{}
	for _, s := range []string{sql4cdsEngineSchema, sql4cdsFetchXMLSchema} {
		cat, err := engine.LoadSQL4CDSMetadata(filepath.Join(dir, "test-metadata.json"), s)
		if err != nil {
			t.Fatalf("loading schema %s: %v", s, err)
		}
		cats[s] = cat
	}
	return cats
}

func sql4cdsOptions(cat plan.Catalog) plan.Options {
	return plan.Options{Catalog: cat, Now: sql4cdsNow, Zone: time.UTC, Caller: sql4cdsCaller, Fiscal: sql4cdsFiscal}
}

// sql4cdsCompile parses and plans a document.
func sql4cdsCompile(c *sql4cdsCase, cat plan.Catalog) (*plan.Plan, error) {
	q, err := fetchxml.Parse(diag.NewSource(c.id+".xml", c.xml))
	if err != nil {
		return nil, err
	}
	return plan.Build(q, sql4cdsOptions(cat))
}

// sql4cdsCompileAll parses, plans and emits in every dialect; the first
// error wins.
func sql4cdsCompileAll(c *sql4cdsCase, cat plan.Catalog) error {
	p, err := sql4cdsCompile(c, cat)
	if err != nil {
		return err
	}
	for _, d := range sqlemit.Dialects() {
		if _, err := sqlemit.Emit(p, d); err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
	}
	return nil
}

// checkKnown compares a failure (or success) with the table entry.
func checkKnown(t *testing.T, mode, id string, err error, table map[string]knownFailure) {
	t.Helper()
	kf, known := table[id]
	switch {
	case err == nil && known:
		t.Errorf("%s %s: compiles now; remove it from the known failures (%s)", mode, id, kf.reason)
	case err != nil && !known:
		t.Errorf("%s %s: %v (codes %v)", mode, id, err, diag.Codes(err))
	case err != nil:
		codes := diag.Codes(err)
		if len(codes) == 0 {
			t.Errorf("%s %s: error without a diag code: %v", mode, id, err)
		}
		for _, code := range codes {
			if code != kf.code && code != sql4cdsAlsoFails[id] {
				t.Errorf("%s %s: known failure %s now fails with %s: %v", mode, id, kf.code, code, err)
				break
			}
		}
	}
}

var (
	hierarchyOpRE     = regexp.MustCompile(`operator\s*=\s*['"](under|not-under|eq-or-under|above|eq-or-above)['"]`)
	allAttributesRE   = regexp.MustCompile(`<all-attributes\b`)
	entityNameAttrRE  = regexp.MustCompile(`<(?:entity|link-entity)\b[^>]*?\bname\s*=\s*['"]([^'"]+)['"]`)
	sql4cdsNeedReason = "hierarchy operators and all-attributes need metadata"
)

// needsMetadata tells what in a document truly needs metadata: the
// hierarchy operators it uses and whether it has all-attributes.
func needsMetadata(xml []byte) (ops []string, allAttrs bool) {
	for _, m := range hierarchyOpRE.FindAllSubmatch(xml, -1) {
		if op := string(m[1]); !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	return ops, allAttributesRE.Match(xml)
}

func TestSQL4CDSCorpusCompiles(t *testing.T) {
	dir, cases := sql4cdsCorpus(t)
	cats := sql4cdsCatalogs(t, dir)

	typedOK := 0
	for _, c := range cases {
		err := sql4cdsCompileAll(c, cats[c.schema()])
		if err == nil {
			typedOK++
		}
		checkKnown(t, "typed", c.id, err, sql4cdsTypedFailures)
	}
	t.Logf("SQL4CDS corpus: %d/%d compile with metadata", typedOK, len(cases))

	untypedOK, needMeta := 0, 0
	for _, c := range cases {
		err := sql4cdsCompileAll(c, plan.Untyped{})
		ops, allAttrs := needsMetadata(c.xml)
		if len(ops) == 0 && !allAttrs {
			if err == nil {
				untypedOK++
			}
			checkKnown(t, "untyped", c.id, err, sql4cdsUntypedFailures)
			continue
		}
		if kf, ok := sql4cdsUntypedFailures[c.id]; ok {
			t.Errorf("untyped %s: listed as a known failure (%s) but %s", c.id, kf.reason, sql4cdsNeedReason)
		}
		if err == nil {
			t.Errorf("untyped %s: compiles without metadata although it uses %v (all-attributes: %v)", c.id, ops, allAttrs)
			continue
		}
		needMeta++
		var list diag.ErrorList
		if !errors.As(err, &list) {
			t.Errorf("untyped %s: not a diag error list: %v", c.id, err)
			continue
		}
		var msgs []string
		for _, e := range list {
			if e.Code != diag.MissingMetadata {
				t.Errorf("untyped %s: %s, want %s: %v", c.id, e.Code, diag.MissingMetadata, e)
			}
			msgs = append(msgs, e.Msg)
		}
		all := strings.Join(msgs, "\n")
		for _, op := range ops {
			if !regexp.MustCompile(`\b`+regexp.QuoteMeta(op)+`\b`).MatchString(all) || !strings.Contains(all, "hierarch") {
				t.Errorf("untyped %s: the error does not name operator %s and the missing hierarchical relationship: %q", c.id, op, all)
			}
		}
		if allAttrs {
			if !strings.Contains(all, "all-attributes") {
				t.Errorf("untyped %s: the error does not name all-attributes: %q", c.id, all)
			}
			named := false
			for _, m := range entityNameAttrRE.FindAllSubmatch(c.xml, -1) {
				if strings.Contains(all, fmt.Sprintf("%q", string(m[1]))) {
					named = true
				}
			}
			if !named {
				t.Errorf("untyped %s: the all-attributes error names no table of the query: %q", c.id, all)
			}
		}
	}
	t.Logf("SQL4CDS corpus untyped: %d compile, %d need metadata", untypedOK, needMeta)

	for _, table := range []map[string]knownFailure{sql4cdsTypedFailures, sql4cdsUntypedFailures} {
		for id := range table {
			if !slices.ContainsFunc(cases, func(c *sql4cdsCase) bool { return c.id == id }) {
				t.Errorf("known failure %s is not in the corpus", id)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Meaning: execution on SQLite.

// sql4cdsMeaningSkips are fetchxml2sql pairs whose expected SQL cannot be
// compared on SQLite, or whose FetchXML does not compile.
var sql4cdsMeaningSkips = map[string]string{
	"009": "ORDER BY new_optionsetvaluename sorts by the choice label, which the FetchXml.Tests schema does not give us",
	"016": "expected SQL calls the pseudo-function lastxdays(2), which exists in no database",
	"035": "expected SQL uses CROSS APPLY (SELECT TOP 1 …), which SQLite does not have",
	"026": reasonArchive,
	"027": reasonArchive,
}

// sql4cdsMeaningUntyped are pairs whose FetchXML uses columns the
// FetchXml.Tests schema lacks (see sql4cdsTypedFailures): their meaning is
// checked in untyped mode, against the columns the SQLite schema adds.
var sql4cdsMeaningUntyped = map[string]bool{
	"024": true, "025": true, "033": true, "034": true, "037": true,
	"038": true, "039": true, "040": true, "041": true, "042": true,
}

// sql4cdsDeviations: pairs where our results differ from SQL 4 CDS's on
// purpose. The SQL is the current Microsoft Learn semantics, written
// independently of our emitter (by counting); our rows must equal its rows
// and differ from SQL 4 CDS's.
var sql4cdsDeviations = map[string]struct{ reason, learnSQL string }{
	"030": {
		reason: "not-under: Learn (query hierarchical data) and spec §2.1 say records not below the referenced one, so the record itself is returned; SQL 4 CDS negates eq-or-under and drops it",
		learnSQL: `WITH RECURSIVE below(id) AS (
				SELECT accountid FROM account WHERE parentaccountid = '` + sql4cdsHierarchyID + `'
				UNION ALL
				SELECT a.accountid FROM account a JOIN below b ON a.parentaccountid = b.id)
			SELECT accountid FROM account WHERE accountid NOT IN (SELECT id FROM below)`,
	},
	"041": {
		reason: "link-type 'not all': Learn says some related row fails the filter; SQL 4 CDS (older wording) returns contacts with a related row that matches",
		learnSQL: `SELECT c.fullname FROM contact c WHERE
			(SELECT COUNT(*) FROM account a WHERE a.primarycontactid = c.contactid) <>
			(SELECT COUNT(*) FROM account a WHERE a.primarycontactid = c.contactid AND a.name = 'Contoso')`,
	},
	"042": {
		reason: "link-type 'all': Learn says no related row fails the filter (vacuously true without related rows); SQL 4 CDS (older wording) requires related rows of which none matches",
		learnSQL: `SELECT c.fullname FROM contact c WHERE
			(SELECT COUNT(*) FROM account a WHERE a.primarycontactid = c.contactid) =
			(SELECT COUNT(*) FROM account a WHERE a.primarycontactid = c.contactid AND a.name = 'Contoso')`,
	},
}

// sql4cdsParams binds the @names of expected SQL (index.tsv notes).
var sql4cdsParams = map[string]any{"firstname": "Mark"}

// The dataset. Text columns are COLLATE NOCASE so that = and ORDER BY
// behave like SQL Server's default case-insensitive collation.
const sql4cdsSchemaSQL = `
CREATE TABLE account (
	accountid TEXT COLLATE NOCASE PRIMARY KEY,
	name TEXT COLLATE NOCASE,
	createdon TEXT COLLATE NOCASE,
	primarycontactid TEXT COLLATE NOCASE,
	parentaccountid TEXT COLLATE NOCASE,
	versionnumber INTEGER,
	ownerid TEXT COLLATE NOCASE,
	statecode INTEGER
);
CREATE TABLE contact (
	contactid TEXT COLLATE NOCASE PRIMARY KEY,
	firstname TEXT COLLATE NOCASE,
	lastname TEXT COLLATE NOCASE,
	parentcustomerid TEXT COLLATE NOCASE,
	createdon TEXT COLLATE NOCASE,
	versionnumber INTEGER,
	fullname TEXT COLLATE NOCASE,
	statecode INTEGER
);
CREATE TABLE new_customentity (
	new_customentityid TEXT COLLATE NOCASE PRIMARY KEY,
	new_name TEXT COLLATE NOCASE,
	new_parentid TEXT COLLATE NOCASE,
	new_optionsetvalue INTEGER,
	new_optionsetvaluename TEXT COLLATE NOCASE,
	versionnumber INTEGER
);`

// sql4cdsHierarchyID is the account the hierarchy pairs (028–032) ask about.
const sql4cdsHierarchyID = "e2218046-f778-42f6-a8a7-772d0653349b"

func sql4cdsGUID(table, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", table, i) }

func sql4cdsTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// sql4cdsData returns the INSERT rows of every table, deterministically.
func sql4cdsData() map[string][][]any {
	now := sql4cdsNow
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	acc := func(i int) string { return sql4cdsGUID(0xacc0, i) }
	con := func(i int) string { return sql4cdsGUID(0xc0c0, i) }
	ent := func(i int) string { return sql4cdsGUID(0xe0e0, i) }
	null := any(nil)
	otherOwner := sql4cdsGUID(0x5050, 1)

	// Instants around now, including the bounds of last-x-days(2)
	// [today-2d, now) and next-x-years(2) [now, today+1d+2y).
	instants := []time.Time{
		today.AddDate(0, 0, -2), today.AddDate(0, 0, -2).Add(-time.Second), now, now.Add(-time.Second),
		now.Add(time.Second), today.AddDate(2, 0, 1), today.AddDate(2, 0, 1).Add(-time.Second),
		today, today.Add(-time.Hour), now.AddDate(0, 0, -1), now.AddDate(0, 0, -3), now.AddDate(0, -2, 0),
		now.AddDate(1, 0, 0), now.AddDate(3, 0, 0), now.AddDate(-1, 0, 0), now.Add(48 * time.Hour),
	}
	created := func(i int) any {
		if i%11 == 10 {
			return nil
		}
		return sql4cdsTime(instants[i%len(instants)])
	}

	// Accounts. 1..7 form the hierarchies; the rest vary names, owners,
	// states and primary contacts.
	var accounts [][]any
	add := func(id string, name any, parent any, primary any, owner any, state int, i int) {
		accounts = append(accounts, []any{id, name, created(i), primary, parent, int64(i), owner, int64(state)})
	}
	add(acc(1), "Data8", null, con(1), sql4cdsCaller.UserID, 0, 1)                   // top
	add(sql4cdsHierarchyID, "data8", acc(1), con(1), otherOwner, 1, 2)               // the asked-about account
	add(acc(2), "Microsoft", sql4cdsHierarchyID, con(3), sql4cdsCaller.UserID, 0, 3) // children
	add(acc(3), "Contoso", sql4cdsHierarchyID, con(2), otherOwner, 1, 4)
	add(acc(4), "contoso", acc(2), con(2), null, 0, 5) // grandchildren
	add(acc(5), null, acc(3), con(5), sql4cdsCaller.UserID, 1, 6)
	add(acc(6), "Fabrikam", null, null, otherOwner, 0, 7) // a second hierarchy
	add(acc(7), "Contoso", acc(6), con(6), sql4cdsCaller.UserID, 0, 8)
	add(acc(8), "CONTOSO", acc(6), con(6), otherOwner, 1, 9)
	add(acc(9), "Contoso", null, con(7), otherOwner, 1, 10)
	add(acc(10), "Microsoft", null, con(7), sql4cdsCaller.UserID, 0, 11)
	add(acc(11), "Microsoft", null, con(8), otherOwner, 0, 12)
	add(acc(12), null, null, con(9), sql4cdsCaller.UserID, 1, 13)
	names := []any{"data8", "Data8", "Microsoft", "Contoso", "contoso", "Fabrikam", nil, "Twain Inc", "Mark Carrington", "DATA8"}
	for i := 13; i <= 45; i++ {
		var parent, primary, owner any
		if i%4 == 0 {
			parent = acc(i - 3)
		}
		if i%3 != 0 {
			primary = con(10 + (i*7)%30)
		}
		switch i % 3 {
		case 0:
			owner = sql4cdsCaller.UserID
		case 1:
			owner = otherOwner
		}
		add(acc(i), names[i%len(names)], parent, primary, owner, i%2, i)
	}

	// Contacts: firstname and lastname cycle with coprime periods so every
	// combination (with case variants and NULLs) occurs.
	firsts := []any{"Mark", "mark", "MARK", "Jane", nil, "Twain", "Smith"}
	lasts := []any{"Carrington", "Twain", "twain", nil, "smith", "carrington"}
	var contacts [][]any
	for i := 1; i <= 50; i++ {
		first, last := firsts[i%len(firsts)], lasts[i%len(lasts)]
		var full any
		if first != nil && last != nil {
			full = first.(string) + " " + last.(string)
		} else if first != nil {
			full = first
		}
		var parent any
		switch i % 6 {
		case 1:
			parent = acc(1 + i%12)
		case 2:
			parent = con(1 + (i*3)%50) // customers can be contacts
		case 3:
			parent = sql4cdsHierarchyID
		case 4:
			parent = acc(13 + i%30)
		case 5:
			if i%4 == 1 {
				parent = sql4cdsCaller.BusinessUnitID // eq-businessid (pair 023)
			}
		}
		contacts = append(contacts, []any{con(i), first, last, parent, created(i + 3), int64(i), full, int64(i % 2)})
	}
	// Contacts whose full name equals their parent account's name (pair
	// 037), in another case, and one that differs.
	contacts = append(contacts,
		[]any{con(51), "Data", "8", sql4cdsHierarchyID, created(5), int64(51), "DATA8", int64(0)},
		[]any{con(52), "Micro", "Soft", acc(2), created(6), int64(52), "microsoft", int64(1)},
		[]any{con(53), "Con", "Toso", acc(2), created(7), int64(53), "Contoso", int64(0)},
	)

	var entities [][]any
	labels := []any{nil, "Value1", "Value2", "Value3"}
	for i := 1; i <= 30; i++ {
		var parent, value any
		if i%5 != 0 {
			parent = ent(1 + (i*3)%30)
		}
		if i%4 != 0 {
			value = int64(i % 4)
		}
		entities = append(entities, []any{ent(i), fmt.Sprintf("Entity %02d", (i*7)%30), parent, value, labels[i%4], int64(i)})
	}
	return map[string][][]any{"account": accounts, "contact": contacts, "new_customentity": entities}
}

func sql4cdsLoad(t *testing.T, ctx context.Context, db *sql.DB) {
	t.Helper()
	if _, err := db.ExecContext(ctx, sql4cdsSchemaSQL); err != nil {
		t.Fatal(err)
	}
	data := sql4cdsData()
	for _, table := range []string{"account", "contact", "new_customentity"} {
		rows := data[table]
		ph := strings.TrimSuffix(strings.Repeat("?,", len(rows[0])), ",")
		for _, r := range rows {
			if _, err := db.ExecContext(ctx, "INSERT INTO "+table+" VALUES ("+ph+")", r...); err != nil {
				t.Fatalf("%s %v: %v", table, r, err)
			}
		}
	}
}

// Result rows as strings, so that they compare as multisets.
type sql4cdsRows struct {
	cols []string
	rows [][]string
}

func sql4cdsQuery(ctx context.Context, db *sql.DB, query string, args ...any) (*sql4cdsRows, error) {
	rs, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	out := &sql4cdsRows{cols: cols}
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				row[i] = "NULL"
			case []byte:
				row[i] = "'" + string(x) + "'"
			case string:
				row[i] = "'" + x + "'"
			case int64:
				row[i] = strconv.FormatInt(x, 10)
			case float64:
				row[i] = strconv.FormatFloat(x, 'g', -1, 64)
			default:
				row[i] = fmt.Sprint(x)
			}
		}
		out.rows = append(out.rows, row)
	}
	return out, rs.Err()
}

// project keeps the given columns of every row.
func (r *sql4cdsRows) project(idx []int) [][]string {
	out := make([][]string, len(r.rows))
	for i, row := range r.rows {
		p := make([]string, len(idx))
		for j, k := range idx {
			p[j] = row[k]
		}
		out[i] = p
	}
	return out
}

func sql4cdsRowKeys(rows [][]string) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = strings.Join(r, " | ")
	}
	return keys
}

// multisetDiff returns the rows of a missing from b and of b missing from a.
func multisetDiff(a, b [][]string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, k := range sql4cdsRowKeys(a) {
		count[k]++
	}
	for _, k := range sql4cdsRowKeys(b) {
		count[k]--
	}
	for k, n := range count {
		for ; n > 0; n-- {
			onlyA = append(onlyA, k)
		}
		for ; n < 0; n++ {
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return onlyA, onlyB
}

// ---------------------------------------------------------------------------
// Reading and adapting the expected T-SQL.

// sql4cdsTSQL is the shape of an expected statement that the comparison
// needs: its main SELECT list, ORDER BY and TOP.
type sql4cdsTSQL struct {
	star    bool
	items   []string // select-list expressions (aliases removed)
	orderBy []sql4cdsOrder
	top     int
}

type sql4cdsOrder struct {
	expr string
	desc bool
}

// depth0 lists the offsets of the keyword (case-insensitive, whole word)
// outside parentheses and quotes.
func depth0(s, kw string) []int {
	var out []int
	depth, quoted := 0, false
	up, kwu := strings.ToUpper(s), strings.ToUpper(kw)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(up[i:], kwu):
			before := i == 0 || !isWordByte(s[i-1])
			after := i+len(kw) == len(s) || !isWordByte(s[i+len(kw)])
			if before && after {
				out = append(out, i)
			}
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '@' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// splitDepth0 splits on commas outside parentheses and quotes.
func splitDepth0(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

var (
	sql4cdsTopRE   = regexp.MustCompile(`(?i)^TOP\s+(\d+)\s+`)
	sql4cdsAliasRE = regexp.MustCompile(`(?i)\s+AS\s+\w+$`)
	sql4cdsDirRE   = regexp.MustCompile(`(?i)\s+(ASC|DESC)$`)
)

func parseTSQL(s string) (*sql4cdsTSQL, error) {
	sel := depth0(s, "SELECT")
	from := depth0(s, "FROM")
	if len(sel) != 1 || len(from) == 0 || from[0] < sel[0] {
		return nil, fmt.Errorf("cannot find the main SELECT … FROM")
	}
	list := strings.TrimSpace(s[sel[0]+len("SELECT") : from[0]])
	out := &sql4cdsTSQL{}
	if l, ok := cutPrefixFold(list, "DISTINCT "); ok {
		list = strings.TrimSpace(l)
	}
	if m := sql4cdsTopRE.FindStringSubmatch(list); m != nil {
		out.top, _ = strconv.Atoi(m[1])
		list = list[len(m[0]):]
	}
	if list == "*" {
		out.star = true
	} else {
		for _, it := range splitDepth0(list) {
			out.items = append(out.items, sql4cdsAliasRE.ReplaceAllString(it, ""))
		}
	}
	if ob := depth0(s, "ORDER BY"); len(ob) > 0 {
		for _, it := range splitDepth0(s[ob[0]+len("ORDER BY"):]) {
			o := sql4cdsOrder{expr: it}
			if m := sql4cdsDirRE.FindStringSubmatch(it); m != nil {
				o.desc = strings.EqualFold(m[1], "DESC")
				o.expr = strings.TrimSpace(it[:len(it)-len(m[0])])
			}
			out.orderBy = append(out.orderBy, o)
		}
	}
	return out, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

var (
	sql4cdsDateRE  = regexp.MustCompile(`\{DateTime\.(Now|Today)((?:\.Add(?:Years|Months|Days|Hours|Minutes|Seconds)\(-?\d+\))*):s\}`)
	sql4cdsAddRE   = regexp.MustCompile(`\.Add(Years|Months|Days|Hours|Minutes|Seconds)\((-?\d+)\)`)
	sql4cdsNoLock  = regexp.MustCompile(`(?i)\s+WITH\s*\(\s*NOLOCK\s*\)`)
	sql4cdsArchive = regexp.MustCompile(`(?i)\barchive\.`)
	sql4cdsUser    = regexp.MustCompile(`\bCURRENT_USER\b`)
	sql4cdsTopSel  = regexp.MustCompile(`(?i)\bSELECT\s+TOP\s+(\d+)\s+`)
	sql4cdsParamRE = regexp.MustCompile(`@(\w+)`)
)

// adaptTSQL rewrites expected T-SQL mechanically for SQLite and returns
// the named arguments it needs.
func adaptTSQL(s string) (string, []any, error) {
	s = sql4cdsNoLock.ReplaceAllString(s, "")
	s = sql4cdsArchive.ReplaceAllString(s, "")
	s = sql4cdsUser.ReplaceAllString(s, "'"+sql4cdsCaller.UserID+"'")
	s = strings.ReplaceAll(s, "{WhoAmIHandler.BusinessUnitId:D}", sql4cdsCaller.BusinessUnitID)
	var bad error
	s = sql4cdsDateRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := sql4cdsDateRE.FindStringSubmatch(m)
		t := sql4cdsNow
		if sub[1] == "Today" {
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
		for _, a := range sql4cdsAddRE.FindAllStringSubmatch(sub[2], -1) {
			n, _ := strconv.Atoi(a[2])
			switch a[1] {
			case "Years":
				t = t.AddDate(n, 0, 0)
			case "Months":
				t = t.AddDate(0, n, 0)
			case "Days":
				t = t.AddDate(0, 0, n)
			case "Hours":
				t = t.Add(time.Duration(n) * time.Hour)
			case "Minutes":
				t = t.Add(time.Duration(n) * time.Minute)
			case "Seconds":
				t = t.Add(time.Duration(n) * time.Second)
			}
		}
		return sql4cdsTime(t)
	})
	if strings.Contains(s, "{") {
		return "", nil, fmt.Errorf("unresolved placeholder in %q", s)
	}
	if m := sql4cdsTopSel.FindStringSubmatchIndex(s); m != nil {
		n := s[m[2]:m[3]]
		s = s[:m[0]] + "SELECT " + s[m[1]:] + " LIMIT " + n
	}
	var args []any
	for _, m := range sql4cdsParamRE.FindAllStringSubmatch(s, -1) {
		v, ok := sql4cdsParams[m[1]]
		if !ok {
			bad = fmt.Errorf("no value for parameter @%s", m[1])
			continue
		}
		if !slices.ContainsFunc(args, func(a any) bool { return a.(sql.NamedArg).Name == m[1] }) {
			args = append(args, sql.Named(m[1], v))
		}
	}
	return s, args, bad
}

// unqualified strips a table qualifier.
func unqualified(expr string) string {
	if i := strings.LastIndexByte(expr, '.'); i >= 0 {
		return expr[i+1:]
	}
	return expr
}

func TestSQL4CDSCorpusMeaning(t *testing.T) {
	dir, cases := sql4cdsCorpus(t)
	cats := sql4cdsCatalogs(t, dir)
	ctx := context.Background()
	edb, err := engine.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer edb.Close()
	db := edb.SQL
	sql4cdsLoad(t, ctx, db)
	sqlite, ok := sqlemit.DialectByName("sqlite")
	if !ok {
		t.Fatal("no sqlite dialect")
	}

	var pairs []*sql4cdsCase
	for _, c := range cases {
		if c.direction == "fetchxml2sql" {
			if c.schema() != sql4cdsFetchXMLSchema {
				t.Errorf("%s: fetchxml2sql pair outside %s", c.id, sql4cdsFetchXMLSchema)
			}
			pairs = append(pairs, c)
		}
	}
	if len(pairs) != sql4cdsFetchXML2SQL {
		t.Errorf("%d fetchxml2sql pairs, want %d", len(pairs), sql4cdsFetchXML2SQL)
	}

	equal, skipped, deviations := 0, 0, 0
	for _, c := range pairs {
		if reason, ok := sql4cdsMeaningSkips[c.id]; ok {
			skipped++
			t.Logf("%s %s: skipped: %s", c.id, c.testName, reason)
			continue
		}
		expected, err := os.ReadFile(filepath.Join(dir, c.id+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		theirSQL := strings.TrimSpace(string(expected))

		// Ours.
		cat := cats[c.schema()]
		if sql4cdsMeaningUntyped[c.id] {
			cat = plan.Untyped{}
		}
		p, err := sql4cdsCompile(c, cat)
		if err != nil {
			t.Errorf("%s %s: %v", c.id, c.testName, err)
			continue
		}
		st, err := sqlemit.Emit(p, sqlite)
		if err != nil {
			t.Errorf("%s %s: emit: %v", c.id, c.testName, err)
			continue
		}
		ours, err := sql4cdsQuery(ctx, db, st.SQL, st.Args...)
		if err != nil {
			t.Errorf("%s %s: our SQL fails: %v\n%s", c.id, c.testName, err, st.SQL)
			continue
		}

		// Theirs.
		shape, err := parseTSQL(theirSQL)
		if err != nil {
			t.Errorf("%s: %v:\n%s", c.id, err, theirSQL)
			continue
		}
		adapted, args, err := adaptTSQL(theirSQL)
		if err != nil {
			t.Errorf("%s: %v", c.id, err)
			continue
		}
		theirs, err := sql4cdsQuery(ctx, db, adapted, args...)
		if err != nil {
			t.Errorf("%s %s: expected SQL fails on SQLite: %v\n%s", c.id, c.testName, err, adapted)
			continue
		}

		// Columns to compare: theirs by position against our first ones;
		// SELECT * compares the root primary key only.
		var ourIdx, theirIdx []int
		if shape.star {
			pk := p.Root.Table.PrimaryKey
			for i, oc := range st.Columns {
				if oc.Source == p.Root && oc.Column != nil && strings.EqualFold(oc.Column.LogicalName, pk) {
					ourIdx = []int{i}
					break
				}
			}
			if j := slices.IndexFunc(theirs.cols, func(s string) bool { return strings.EqualFold(s, pk) }); j >= 0 {
				theirIdx = []int{j}
			}
			if len(ourIdx) == 0 || len(theirIdx) == 0 {
				t.Errorf("%s: SELECT *: primary key %s missing (ours %v, theirs %v)", c.id, pk, ourIdx, theirs.cols)
				continue
			}
		} else {
			if len(st.Columns) < len(theirs.cols) {
				t.Errorf("%s: we return %d columns, their SQL %d", c.id, len(st.Columns), len(theirs.cols))
				continue
			}
			for i := range theirs.cols {
				ourIdx = append(ourIdx, i)
				theirIdx = append(theirIdx, i)
			}
		}
		o, th := ours.project(ourIdx), theirs.project(theirIdx)
		if len(th) == 0 {
			t.Errorf("%s %s: their SQL returns no rows; the dataset does not exercise this pair", c.id, c.testName)
		}

		if dev, ok := sql4cdsDeviations[c.id]; ok {
			deviations++
			learn, err := sql4cdsQuery(ctx, db, dev.learnSQL)
			if err != nil {
				t.Fatalf("%s: the Learn-semantics query fails: %v", c.id, err)
			}
			if a, b := multisetDiff(o, learn.rows); len(a)+len(b) > 0 {
				t.Errorf("%s %s: our rows differ from the current Learn semantics (%s)\nonly ours: %q\nonly Learn: %q", c.id, c.testName, dev.reason, a, b)
			}
			if a, b := multisetDiff(o, th); len(a)+len(b) == 0 {
				t.Errorf("%s %s: our rows equal SQL 4 CDS's; the dataset no longer tells the two semantics apart (%s)", c.id, c.testName, dev.reason)
			}
			t.Logf("%s %s: documented deviation: %s (ours %d rows = Learn %d rows, SQL 4 CDS %d rows)", c.id, c.testName, dev.reason, len(o), len(learn.rows), len(th))
			continue
		}

		ok := true
		if shape.top > 0 && len(shape.orderBy) == 0 {
			// TOP without ORDER BY returns any n rows: compare the count,
			// and check that ours are among the rows without the limit.
			all, err := sql4cdsQuery(ctx, db, strings.TrimSuffix(adapted, fmt.Sprintf(" LIMIT %d", shape.top)), args...)
			if err != nil {
				t.Fatal(err)
			}
			if len(o) != len(th) {
				t.Errorf("%s %s: %d rows, their SQL %d", c.id, c.testName, len(o), len(th))
				ok = false
			}
			if a, _ := multisetDiff(o, all.project(theirIdx)); len(a) > 0 {
				t.Errorf("%s %s: rows their query cannot return: %q", c.id, c.testName, a)
				ok = false
			}
		} else if a, b := multisetDiff(o, th); len(a)+len(b) > 0 {
			t.Errorf("%s %s: rows differ\nour SQL:   %s %v\ntheir SQL: %s\nonly ours:   %q\nonly theirs: %q", c.id, c.testName, st.SQL, st.Args, adapted, a, b)
			ok = false
		}
		if ok && len(shape.orderBy) > 0 {
			ok = sql4cdsCheckOrder(t, c, shape, o, th)
		}
		if ok {
			equal++
		}
	}
	isPair := func(id string) bool {
		return slices.ContainsFunc(pairs, func(c *sql4cdsCase) bool { return c.id == id })
	}
	for id := range sql4cdsMeaningSkips {
		if !isPair(id) {
			t.Errorf("skip entry %s is not a fetchxml2sql pair", id)
		}
	}
	for id := range sql4cdsDeviations {
		if _, skip := sql4cdsMeaningSkips[id]; skip || !isPair(id) {
			t.Errorf("deviation %s must be a fetchxml2sql pair that is not skipped", id)
		}
	}
	for id := range sql4cdsMeaningUntyped {
		if kf := sql4cdsTypedFailures[id]; kf.code != diag.UnknownColumn || !isPair(id) {
			t.Errorf("%s runs untyped, but it is not a fetchxml2sql pair that fails typed for an absent column", id)
		}
	}
	t.Logf("SQL4CDS meaning: %d/%d equal, %d skipped, %d documented deviations", equal, len(pairs), skipped, deviations)
}

// sql4cdsCheckOrder checks row order where their SQL fixes one: the
// sequence of sort keys (case-insensitive, like SQL Server's collation)
// must be the same; when the keys are unique, the rows must come in the
// same order. Sort keys not in the select list cannot be checked.
func sql4cdsCheckOrder(t *testing.T, c *sql4cdsCase, shape *sql4cdsTSQL, ours, theirs [][]string) bool {
	t.Helper()
	var keyIdx []int
	for _, ob := range shape.orderBy {
		j := slices.IndexFunc(shape.items, func(it string) bool { return strings.EqualFold(it, ob.expr) })
		if j < 0 {
			j = slices.IndexFunc(shape.items, func(it string) bool { return strings.EqualFold(unqualified(it), unqualified(ob.expr)) })
		}
		if j < 0 {
			t.Logf("%s %s: sort key %s is not selected; order not compared", c.id, c.testName, ob.expr)
			return true
		}
		keyIdx = append(keyIdx, j)
	}
	keys := func(rows [][]string) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			parts := make([]string, len(keyIdx))
			for k, j := range keyIdx {
				parts[k] = strings.ToLower(r[j])
			}
			out[i] = strings.Join(parts, " | ")
		}
		return out
	}
	ourKeys, tk := keys(ours), keys(theirs)
	if !slices.Equal(ourKeys, tk) {
		t.Errorf("%s %s: sort keys come in another order\nours:   %q\ntheirs: %q", c.id, c.testName, ourKeys, tk)
		return false
	}
	unique := map[string]bool{}
	for _, k := range tk {
		unique[k] = true
	}
	if len(unique) == len(tk) && !slices.Equal(sql4cdsRowKeys(ours), sql4cdsRowKeys(theirs)) {
		t.Errorf("%s %s: unique order, yet rows come in another order", c.id, c.testName)
		return false
	}
	return true
}
