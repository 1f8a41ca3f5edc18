package vecompile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/diag"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// QueryFile is one query to advise indexes for: FetchXML, QueryExpression
// JSON, or (OData) a request line.
type QueryFile struct {
	Name  string
	Text  []byte
	OData bool
}

// ReadQueryFiles reads queries from files and directories (not
// recursively): *.xml is FetchXML, *.json QueryExpression JSON, and each
// non-blank line of *.odata that is not a # comment an OData request
// ("accounts?$orderby=name"). Files are read in name order; a named file
// is read whatever its extension (FetchXML or JSON by its content).
func ReadQueryFiles(paths []string) ([]QueryFile, error) {
	var out []QueryFile
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "%v", err)}.Err()
		}
		names := []string{p}
		if st.IsDir() {
			names = nil
			ents, err := os.ReadDir(p)
			if err != nil {
				return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "%v", err)}.Err()
			}
			for _, e := range ents {
				switch filepath.Ext(e.Name()) {
				case ".xml", ".json", ".odata":
					if !e.IsDir() {
						names = append(names, filepath.Join(p, e.Name()))
					}
				}
			}
			slices.Sort(names)
		}
		for _, n := range names {
			text, err := os.ReadFile(n)
			if err != nil {
				return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "%v", err)}.Err()
			}
			if filepath.Ext(n) != ".odata" {
				out = append(out, QueryFile{Name: n, Text: text})
				continue
			}
			sc := bufio.NewScanner(bytes.NewReader(text))
			sc.Buffer(nil, 1<<20)
			for line := 1; sc.Scan(); line++ {
				req := strings.TrimSpace(sc.Text())
				if req == "" || strings.HasPrefix(req, "#") {
					continue
				}
				out = append(out, QueryFile{Name: n + ":" + strconv.Itoa(line), Text: []byte(req), OData: true})
			}
		}
	}
	if len(out) == 0 {
		return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.NoQueries, "no query to advise indexes for: give FetchXML (.xml), QueryExpression (.json) or OData (.odata, one request a line) files or directories")}.Err()
	}
	return out, nil
}

// IndexAdvice is one index of a dialect and the queries that can use it.
type IndexAdvice struct {
	Dialect string
	Index   sql.Index
	SQL     string // its CREATE INDEX statement
	Queries []string
}

// AdviseIndexes plans each query against the compiler's metadata and
// lists, per dialect, the indexes its emitted SQL can use (sql.Indexes),
// each once, with the queries that need it; an index whose keys begin
// another's (same table, same leading keys) is left out for the longer
// one, which serves both. A query that does not compile is an error naming
// it.
func (c *Compiler) AdviseIndexes(queries []QueryFile, dialects []string) ([]IndexAdvice, error) {
	return c.AdviseIndexesWith(queries, dialects, AdviseOptions{})
}

// AdviseOptions choose what AdviseIndexesWith advises beyond
// AdviseIndexes.
type AdviseOptions struct {
	// Covering gives each ordered or filtered index of a query's root
	// table, in a dialect with INCLUDE (PostgreSQL, SQL Server), the
	// columns its queries read (sql.CoveringColumns): a page is then read
	// from the index alone, its accent-folded sort keys too, which
	// PostgreSQL otherwise computes again for every row it returns.
	Covering bool
}

// AdviseIndexesWith is AdviseIndexes with options.
func (c *Compiler) AdviseIndexesWith(queries []QueryFile, dialects []string, opts AdviseOptions) ([]IndexAdvice, error) {
	var out []IndexAdvice
	for _, name := range dialects {
		d, ok := sql.DialectByName(name)
		if !ok {
			return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "unknown dialect %q: use postgres, sqlite, mysql or sqlserver", name)}.Err()
		}
		byKey := map[string]int{}
		var list []IndexAdvice
		for _, q := range queries {
			named, err := c.adviseQueries(q)
			if err != nil {
				return nil, err
			}
			for _, nq := range named {
				p, err := c.Plan(nq.query)
				if err != nil {
					return nil, err
				}
				ixs, err := sql.Indexes(p, d)
				if err != nil {
					return nil, err
				}
				for _, ix := range ixs {
					var include []string
					if opts.Covering {
						include = sql.CoveringColumns(p, d, ix)
						if q.OData && len(include) > 0 {
							include = union(include, serverVersion(p, d))
						}
					}
					k := ix.Key()
					if i, ok := byKey[k]; ok {
						if !slices.Contains(list[i].Queries, nq.name) {
							list[i].Queries = append(list[i].Queries, nq.name)
						}
						list[i].Index.Include = union(list[i].Index.Include, include)
						continue
					}
					byKey[k] = len(list)
					ix.Include = include
					list = append(list, IndexAdvice{Dialect: d.Name(), Index: ix, Queries: []string{nq.name}})
				}
			}
		}
		kept := coverPrefixes(list)
		for i := range kept {
			kept[i].SQL = kept[i].Index.CreateSQL(d)
		}
		out = append(out, kept...)
	}
	return out, nil
}

