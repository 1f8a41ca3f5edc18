package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Key maps of string and composite keys (plan/keymap.go). A table keyed by
// strings or several columns is exposed with UUIDv5 ids computed from its
// key tuple; the key map (plan.KeyMapTableName: id → k1 … kN) records every
// id handed out, so that a later condition on the id can join it. The map
// is created on first use (CREATE TABLE IF NOT EXISTS; KeyMapDDL gives the
// statement for a database user who may not create tables) and filled when
// rows are read and created, by insert-or-ignore on its primary key (id),
// which concurrent readers may run at once: the first insert wins, the
// others change nothing, and both see the same row, since an id is a
// function of its tuple.

// keyMaps is a database's key-map state: which maps exist, and the ids
// already recorded by this process (a bounded cache that saves the insert
// on repeated reads; dropped whole when full).
type keyMaps struct {
	mu      sync.Mutex
	created map[string]bool
	known   map[string]bool
}

const knownKeyLimit = 1 << 16

// EnsureKeyMaps creates the key maps that do not exist yet.
func (db *DB) EnsureKeyMaps(ctx context.Context, kms []*plan.KeyMap) error {
	for _, km := range kms {
		db.keys.mu.Lock()
		done := db.keys.created[km.Table]
		db.keys.mu.Unlock()
		if done {
			continue
		}
		ddl, err := db.KeyMapDDL(ctx, km)
		if err != nil {
			return err
		}
		if _, err := db.SQL.ExecContext(ctx, ddl); err != nil && !db.keyMapExists(ctx, km) {
			return diag.ErrorList{&diag.Error{Code: diag.KeyMapFailed, Msg: fmt.Sprintf("the key map %s could not be created (%v): create it with %s", km.Table, err, ddl), Err: err}}.Err()
		}
		db.keys.mu.Lock()
		if db.keys.created == nil {
			db.keys.created = map[string]bool{}
		}
		db.keys.created[km.Table] = true
		db.keys.mu.Unlock()
	}
	return nil
}

// keyMapExists reports whether the map can be read (a concurrent creation
// by another process won the race).
func (db *DB) keyMapExists(ctx context.Context, km *plan.KeyMap) bool {
	rows, err := db.SQL.QueryContext(ctx, "SELECT 1 FROM "+db.quote(km.Table)+" WHERE 1=0")
	if err != nil {
		return false
	}
	rows.Close()
	return true
}

// KeyMapDDL is the CREATE TABLE statement of key map km in the database's
// dialect: id (the canonical lower-case GUID, primary key) and one column
// per key part, k1 … kN, of the part's kind; a string part takes the
// character set and collation of the key column it copies (PostgreSQL,
// MySQL/MariaDB), so that the join compares like with like.
func (db *DB) KeyMapDDL(ctx context.Context, km *plan.KeyMap) (string, error) {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(db.quote(km.Table))
	b.WriteString(" (")
	b.WriteString(db.quote("id"))
	switch db.Dialect {
	case MySQL:
		b.WriteString(" CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY")
	case Postgres:
		b.WriteString(" varchar(36) NOT NULL PRIMARY KEY")
	default:
		b.WriteString(" TEXT NOT NULL PRIMARY KEY")
	}
	for i, kind := range km.Kinds() {
		b.WriteString(", ")
		b.WriteString(db.quote(sqlemit.KeyMapColumn(i)))
		b.WriteByte(' ')
		if kind == plan.KInt {
			if db.Dialect == SQLite {
				b.WriteString("INTEGER")
			} else {
				b.WriteString("BIGINT")
			}
		} else {
			typ, err := db.keyStringType(ctx, km, i)
			if err != nil {
				return "", err
			}
			b.WriteString(typ)
		}
		b.WriteString(" NOT NULL")
	}
	b.WriteByte(')')
	return b.String(), nil
}

