package server

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Optimistic concurrency as Dataverse has it. Every row has an ETag:
// W/"<versionnumber>" on a table with a versionnumber column, which the
// server sets on every create and update (clients cannot write it), else
// W/"<digest>", a digest of the row's stored values. A write's
// precondition (If-Match, If-None-Match, the SDK's IfRowVersionMatches) is
// compared inside the write's transaction with the row locked, so no
// other write can come between the comparison and the statement.

// versionColumn is Dataverse's row version column.
const versionColumn = plan.VersionColumn

// versionCol is t's row version column, when it has one.
func versionCol(t *plan.Table) (*plan.Column, bool) {
	c, ok := t.Column(versionColumn)
	if !ok || c.Type.Kind() != plan.KInt {
		return nil, false
	}
	return c, true
}

var lastVersion atomic.Int64

// nextVersion is a new row version: the time in microseconds, and always
// above the last one this process issued. Versions of one row are
// serialized by the row lock; two instances issuing the same microsecond
// to one row in a row is the one way two versions could meet.
func nextVersion() int64 {
	for {
		last := lastVersion.Load()
		v := max(time.Now().UnixMicro(), last+1)
		if lastVersion.CompareAndSwap(last, v) {
			return v
		}
	}
}

// versionETag is the ETag of a row version.
func versionETag(v int64) string { return `W/"` + strconv.FormatInt(v, 10) + `"` }

// entityETag is the @odata.etag of an entity whose version column read
// v, and whether it has one: a null is left out, since a row written
// before the server kept versions (rowETag: W/"0") and a version the
// caller may not read (redacted) both read null. A GET by key reads it
// apart (retrieveWithETag). Every entity shape (collections, $expand,
// fetchXml, by key) takes its tag from here.
func entityETag(v any) (string, bool) {
	n, ok := versionOf(v)
	if !ok {
		return "", false
	}
	return versionETag(n), true
}

// versionOf reads a version value as the drivers and the engine return it.
func versionOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case float64:
		return int64(x), true
	case []byte:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	case fmt.Stringer:
		n, err := strconv.ParseInt(x.String(), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// querier is a transaction or the pool.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// rowETag reads a row's ETag by key as stored (no row security: the tag
// is the row's, whoever asks), locking it when lock is set (PostgreSQL,
// MySQL; SQLite serializes writers).
func (s *Server) rowETag(ctx context.Context, q querier, t *plan.Table, id string, lock bool) (string, bool, error) {
	cols := ColumnSet{AllColumns: true}
	vc, versioned := versionCol(t)
	if versioned {
		cols = ColumnSet{Columns: []string{vc.LogicalName}}
	}
	vals, found, err := s.readByID(ctx, q, t, id, cols, lock)
	if err != nil || !found {
		return "", false, err
	}
	if versioned {
		v, _ := versionOf(vals[0]) // a row written before the server kept versions: 0
		return versionETag(v), true, nil
	}
	h := sha256.New()
	for _, v := range vals {
		fmt.Fprintf(h, "%T:%v\x00", v, v)
	}
	return `W/"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`, true, nil
}

// precondition is what a write requires of the row's current version.
type precondition struct {
	anyRow  bool     // If-Match: * (the row must exist)
	tags    []string // If-Match: one of these ETags
	noRow   bool     // If-None-Match: * (create only)
	sdk     bool     // from the SDK's ConcurrencyBehavior: Dataverse's SDK fault
	version string   // the SDK's RowVersion, as given
}

// etagList reads an If-Match or If-None-Match header: "*" or ETags.
func etagList(name string, vals []string) (any bool, tags []string, given bool, err error) {
	if len(vals) == 0 {
		return false, nil, false, nil
	}
	for _, part := range strings.Split(strings.Join(vals, ","), ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "*":
			any = true
		case strings.HasPrefix(part, `W/"`) && strings.HasSuffix(part, `"`) && len(part) > 3,
			strings.HasPrefix(part, `"`) && strings.HasSuffix(part, `"`) && len(part) > 1:
			tags = append(tags, strings.TrimPrefix(part, "W/"))
		default:
			return false, nil, true, diagErr(diag.BadAttributeValue, "%s: %q is not an entity tag (W/\"…\", \"…\" or *)", name, part)
		}
	}
	if any && len(tags) > 0 {
		return false, nil, true, diagErr(diag.BadAttributeValue, "%s: * with entity tags", name)
	}
	return any, tags, true, nil
}

// writePrecondition reads If-Match and If-None-Match for a PATCH or
// DELETE; nil when neither is given.
func writePrecondition(r *http.Request) (*precondition, error) {
	anyM, tags, gotM, err := etagList("If-Match", r.Header.Values("If-Match"))
	if err != nil {
		return nil, err
	}
	anyN, ntags, gotN, err := etagList("If-None-Match", r.Header.Values("If-None-Match"))
	if err != nil {
		return nil, err
	}
	switch {
	case gotN && (len(ntags) > 0 || r.Method != http.MethodPatch):
		return nil, diagErr(diag.ConflictingOptions, "If-None-Match on %s takes only * (on PATCH: create, never update)", r.Method)
	case gotM && gotN:
		return nil, diagErr(diag.ConflictingOptions, "If-Match with If-None-Match")
	case !gotM && !gotN:
		return nil, nil
	}
	return &precondition{anyRow: anyM, tags: tags, noRow: anyN}, nil
}

