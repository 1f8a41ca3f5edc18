package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// MaxHierarchyDepth caps LoadCaller's manager-chain depth, as Dataverse
// caps hierarchy traversal.
const MaxHierarchyDepth = 100

// LoadCaller reads the caller context of userID from Dataverse-shaped
// tables (names resolved through cat; nil means the names as written):
//
//   - systemuser(systemuserid, businessunitid, parentsystemuserid): the
//     business unit, and the reports: users whose manager chain
//     (parentsystemuserid) reaches the caller within hierarchyDepth levels;
//   - teammembership(teamid, systemuserid): the caller's teams, and the
//     reports' teams;
//   - usersettings(systemuserid, uilanguageid), or a uilanguageid column on
//     systemuser, when present: the UI language (0 otherwise).
//
// A user id that is not a GUID, or not in systemuser, is UnknownCaller; a
// database with neither systemuser nor teammembership is NoCallerTables;
// with one of them, the parts only the other holds are marked
// plan.Caller.Unknown. Identifier lists are sorted.
func LoadCaller(ctx context.Context, db *DB, cat plan.Catalog, userID string, hierarchyDepth int) (*plan.Caller, error) {
	id, ok := plan.CanonicalGUID(userID)
	if !ok {
		return nil, diag.ErrorList{&diag.Error{Code: diag.UnknownCaller, Msg: fmt.Sprintf("user id %q is not a GUID", userID)}}.Err()
	}
	if cat == nil {
		cat = plan.Untyped{}
	}
	type tbl struct {
		t    *plan.Table
		cols map[string]string // logical → physical
		guid map[string]plan.GuidStorage
	}
	resolve := func(name string, cols ...string) (*tbl, error) {
		t, ok := cat.Table(name)
		if !ok {
			return nil, nil
		}
		exists, err := tableExists(ctx, db, t.PhysicalName)
		if err != nil || !exists {
			return nil, err
		}
		r := &tbl{t: t, cols: map[string]string{}, guid: map[string]plan.GuidStorage{}}
		for _, c := range cols {
			col, ok := t.Column(c)
			if !ok {
				if t.Untyped {
					continue
				}
				return nil, nil
			}
			r.cols[c] = col.PhysicalName
			if col.Type.Kind() == plan.KGuid {
				r.guid[c] = col.Guid
			}
		}
		return r, nil
	}
	su, err := resolve("systemuser", "systemuserid", "businessunitid", "parentsystemuserid")
	if err != nil {
		return nil, err
	}
	tm, err := resolve("teammembership", "teamid", "systemuserid")
	if err != nil {
		return nil, err
	}
	if su == nil && tm == nil {
		return nil, diag.ErrorList{&diag.Error{Code: diag.NoCallerTables, Msg: "cannot read the caller from the database: no table systemuser(systemuserid, businessunitid, parentsystemuserid) or teammembership(teamid, systemuserid); give the caller's business unit, teams and reports instead (--businessunit, --teams, --reports)"}}.Err()
	}
	q := db.quote
	col := func(t *tbl, c string) string {
		if p, ok := t.cols[c]; ok {
			return q(p)
		}
		return q(c)
	}
	// key is a GUID column compared with GUID values (bound by arg): as
	// stored, or LOWER() when it holds both cases.
	key := func(t *tbl, c string) string {
		if t.guid[c] == plan.GuidAnyCase {
			return "LOWER(" + col(t, c) + ")"
		}
		return col(t, c)
	}
	arg := func(t *tbl, c, id string) any { return t.guid[c].Bind(id) }
	// strings reads one column of a query into sorted, distinct GUIDs.
	list := func(sqlText string, args []any) ([]string, error) {
		seen := map[string]bool{}
		var out []string
		err := queryRows(ctx, db, sqlText, args, 1, func(r []string) {
			g, ok := readGUID(r[0])
			if !ok {
				g = strings.ToLower(r[0])
			}
			if r[0] != "" && !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		})
		sort.Strings(out)
		return out, err
	}
	caller := &plan.Caller{UserID: id}
	if su == nil {
		// Teams only: the unit and the manager chain are unknown.
		caller.Unknown = plan.CallerBusinessUnit | plan.CallerReports | plan.CallerReportTeams
	}
	if tm == nil {
		caller.Unknown |= plan.CallerTeams | plan.CallerReportTeams
	}
	teamsOf := func(users []string) ([]string, error) {
		if len(users) == 0 || tm == nil {
			return nil, nil
		}
		marks := make([]string, len(users))
		args := make([]any, len(users))
		for i, u := range users {
			marks[i] = db.placeholder(i + 1)
			args[i] = arg(tm, "systemuserid", u)
		}
		return list(fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (%s)", col(tm, "teamid"), q(tm.t.PhysicalName), key(tm, "systemuserid"), strings.Join(marks, ", ")), args)
	}
	if caller.TeamIDs, err = teamsOf([]string{id}); err != nil {
		return nil, err
	}
	if su == nil {
		return caller, nil
	}
	var bu []string
	found := false
	err = queryRows(ctx, db, fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s", col(su, "businessunitid"), q(su.t.PhysicalName), key(su, "systemuserid"), db.placeholder(1)), []any{arg(su, "systemuserid", id)}, 1, func(r []string) {
		found = true
		bu = append(bu, r[0])
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, diag.ErrorList{&diag.Error{Code: diag.UnknownCaller, Msg: fmt.Sprintf("no user %s in %s", id, su.t.PhysicalName)}}.Err()
	}
	if g, ok := readGUID(bu[0]); ok {
		caller.BusinessUnitID = g
	}
	// Reports: breadth-first down the manager chain.
	if hierarchyDepth > MaxHierarchyDepth {
		hierarchyDepth = MaxHierarchyDepth
	}
	seen := map[string]bool{id: true}
	level := []string{id}
	for depth := 0; depth < hierarchyDepth && len(level) > 0; depth++ {
		marks := make([]string, len(level))
		args := make([]any, len(level))
		for i, u := range level {
			marks[i] = db.placeholder(i + 1)
			args[i] = arg(su, "parentsystemuserid", u)
		}
		next, err := list(fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (%s)", col(su, "systemuserid"), q(su.t.PhysicalName), key(su, "parentsystemuserid"), strings.Join(marks, ", ")), args)
		if err != nil {
			return nil, err
		}
		level = level[:0:0]
		for _, u := range next {
			if !seen[u] {
				seen[u] = true
				level = append(level, u)
				caller.Reports = append(caller.Reports, u)
			}
		}
	}
	sort.Strings(caller.Reports)
	if caller.ReportTeams, err = teamsOf(caller.Reports); err != nil {
		return nil, err
	}
	// Language: usersettings.uilanguageid, else systemuser.uilanguageid.
	// With untyped names the columns may not exist: then the language is 0.
	lang := ""
	us, err := resolve("usersettings", "systemuserid", "uilanguageid")
	if err != nil {
		return nil, err
	}
	var langSQL string
	var langArg any
	switch c, ok := su.t.Column("uilanguageid"); {
	case us != nil:
		langSQL = fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s", col(us, "uilanguageid"), q(us.t.PhysicalName), key(us, "systemuserid"), db.placeholder(1))
		langArg = arg(us, "systemuserid", id)
	case ok:
		langSQL = fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s", q(c.PhysicalName), q(su.t.PhysicalName), key(su, "systemuserid"), db.placeholder(1))
		langArg = arg(su, "systemuserid", id)
	}
	if langSQL != "" {
		err := queryRows(ctx, db, langSQL, []any{langArg}, 1, func(r []string) { lang = r[0] })
		if err != nil && !su.t.Untyped {
			return nil, err
		}
	}
	if n, ok := toInt(lang); ok {
		caller.LanguageID = n
	}
	// Time zone: usersettings.timezonecode, when the table has it.
	if us != nil {
		if c, ok := us.t.Column("timezonecode"); ok && !us.t.Untyped {
			zone := ""
			err := queryRows(ctx, db, fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s", q(c.PhysicalName), q(us.t.PhysicalName), key(us, "systemuserid"), db.placeholder(1)), []any{arg(us, "systemuserid", id)}, 1, func(r []string) { zone = r[0] })
			if err != nil {
				return nil, err
			}
			if n, ok := toInt(zone); ok {
				caller.TimeZone, _ = ZoneOfCode(n)
			}
		}
	}
	return caller, nil
}

// readGUID reads a GUID as queryRows hands it over: text in any case, or
// the 16 bytes of a binary column.
func readGUID(s string) (string, bool) {
	if len(s) == 16 {
		return toGUID([]byte(s))
	}
	return plan.CanonicalGUID(s)
}