// keyStringType is the map column type of string part i: the key column's
// collation (PostgreSQL) or character set and collation (MySQL/MariaDB),
// read from information_schema; TEXT on SQLite, whose joins compare with
// COLLATE BINARY.
func (db *DB) keyStringType(ctx context.Context, km *plan.KeyMap, i int) (string, error) {
	col := ""
	if i < len(km.KeyColumns) {
		col = km.KeyColumns[i]
	}
	switch db.Dialect {
	case Postgres:
		var coll sql.NullString
		err := db.SQL.QueryRowContext(ctx, "SELECT collation_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2", km.Keyed, col).Scan(&coll)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", dbError(err, "")
		}
		if coll.Valid && coll.String != "" {
			return "text COLLATE " + db.quote(coll.String), nil
		}
		return "text", nil
	case MySQL:
		var cs, coll sql.NullString
		err := db.SQL.QueryRowContext(ctx, "SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", km.Keyed, col).Scan(&cs, &coll)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", dbError(err, "")
		}
		if cs.Valid && coll.Valid && identLike(cs.String) && identLike(coll.String) {
			return "TEXT CHARACTER SET " + cs.String + " COLLATE " + coll.String, nil
		}
		return "TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", nil
	}
	return "TEXT", nil
}

// identLike: a character set or collation name (letters, digits, _).
func identLike(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
}

// keyRow is one id read and the tuple it was computed from.
type keyRow struct {
	km    *plan.KeyMap
	id    string
	tuple []any
}

