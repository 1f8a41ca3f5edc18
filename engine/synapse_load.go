package engine

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
)

// LoadSynapse loads an Azure Synapse Link for Dataverse export (vecompile
// load --model model.json --db DSN): the model.json at modelPath and the
// CSV partitions beside it, <entity>/*.csv. Each LocalEntity becomes a
// table of that name with a column per attribute, typed per the model
// (synapseSQLType), its key the Id attribute (or <entity>id). Rows are
// decoded as Synapse Link writes them (synapse_csv.go) and applied in
// file order inside one transaction, in multi-row INSERT batches: a row
// whose key was already loaded replaces it (append-only exports write
// each change again), a row whose IsDelete is True deletes it. A bad row
// is an error at file:line:col (VE1021); every error is reported (up to
// the error limit) and nothing is kept. The tables must not exist unless
// replace, which drops them first.
func LoadSynapse(ctx context.Context, db *DB, modelPath string, replace bool) (*SynapseSummary, error) {
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, diag.ErrorList{&diag.Error{Code: diag.BadFlag, Msg: fmt.Sprintf("--model: %v", err)}}.Err()
	}
	src := diag.NewSource(modelPath, data)
	root, perr := parseJSONTree(src, diag.BadMetadataFile)
	if perr != nil {
		return nil, diag.ErrorList{perr.(*diag.Error)}.Err()
	}
	if !isCDMModel(root) {
		return nil, diag.ErrorList{posError(src, root.off, "$", diag.BadMetadataFile, "not a model.json (a Common Data Model document has a \"name\" and \"entities\")")}.Err()
	}
	entities, _, err := readCDMModel(src, root)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(modelPath)
	var errs diag.ErrorList
	tables := make([]*synapseTable, len(entities))
	for i, e := range entities {
		t, err := newSynapseTable(db, e, dir)
		if err != nil {
			errs = append(errs, posError(src, e.node.off, e.path, diag.BadMetadataFile, "%v", err))
			continue
		}
		for _, p := range e.partitions {
			f, ok := partitionFile(dir, e.name, p.location)
			if !ok || !contains(t.files, f) {
				errs = append(errs, posError(src, p.node.off, p.path, diag.MissingPartition,
					"partition %q of %q is not beside model.json (expected %s)", p.location, e.name, filepath.Join(dir, e.name, path.Base(p.location))))
			}
		}
		tables[i] = t
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if err := createSynapseTables(ctx, db, tables, replace); err != nil {
		return nil, err
	}
	sum, err := loadSynapseRows(ctx, db, tables)
	if err != nil {
		for _, t := range tables { // nothing is kept of a failed load
			db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+db.quote(t.name))
		}
		return nil, err
	}
	return sum, nil
}

// SynapseSummary is what LoadSynapse did, per table.
type SynapseSummary struct {
	Tables []SynapseTableSummary
}

// SynapseTableSummary counts one table's load: the partition files and
// rows read, the rows in the table at the end, the rows a later version
// replaced and the rows an IsDelete row removed.
type SynapseTableSummary struct {
	Table                     string
	Files, Read, Rows         int
	Replaced, Deleted, Absent int // Absent: IsDelete rows whose record was not loaded
}

func (s *SynapseSummary) String() string {
	var b strings.Builder
	total := 0
	for _, t := range s.Tables {
		files := "files"
		if t.Files == 1 {
			files = "file"
		}
		fmt.Fprintf(&b, "%s: %d rows (%d %s, %d records read, %d replaced by a later version, %d deleted", t.Table, t.Rows, t.Files, files, t.Read, t.Replaced, t.Deleted)
		if t.Absent > 0 {
			fmt.Fprintf(&b, ", %d deletions of records not in the export", t.Absent)
		}
		b.WriteString(")\n")
		total += t.Rows
	}
	fmt.Fprintf(&b, "loaded %d tables, %d rows\n", len(s.Tables), total)
	return b.String()
}

// synapseTable is one entity being loaded.
type synapseTable struct {
	name    string
	attrs   []cdmAttr
	key     int // index of the key attribute
	deleted int // index of IsDelete, or -1
	files   []string
}