// serverVersion is the root's row version column (quoted), which the
// server reads with every OData row for its ETag: an index covering the
// server's pages includes it.
func serverVersion(p *plan.Plan, d sql.Dialect) []string {
	if c, ok := p.Root.Table.Column(plan.VersionColumn); ok && c.Type.Kind() == plan.KInt {
		if name, ok := sql.CoveringColumn(d, c); ok {
			return []string{name}
		}
	}
	return nil
}

// union is a with b's strings it lacks appended.
func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

type namedQuery struct {
	name  string
	query *ast.Query
}

// adviseQueries are the queries q runs: itself, and for an OData request
// one more per collection-valued $expand (nested ones too), the related
// rows' query the server runs for a page of parents (the foreign key IN
// the parents' keys, the nested order, the key last: its index is the one
// the per-parent seek of $top uses), named "q $expand=nav/nav".
func (c *Compiler) adviseQueries(q QueryFile) ([]namedQuery, error) {
	if !q.OData {
		parsed, err := c.Parse(q.Name, q.Text)
		if err != nil {
			return nil, err
		}
		return []namedQuery{{q.Name, parsed}}, nil
	}
	x, err := odataparse.ParseExpansion(diag.NewSource("odata", q.Text), ODataSchema(c.catalog), odataparse.Options{NullInclusive: plan.NullInclusive})
	if err != nil {
		return nil, err
	}
	out := []namedQuery{{q.Name, x.Query}}
	// One key stands for a page of parents: the plan, not the values,
	// decides the index.
	key := []*ast.Value{{Text: "00000000-0000-0000-0000-000000000000", Kind: ast.KindText}}
	var walk func(lv *odataparse.ExpandLevel, path string) error
	walk = func(lv *odataparse.ExpandLevel, path string) error {
		for _, s := range lv.Single {
			if err := walk(s.Level, path); err != nil {
				return err
			}
		}
		for _, m := range lv.Many {
			name := path + m.Property
			rq, err := m.Related(key)
			if err != nil {
				return err
			}
			out = append(out, namedQuery{q.Name + " $expand=" + name, rq})
			sub, err := m.Lower()
			if err != nil {
				return err
			}
			if err := walk(sub.Level, name+"/"); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(x.Level, ""); err != nil {
		return nil, err
	}
	return out, nil
}

// coverPrefixes drops an index whose keys are the leading keys of another
// on the same table, adding its queries to the longer one.
func coverPrefixes(list []IndexAdvice) []IndexAdvice {
	var kept []IndexAdvice
	for i, a := range list {
		covered := -1
		for j, b := range list {
			if i != j && a.Index.Table == b.Index.Table && len(a.Index.Keys) < len(b.Index.Keys) && slices.Equal(a.Index.Keys, b.Index.Keys[:len(a.Index.Keys)]) {
				covered = j
				break
			}
		}
		if covered < 0 {
			kept = append(kept, a)
			continue
		}
		for _, q := range a.Queries {
			if !slices.Contains(list[covered].Queries, q) {
				list[covered].Queries = append(list[covered].Queries, q)
			}
		}
		list[covered].Index.Include = union(list[covered].Index.Include, a.Index.Include)
	}
	// kept holds copies made before later additions: refresh them.
	for i := range kept {
		for _, b := range list {
			if b.Index.Key() == kept[i].Index.Key() {
				kept[i].Queries = b.Queries
				kept[i].Index.Include = b.Index.Include
			}
		}
	}
	return kept
}

// WriteIndexAdvice prints the advice: per dialect, each CREATE INDEX
// statement after comments naming what it serves and the queries that
// need it.
func WriteIndexAdvice(w io.Writer, advice []IndexAdvice) error {
	if len(advice) == 0 {
		// Said, not left blank: an empty output reads as a failure.
		_, err := fmt.Fprintln(w, "-- no index to create: the queries read their tables by primary key (whose own index serves them) or by nothing an index serves")
		return err
	}
	dialect := ""
	for _, a := range advice {
		if a.Dialect != dialect {
			if dialect != "" {
				fmt.Fprintln(w)
			}
			dialect = a.Dialect
			fmt.Fprintf(w, "-- %s\n", dialect)
		}
		kind := "plain"
		if a.Index.Expression() {
			kind = "expression"
		}
		fmt.Fprintf(w, "-- %s index for %s: %s\n", kind, a.Index.For, strings.Join(a.Queries, ", "))
		if n := a.Index.Note(); n != "" {
			fmt.Fprintf(w, "-- %s\n", n)
		}
		if _, err := fmt.Fprintln(w, a.SQL+";"); err != nil {
			return err
		}
	}
	return nil
}