// tupleID computes the id of a key tuple read as a JSON array (emit/sql's
// key tuple): nil when a part is null (a lookup not set) or does not fit
// its kind.
func tupleID(v any, km *plan.KeyMap) (string, []any, bool) {
	var raw []byte
	switch x := v.(type) {
	case string:
		raw = []byte(x)
	case []byte:
		raw = x
	default:
		return "", nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var parts []any
	if err := dec.Decode(&parts); err != nil {
		return "", nil, false
	}
	kinds := km.Kinds()
	if len(parts) != len(kinds) {
		return "", nil, false
	}
	for i, p := range parts {
		if n, ok := p.(json.Number); ok && kinds[i] == plan.KInt {
			x, err := n.Int64()
			if err != nil {
				return "", nil, false
			}
			parts[i] = x
		}
	}
	id, ok := plan.KeyMapGUID(kinds, parts)
	return id, parts, ok
}

// KeyMapID is the id of a key tuple (strings and int64s in key order) of
// key map km, and whether the values fit its parts.
func KeyMapID(km *plan.KeyMap, tuple []any) (string, bool) {
	return plan.KeyMapGUID(km.Kinds(), tuple)
}

// recordKeys records ids and their tuples in their key maps
// (insert-or-ignore), skipping those this process recorded before.
func (db *DB) recordKeys(ctx context.Context, rows []keyRow) error {
	byMap := map[*plan.KeyMap][]keyRow{}
	var maps []*plan.KeyMap
	db.keys.mu.Lock()
	for _, r := range rows {
		k := r.km.Table + "\x00" + r.id
		if db.keys.known[k] {
			continue
		}
		if byMap[r.km] == nil {
			maps = append(maps, r.km)
		}
		byMap[r.km] = append(byMap[r.km], r)
	}
	db.keys.mu.Unlock()
	for _, km := range maps {
		if err := db.EnsureKeyMaps(ctx, []*plan.KeyMap{km}); err != nil {
			return err
		}
		rs := byMap[km]
		slices.SortFunc(rs, func(a, b keyRow) int { return strings.Compare(a.id, b.id) })
		rs = slices.CompactFunc(rs, func(a, b keyRow) bool { return a.id == b.id })
		const batch = 100
		for start := 0; start < len(rs); start += batch {
			part := rs[start:min(start+batch, len(rs))]
			if err := db.insertKeys(ctx, km, part); err != nil {
				return err
			}
		}
		db.keys.mu.Lock()
		if db.keys.known == nil || len(db.keys.known) > knownKeyLimit {
			db.keys.known = map[string]bool{}
		}
		for _, r := range rs {
			db.keys.known[km.Table+"\x00"+r.id] = true
		}
		db.keys.mu.Unlock()
	}
	return nil
}

// RecordKey records one id of key map km (a created row's).
func (db *DB) RecordKey(ctx context.Context, km *plan.KeyMap, id string, tuple []any) error {
	return db.recordKeys(ctx, []keyRow{{km: km, id: id, tuple: tuple}})
}

// insertKeys inserts rows into km, ignoring ids already there, in id
// order; a deadlock between concurrent inserts of overlapping ids (InnoDB
// locks the gaps it checks) is retried after a short, growing, jittered
// wait.
func (db *DB) insertKeys(ctx context.Context, km *plan.KeyMap, rs []keyRow) error {
	rs = slices.SortedFunc(slices.Values(rs), func(a, b keyRow) int { return strings.Compare(a.id, b.id) })
	text, args := db.insertKeysSQL(km, rs)
	var err error
	for attempt := 0; attempt < 12; attempt++ {
		if _, err = db.SQL.ExecContext(ctx, text, args...); err == nil || !retryableKeyInsert(err) {
			break
		}
		wait := time.Duration(attempt+1)*time.Millisecond + time.Duration(rand.IntN(1000))*time.Microsecond
		select {
		case <-ctx.Done():
			return dbError(ctx.Err(), "")
		case <-time.After(wait):
		}
	}
	if err != nil {
		return diag.ErrorList{&diag.Error{Code: diag.KeyMapFailed, Msg: fmt.Sprintf("recording ids in the key map %s: %v", km.Table, err), Err: err}}.Err()
	}
	return nil
}

// insertKeysSQL is the insert-or-ignore of rows into km: ON CONFLICT (id)
// DO NOTHING (PostgreSQL, SQLite), ON DUPLICATE KEY UPDATE id = id
// (MySQL/MariaDB, whose INSERT IGNORE would ignore other errors too).
func (db *DB) insertKeysSQL(km *plan.KeyMap, rs []keyRow) (string, []any) {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(db.quote(km.Table))
	b.WriteString(" (")
	b.WriteString(db.quote("id"))
	for i := range km.Parts {
		b.WriteString(", ")
		b.WriteString(db.quote(sqlemit.KeyMapColumn(i)))
	}
	b.WriteString(") VALUES ")
	var args []any
	for j, r := range rs {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		args = append(args, r.id)
		b.WriteString(db.placeholder(len(args)))
		for _, v := range r.tuple {
			args = append(args, v)
			b.WriteString(", ")
			b.WriteString(db.placeholder(len(args)))
		}
		b.WriteByte(')')
	}
	if db.Dialect == MySQL {
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		b.WriteString(db.quote("id"))
		b.WriteString(" = ")
		b.WriteString(db.quote("id"))
	} else {
		b.WriteString(" ON CONFLICT (")
		b.WriteString(db.quote("id"))
		b.WriteString(") DO NOTHING")
	}
	return b.String(), args
}

// retryableKeyInsert: a deadlock or lock wait between concurrent inserts
// (MySQL 1213 / 1205, SQLite busy), which a retry resolves.
func retryableKeyInsert(err error) bool {
	s := err.Error()
	return strings.Contains(s, "1213") || strings.Contains(s, "1205") || strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked")
}

// BindKeyMap makes column c of table t a key-map column (plan.GuidKeyMap)
// over the columns keyCols of t (logical names, in key order): t's id when
// c is its primary key, else a lookup holding the key of its one target,
// whose id must be a key map of the same shape. Parts are strings or
// integers.
func BindKeyMap(cat plan.Catalog, t *plan.Table, c *plan.Column, keyCols []string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s.%s: "+format, append([]any{t.LogicalName, c.LogicalName}, args...)...)
	}
	var parts []*plan.Column
	for _, name := range keyCols {
		p, ok := t.Column(name)
		if !ok || p.Key != nil || p == c {
			return bad("keyColumns names %q, which is no column of %s", name, t.LogicalName)
		}
		if _, ok := plan.KeyPartKind(p.Type); !ok {
			return bad("key column %q is %s: a key map takes String and integer columns", name, p.Type)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return bad("a key map needs keyColumns")
	}
	if c.IsPrimaryKey {
		if c.Type != plan.TUniqueidentifier {
			return bad("the id of a key map is a Uniqueidentifier, not %s", c.Type)
		}
		km := &plan.KeyMap{Table: plan.KeyMapTableName(t.PhysicalName), Keyed: t.PhysicalName, Parts: parts}
		for _, p := range parts {
			km.KeyColumns = append(km.KeyColumns, p.PhysicalName)
		}
		c.Guid, c.GuidDeclared, c.Key = plan.GuidKeyMap, true, km
		return nil
	}
	if c.Type != plan.TLookup || len(c.Targets) != 1 {
		return bad("a key map on an attribute other than the primary key is a Lookup with one target")
	}
	target, ok := cat.Table(c.Targets[0])
	if !ok {
		return bad("target %q is not in the metadata", c.Targets[0])
	}
	pk, ok := target.Column(target.PrimaryKey)
	if !ok || pk.Key == nil {
		return bad("target %q is not keyed by a key map", c.Targets[0])
	}
	if len(pk.Key.Parts) != len(parts) {
		return bad("%d key columns, but %s's key has %d", len(parts), target.LogicalName, len(pk.Key.Parts))
	}
	for i, k := range pk.Key.Kinds() {
		if kk, _ := plan.KeyPartKind(parts[i].Type); kk != k {
			return bad("key column %q is %s, but part %d of %s's key is %s", parts[i].LogicalName, parts[i].Type, i+1, target.LogicalName, pk.Key.Parts[i].Type)
		}
	}
	c.Guid, c.GuidDeclared = plan.GuidKeyMap, true
	c.Key = &plan.KeyMap{Table: pk.Key.Table, Keyed: pk.Key.Keyed, KeyColumns: pk.Key.KeyColumns, Parts: parts}
	return nil
}

// RecordKeyTx records one id of key map km in transaction tx (a created
// row's, so that the id and the row commit together). The process's cache
// of recorded ids is left alone: the transaction may still roll back.
func (db *DB) RecordKeyTx(ctx context.Context, tx *sql.Tx, km *plan.KeyMap, id string, tuple []any) error {
	text, args := db.insertKeysSQL(km, []keyRow{{km: km, id: id, tuple: tuple}})
	if _, err := tx.ExecContext(ctx, text, args...); err != nil {
		return diag.ErrorList{&diag.Error{Code: diag.KeyMapFailed, Msg: fmt.Sprintf("recording id %s in the key map %s: %v", id, km.Table, err), Err: err}}.Err()
	}
	return nil
}

// KeyTupleTx reads the tuple key map km records for id, in tx: strings and
// int64s in key order; false when the map does not know the id.
func (db *DB) KeyTupleTx(ctx context.Context, tx *sql.Tx, km *plan.KeyMap, id string) ([]any, bool, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i := range km.Parts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(db.quote(sqlemit.KeyMapColumn(i)))
	}
	b.WriteString(" FROM ")
	b.WriteString(db.quote(km.Table))
	b.WriteString(" WHERE ")
	b.WriteString(db.quote("id"))
	b.WriteString(" = ")
	b.WriteString(db.placeholder(1))
	vals := make([]any, len(km.Parts))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := tx.QueryRowContext(ctx, b.String(), strings.ToLower(id)).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, dbError(err, "")
	}
	for i, k := range km.Kinds() {
		switch k {
		case plan.KInt:
			n, ok := toInt(vals[i])
			if !ok {
				return nil, false, db.errorf("key map %s holds a non-integer %v in k%d", km.Table, vals[i], i+1)
			}
			vals[i] = n
		default:
			switch x := vals[i].(type) {
			case []byte:
				vals[i] = string(x)
			case string:
			default:
				return nil, false, db.errorf("key map %s holds %T in k%d", km.Table, vals[i], i+1)
			}
		}
	}
	return vals, true, nil
}