func newSynapseTable(db *DB, e *cdmEntity, dir string) (*synapseTable, error) {
	t := &synapseTable{name: e.name, attrs: e.attrs, key: -1, deleted: -1}
	for i, a := range e.attrs {
		switch {
		case strings.EqualFold(a.name, "Id") && a.dataType == "guid":
			t.key = i
		case strings.EqualFold(a.name, "IsDelete"):
			t.deleted = i
		}
	}
	if t.key < 0 {
		for i, a := range e.attrs {
			if strings.EqualFold(a.name, e.name+"id") && a.dataType == "guid" {
				t.key = i
			}
		}
	}
	if t.key < 0 {
		return nil, fmt.Errorf("entity %q has no key: Synapse Link writes an Id attribute (guid); neither Id nor %sid is there", e.name, e.name)
	}
	if len(e.attrs) == 0 {
		return nil, fmt.Errorf("entity %q has no attributes", e.name)
	}
	if strings.ContainsAny(e.name, "/\\") || e.name == "." || e.name == ".." {
		return nil, fmt.Errorf("entity name %q cannot name a partition folder", e.name)
	}
	files, err := filepath.Glob(filepath.Join(dir, e.name, "*.csv"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	t.files = files
	return t, nil
}

// partitionFile is the local file of a partition location: the folder of
// the entity beside model.json, and the location's file name.
func partitionFile(dir, entity, location string) (string, bool) {
	p := location
	if u, err := url.Parse(location); err == nil && u.Path != "" {
		p = u.Path
	}
	base := path.Base(p)
	if base == "." || base == "/" || base == "" {
		return "", false
	}
	return filepath.Join(dir, entity, base), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// synapseSQLType is an attribute's column type in a dialect. Decimals take
// the precision and scale of their trait (else 38, 10); strings their
// maxLength when bounded; datetimes keep microseconds.
func synapseSQLType(dialect string, a cdmAttr) string {
	switch a.dataType {
	case "guid":
		if dialect == Postgres {
			return "UUID"
		}
		return "CHAR(36)"
	case "string":
		if a.maxLength > 0 && (dialect != MySQL || a.maxLength <= 16000) {
			return fmt.Sprintf("VARCHAR(%d)", a.maxLength)
		}
		if dialect == MySQL {
			return "LONGTEXT"
		}
		return "TEXT"
	case "boolean":
		if dialect == MySQL {
			return "TINYINT(1)"
		}
		return "BOOLEAN"
	case "int64":
		return "BIGINT"
	case "int32":
		if dialect == MySQL {
			return "INT"
		}
		return "INTEGER"
	case "int16":
		return "SMALLINT"
	case "decimal":
		p, s := a.precision, a.scale
		if p <= 0 || p > 38 || s < 0 || s > p {
			p, s = 38, 10
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", p, s)
	case "double":
		if dialect == MySQL {
			return "DOUBLE"
		}
		return "DOUBLE PRECISION"
	case "date":
		return "DATE"
	}
	// datetime, datetimeoffset
	switch dialect {
	case Postgres:
		return "TIMESTAMP"
	case MySQL:
		return "DATETIME(6)"
	}
	return "DATETIME"
}

func createSynapseTables(ctx context.Context, db *DB, tables []*synapseTable, replace bool) error {
	if !replace {
		for _, t := range tables {
			ok, err := tableExists(ctx, db, t.name)
			if err != nil {
				return err
			}
			if ok {
				return diag.ErrorList{&diag.Error{Code: diag.BadFlag, Msg: fmt.Sprintf("the database already has a table %s: load would replace it; give --replace to drop and reload the export's tables", t.name)}}.Err()
			}
		}
	}
	for _, t := range tables {
		if _, err := db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+db.quote(t.name)); err != nil {
			return db.errorf("dropping %s: %v", t.name, err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE %s (", db.quote(t.name))
		for i, a := range t.attrs {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n  %s %s", db.quote(a.name), synapseSQLType(db.Dialect, a))
			if i == t.key {
				b.WriteString(" NOT NULL PRIMARY KEY")
			}
		}
		b.WriteString("\n)")
		if db.Dialect == MySQL {
			b.WriteString(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
		}
		if _, err := db.SQL.ExecContext(ctx, b.String()); err != nil {
			return db.errorf("creating %s: %v\n%s", t.name, err, b.String())
		}
	}
	return nil
}

func loadSynapseRows(ctx context.Context, db *DB, tables []*synapseTable) (*SynapseSummary, error) {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbError(err, "")
	}
	defer tx.Rollback()
	sum := &SynapseSummary{}
	var errs diag.ErrorList
	for _, t := range tables {
		ts, err := t.load(ctx, db, tx, &errs)
		if err != nil {
			return nil, err
		}
		sum.Tables = append(sum.Tables, ts)
		if errs.Full() {
			break
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, dbError(err, "")
	}
	return sum, nil
}

// load reads the table's partitions in file-name order. Rows decode into
// a batch of distinct keys, flushed as one INSERT when full, before a row
// that replaces or deletes an earlier one, and at the end. Once a row is
// bad, the rest are only decoded, to report their errors too.
func (t *synapseTable) load(ctx context.Context, db *DB, tx *sql.Tx, errs *diag.ErrorList) (SynapseTableSummary, error) {
	ts := SynapseTableSummary{Table: t.name, Files: len(t.files)}
	batchRows := 30000 / len(t.attrs) // within every engine's bind-parameter limit
	if batchRows > 500 {
		batchRows = 500
	}
	if batchRows < 1 {
		batchRows = 1
	}
	var batch [][]any
	loaded := map[string]bool{}
	flush := func() error {
		if len(batch) == 0 || len(*errs) > 0 {
			batch = batch[:0]
			return nil
		}
		q, args := t.insert(db, batch)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return db.errorf("loading %s: %v", t.name, err)
		}
		batch = batch[:0]
		return nil
	}
	remove := func(key string) error {
		if len(*errs) > 0 {
			return nil
		}
		q := "DELETE FROM " + db.quote(t.name) + " WHERE " + db.quote(t.attrs[t.key].name) + " = " + db.placeholder(1)
		if _, err := tx.ExecContext(ctx, q, key); err != nil {
			return db.errorf("loading %s: %v", t.name, err)
		}
		return nil
	}
	for _, file := range t.files {
		f, err := os.Open(file)
		if err != nil {
			return ts, diag.ErrorList{&diag.Error{Code: diag.MissingPartition, Msg: fmt.Sprintf("%s: %v", file, err)}}.Err()
		}
		r := newSynapseReader(f)
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				errs.Add(csvError(file, err))
				break // the CSV reader cannot resynchronise after bad quoting
			}
			ts.Read++
			vals, field, err := decodeCDMRecord(t.attrs, rec)
			if err == nil && vals[t.key] == nil {
				field, err = t.key, fmt.Errorf("attribute %q (the key) is empty", t.attrs[t.key].name)
			}
			if err != nil {
				line, col := r.FieldPos(min(field, len(rec)-1))
				if field >= len(rec) { // a missing key: point after the last field
					col += len(rec[len(rec)-1])
				}
				errs.Add(&diag.Error{Path: fmt.Sprintf("%s:%d:%d", file, line, col), Code: diag.BadCSVRow, Msg: err.Error()})
				if errs.Full() {
					break
				}
				continue
			}
			key := vals[t.key].(string)
			isDelete := t.deleted >= 0 && vals[t.deleted] == true
			if loaded[key] || isDelete {
				if err := flush(); err != nil {
					f.Close()
					return ts, err
				}
			}
			switch {
			case isDelete && loaded[key]:
				if err := remove(key); err != nil {
					f.Close()
					return ts, err
				}
				delete(loaded, key)
				ts.Deleted++
			case isDelete:
				ts.Absent++
			default:
				if loaded[key] {
					if err := remove(key); err != nil {
						f.Close()
						return ts, err
					}
					ts.Replaced++
				}
				loaded[key] = true
				batch = append(batch, vals)
				if len(batch) == batchRows {
					if err := flush(); err != nil {
						f.Close()
						return ts, err
					}
				}
			}
		}
		f.Close()
		if errs.Full() {
			break
		}
	}
	if err := flush(); err != nil {
		return ts, err
	}
	ts.Rows = len(loaded)
	return ts, nil
}

// insert is one multi-row INSERT of the batch.
func (t *synapseTable) insert(db *DB, rows [][]any) (string, []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (", db.quote(t.name))
	for i, a := range t.attrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(db.quote(a.name))
	}
	b.WriteString(") VALUES ")
	args := make([]any, 0, len(rows)*len(t.attrs))
	for j, row := range rows {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for i, v := range row {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, v)
			b.WriteString(db.placeholder(len(args)))
		}
		b.WriteString(")")
	}
	return b.String(), args
}

// newSynapseReader reads a partition as Synapse Link writes it: comma
// separated, no header, quoted fields that may hold line breaks, rows of
// varying length (see decodeCDMRecord), a byte-order mark skipped.
func newSynapseReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(&bomSkipper{r: r})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

// bomSkipper drops a UTF-8 byte-order mark at the start of a stream.
type bomSkipper struct {
	r       io.Reader
	started bool
	buf     []byte
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if !b.started {
		b.started = true
		head := make([]byte, 3)
		n, err := io.ReadFull(b.r, head)
		head = head[:n]
		if n == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF {
			head = nil
		}
		b.buf = head
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return 0, err
		}
	}
	if len(b.buf) > 0 {
		n := copy(p, b.buf)
		b.buf = b.buf[n:]
		return n, nil
	}
	return b.r.Read(p)
}

// csvError is a malformed-CSV error at its position.
func csvError(file string, err error) *diag.Error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &diag.Error{Path: fmt.Sprintf("%s:%d:%d", file, pe.Line, pe.Column), Code: diag.BadCSVRow, Msg: pe.Err.Error()}
	}
	return &diag.Error{Path: file, Code: diag.BadCSVRow, Msg: err.Error()}
}