// sdkPrecondition reads the SDK's ConcurrencyBehavior (Default,
// IfRowVersionMatches, AlwaysOverwrite, or 0, 1, 2) and RowVersion.
func sdkPrecondition(behavior any, version string) (*precondition, error) {
	b := strings.ToLower(strings.TrimSpace(fmt.Sprint(behavior)))
	switch b {
	case "<nil>", "", "0", "default", "2", "alwaysoverwrite":
		return nil, nil // Dataverse's default overwrites; a RowVersion beside it is what the record was read with
	case "1", "ifrowversionmatches":
		if strings.TrimSpace(version) == "" {
			return nil, diagErr(diag.VersionNotProvided, "ConcurrencyBehavior IfRowVersionMatches needs the RowVersion of the record")
		}
		return &precondition{tags: []string{`"` + strings.Trim(strings.TrimPrefix(strings.TrimSpace(version), "W/"), `"`) + `"`}, sdk: true, version: version}, nil
	}
	return nil, diagErr(diag.UnknownEnum, "ConcurrencyBehavior %v: use Default, IfRowVersionMatches or AlwaysOverwrite", behavior)
}

// check compares the row's current ETag (found: whether it exists) with
// the precondition.
func (c *precondition) check(t *plan.Table, id, etag string, found bool) error {
	switch {
	case c.noRow:
		if found {
			return diagErr(diag.PreconditionFailed, "%s %s exists (If-None-Match: *)", t.LogicalName, id)
		}
		return nil
	case !found:
		if c.sdk {
			return diagErr(diag.NotFound, "%s with id %s does not exist", t.LogicalName, id)
		}
		return diagErr(diag.PreconditionFailed, "%s %s does not exist (If-Match)", t.LogicalName, id)
	case c.anyRow:
		return nil
	}
	cur := strings.TrimPrefix(etag, "W/")
	for _, tag := range c.tags {
		if tag == cur {
			return nil
		}
	}
	if c.sdk {
		return diagErr(diag.PreconditionFailed, "the version of %s %s is not %s: the record changed since it was read (ConcurrencyVersionMismatch)", t.LogicalName, id, c.version)
	}
	if t == nil {
		return diagErr(diag.PreconditionFailed, "the record's ETag is %s, not one given in If-Match", etag)
	}
	return diagErr(diag.PreconditionFailed, "the ETag of %s %s is %s, not the one given in If-Match: the record changed since it was read", t.LogicalName, id, etag)
}

// readPrecondition checks If-Match on a GET by key: 412 unless the row's
// ETag is among the tags (or * with the row there).
func readPrecondition(_ http.ResponseWriter, r *http.Request, etag string) error {
	anyM, tags, got, err := etagList("If-Match", r.Header.Values("If-Match"))
	if err != nil || !got {
		return err
	}
	c := &precondition{anyRow: anyM, tags: tags}
	return c.check(nil, "", etag, true)
}

// notModified says whether If-None-Match names the row's ETag (or *): a
// GET by key is then 304 Not Modified, as Dataverse answers it.
func notModified(r *http.Request, etag string) bool {
	anyN, tags, got, err := etagList("If-None-Match", r.Header.Values("If-None-Match"))
	if err != nil || !got {
		return false
	}
	if anyN {
		return true
	}
	cur := strings.TrimPrefix(etag, "W/")
	for _, t := range tags {
		if t == cur {
			return true
		}
	}
	return false
}

// retrieveWithETag reads one record as the principal with its ETag, the
// tag being the version of the values returned. On a versioned table the
// version is read in the same statement (and left out of the entity when
// cols does not name it); otherwise the tag is read before and after the
// row until both agree, since a write between two reads would pair old
// values with a new tag.
func (s *Server) retrieveWithETag(r *http.Request, p *Principal, t *plan.Table, key string, cols ColumnSet) (*Entity, string, bool, error) {
	if vc, ok := versionCol(t); ok {
		rc, added := cols, false
		if !cols.AllColumns && !containsFold(cols.Columns, vc.LogicalName) {
			rc.Columns, added = append(slices.Clone(cols.Columns), vc.LogicalName), true
		}
		e, err := s.retrieveOne(r, p, t.LogicalName, key, rc)
		if err != nil {
			return nil, "", false, err
		}
		if tag, ok := entityETag(e.Attributes[vc.LogicalName]); ok {
			if added {
				delete(e.Attributes, vc.LogicalName)
				e.RowVersion = ""
			}
			return e, tag, true, nil
		}
		// The version is hidden from this caller, or null: read it apart.
	}
	for attempt := 0; ; attempt++ {
		before, _, err := s.rowETag(r.Context(), s.cfg.DB.SQL, t, key, false)
		if err != nil {
			return nil, "", false, err
		}
		e, err := s.retrieveOne(r, p, t.LogicalName, key, cols)
		if err != nil {
			return nil, "", false, err
		}
		etag, found, err := s.rowETag(r.Context(), s.cfg.DB.SQL, t, key, false)
		if err != nil {
			return nil, "", false, err
		}
		if etag == before {
			return e, etag, found, nil
		}
		if attempt == 9 {
			return nil, "", false, diagErr(diag.Overloaded, "%s %s changed during each of 10 reads: retry", t.LogicalName, key)
		}
	}
}
