package server_test

// What the write oracle draws: a security model over a fixed pool of
// principals (users, teams, business units, roles, positions), the rows
// of account and contact, and a short sequence of writes in every body
// shape the server is offered: SDK Create/Update/Delete and OData
// POST/PATCH/DELETE; lookups as plain, upper-case and braced GUIDs, as
// EntityReference objects in every casing (Id, id, ID, Value, Id beside
// Value, LogicalName right and wrong, unknown keys), nulls and empty
// strings; repeated spellings of one attribute, duplicate JSON keys,
// unknown attributes, _x_value and @odata.bind keys.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"strings"

	"github.com/leanovate/gopter"

	"github.com/vecompile/vecompile/security"
)

// writeCase is one drawn case: the model, the rows and the writes. It is
// plain data, so a shrunk counterexample is kept as JSON and replayed.
type writeCase struct {
	Note string `json:"note,omitempty"`
	// Known marks a kept regression that still fails because of a
	// reported bug; the replay expects the failure.
	Known  string         `json:"known,omitempty"`
	Model  security.Model `json:"model"`
	Rows   []seedRow      `json:"rows"`
	Writes []writeSpec    `json:"writes"`
}

// seedRow is a record the case starts with.
type seedRow struct {
	Table  string            `json:"table"`
	ID     string            `json:"id"`
	Owner  string            `json:"owner"`
	BU     string            `json:"bu"`
	Values map[string]string `json:"values,omitempty"`
}

// writeSpec is one request. Attrs keep their order and repeats: the body
// is rendered from them as written, duplicate keys included.
type writeSpec struct {
	Caller string     `json:"caller"`
	API    string     `json:"api"` // sdk or odata
	Op     string     `json:"op"`  // create, update or delete
	Table  string     `json:"table"`
	ID     string     `json:"id,omitempty"`
	Attrs  []bodyAttr `json:"attrs,omitempty"`
}

type bodyAttr struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

func (c *writeCase) String() string {
	b, _ := json.MarshalIndent(c, "", "  ")
	return string(b)
}

func (c *writeCase) clone() *writeCase {
	var out writeCase
	b, _ := json.Marshal(c)
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return &out
}

// The pools. Business units, users and teams exist in the sample's
// directory tables (two units are added), so foreign keys hold on
// PostgreSQL and MariaDB.
var (
	poolBUs = []string{
		"bb000000-0000-4000-8000-000000000001", "bb000000-0000-4000-8000-000000000002", "bb000000-0000-4000-8000-000000000003",
		"bb000000-0000-4000-8000-0000000000f1", "bb000000-0000-4000-8000-0000000000f2",
	}
	poolUsers = []string{
		"aa000000-0000-4000-8000-000000000001", "aa000000-0000-4000-8000-000000000002", "aa000000-0000-4000-8000-000000000003",
		"aa000000-0000-4000-8000-000000000004", "aa000000-0000-4000-8000-000000000005", "aa000000-0000-4000-8000-000000000006",
	}
	poolTeams = []string{
		"ee000000-0000-4000-8000-000000000001", "ee000000-0000-4000-8000-000000000002",
		"ee000000-0000-4000-8000-000000000003", "ee000000-0000-4000-8000-000000000004",
	}
	poolAccounts = []string{
		"0acc0000-0000-4000-8000-000000000001", "0acc0000-0000-4000-8000-000000000002",
		"0acc0000-0000-4000-8000-000000000003", "0acc0000-0000-4000-8000-000000000004",
	}
	poolContacts = []string{
		"0c0c0000-0000-4000-8000-000000000001", "0c0c0000-0000-4000-8000-000000000002", "0c0c0000-0000-4000-8000-000000000003",
	}
	oracleMissingID = "0dead000-0000-4000-8000-000000000001"
)

// oracleTables are the written tables' columns the oracle draws and
// compares, with their kinds.
var oracleTables = map[string][]oracleColumn{
	"account": {
		{"name", kString, ""}, {"accountnumber", kString, ""}, {"revenue", kDecimal, ""}, {"numberofemployees", kInt, ""},
		{"description", kString, ""}, {"ownerid", kOwner, ""}, {"owningbusinessunit", kUnit, ""},
		{"primarycontactid", kLookup, "contact"}, {"parentaccountid", kLookup, "account"},
	},
	"contact": {
		{"fullname", kString, ""}, {"emailaddress1", kString, ""}, {"ownerid", kOwner, ""}, {"owningbusinessunit", kUnit, ""},
		{"parentcustomerid", kLookup, "account"},
	},
}

// oracleSecurable are the columns a drawn model may put under column security.
var oracleSecurable = map[string][]string{"account": {"revenue", "accountnumber", "description"}, "contact": {"emailaddress1"}}

var oracleEntitySets = map[string]string{"account": "accounts", "contact": "contacts", "systemuser": "systemusers", "team": "teams", "businessunit": "businessunits"}

type oracleKind uint8

const (
	kString oracleKind = iota
	kInt
	kDecimal
	kOwner  // ownerid: a user or a team
	kUnit   // owningbusinessunit
	kLookup // a lookup to target
)

type oracleColumn struct {
	name   string
	kind   oracleKind
	target string
}

func (k oracleKind) isRef() bool { return k >= kOwner }

func oracleCol(table, name string) (oracleColumn, bool) {
	for _, c := range oracleTables[table] {
		if strings.EqualFold(c.name, name) {
			return c, true
		}
	}
	return oracleColumn{}, false
}

func pickOne[T any](r *rand.Rand, s []T) T { return s[r.Intn(len(s))] }

func percent(r *rand.Rand, pct int) bool { return r.Intn(100) < pct }

// drawOracleDepth: none most often, then each level.
func drawOracleDepth(r *rand.Rand) string {
	switch n := r.Intn(100); {
	case n < 18:
		return ""
	case n < 48:
		return "User"
	case n < 66:
		return "BusinessUnit"
	case n < 82:
		return "ParentChild"
	default:
		return "Organization"
	}
}

func oracleRoleID(i int) string     { return fmt.Sprintf("7e1e0000-0000-4000-8000-%012d", i+1) }
func oraclePositionID(i int) string { return fmt.Sprintf("90500000-0000-4000-8000-%012d", i+1) }
func oracleProfileID(i int) string  { return fmt.Sprintf("f5f00000-0000-4000-8000-%012d", i+1) }

// drawOracleModel draws a model over the pools.
func drawOracleModel(r *rand.Rand) security.Model {
	var m security.Model
	for i, id := range poolBUs {
		b := security.BusinessUnitDef{ID: id, Name: fmt.Sprintf("unit %d", i+1)}
		if i > 0 {
			b.ParentID = poolBUs[r.Intn(i)]
		}
		m.BusinessUnits = append(m.BusinessUnits, b)
	}
	for i := range 4 {
		role := security.RoleDef{ID: oracleRoleID(i), Name: fmt.Sprintf("role %d", i+1), Admin: percent(r, 6)}
		for _, table := range []string{"account", "contact"} {
			for _, p := range oraclePrivileges {
				if d := drawOracleDepth(r); d != "" {
					role.Privileges = append(role.Privileges, security.PrivilegeDef{Table: table, Privilege: p, Depth: d})
				}
			}
		}
		m.Roles = append(m.Roles, role)
	}
	assignments := func(max int) []security.RoleAssignment {
		var out []security.RoleAssignment
		for range 1 + r.Intn(max) {
			a := security.RoleAssignment{RoleID: oracleRoleID(r.Intn(len(m.Roles)))}
			if percent(r, 30) {
				a.BusinessUnitID = pickOne(r, poolBUs)
			}
			out = append(out, a)
		}
		return out
	}
	positions := percent(r, 30)
	if positions {
		for i := range 4 {
			p := security.PositionDef{ID: oraclePositionID(i), Name: fmt.Sprintf("position %d", i+1)}
			if i > 0 {
				p.ParentID = oraclePositionID(r.Intn(i))
			}
			m.Positions = append(m.Positions, p)
		}
	}
	for i, id := range poolUsers {
		u := security.UserDef{ID: id, Name: fmt.Sprintf("user %d", i+1), BusinessUnitID: pickOne(r, poolBUs), Roles: assignments(2)}
		if i > 0 && percent(r, 65) {
			u.ManagerID = poolUsers[r.Intn(i)]
		}
		if positions && percent(r, 75) {
			u.PositionID = oraclePositionID(r.Intn(4))
		}
		m.Users = append(m.Users, u)
	}
	for i, id := range poolTeams {
		t := security.TeamDef{ID: id, Name: fmt.Sprintf("team %d", i+1), BusinessUnitID: pickOne(r, poolBUs)}
		if percent(r, 30) {
			t.Type = security.AccessTeam
		} else {
			t.Roles = assignments(1)
			if percent(r, 50) {
				t.Inheritance = security.DirectUserBasic
			}
		}
		for _, u := range poolUsers {
			if percent(r, 30) {
				t.Members = append(t.Members, u)
			}
		}
		m.Teams = append(m.Teams, t)
	}
	if percent(r, 60) {
		m.Hierarchy = security.HierarchySettings{Enabled: true, Depth: r.Intn(4)}
		if positions && percent(r, 60) {
			m.Hierarchy.Model = security.PositionHierarchy
		}
	}
	for _, table := range []string{"account", "contact"} {
		td := security.TableDef{Name: table, HierarchyExcluded: percent(r, 10)}
		for _, c := range oracleSecurable[table] {
			if percent(r, 45) {
				td.SecuredColumns = append(td.SecuredColumns, c)
			}
		}
		m.Tables = append(m.Tables, td)
	}
	for i := range r.Intn(3) {
		f := security.FieldProfile{ID: oracleProfileID(i), Name: fmt.Sprintf("profile %d", i+1)}
		for _, u := range poolUsers {
			if percent(r, 35) {
				f.Users = append(f.Users, u)
			}
		}
		for _, t := range poolTeams {
			if percent(r, 20) {
				f.Teams = append(f.Teams, t)
			}
		}
		for _, td := range m.Tables {
			for _, c := range td.SecuredColumns {
				if percent(r, 60) {
					f.Columns = append(f.Columns, security.ColumnPermission{Table: td.Name, Column: c, Read: percent(r, 60), Update: percent(r, 50), Create: percent(r, 50)})
				}
			}
		}
		m.FieldProfiles = append(m.FieldProfiles, f)
	}
	return m
}

func oraclePrincipals() []string { return append(slices.Clone(poolUsers), poolTeams...) }

// drawOracleRows draws the starting records and the shares and field shares
// over them.
func drawOracleRows(r *rand.Rand, m *security.Model) []seedRow {
	o := oracleModel{m}
	var rows []seedRow
	add := func(table, id string) *seedRow {
		owner := pickOne(r, poolUsers)
		if percent(r, 20) {
			owner = pickOne(r, poolTeams)
		}
		bu := o.home(owner)
		if percent(r, 30) {
			bu = pickOne(r, poolBUs)
		}
		rows = append(rows, seedRow{Table: table, ID: id, Owner: owner, BU: bu, Values: map[string]string{}})
		return &rows[len(rows)-1]
	}
	for i, id := range poolAccounts {
		s := add("account", id)
		s.Values["name"] = drawOracleText(r)
		if percent(r, 50) {
			s.Values["revenue"] = drawOracleDecimal(r)
		}
		if i > 0 && percent(r, 40) {
			s.Values["parentaccountid"] = poolAccounts[r.Intn(i)]
		}
	}
	for _, id := range poolContacts {
		s := add("contact", id)
		s.Values["fullname"] = drawOracleText(r)
		if percent(r, 60) {
			s.Values["parentcustomerid"] = pickOne(r, poolAccounts)
		}
	}
	for range r.Intn(5) {
		sr := pickOne(r, rows)
		var rights security.Rights
		for _, p := range oraclePrivileges {
			if percent(r, 35) {
				rights |= oracleShareBit[p]
			}
		}
		sh := security.ShareDef{Table: sr.Table, ObjectID: sr.ID, PrincipalID: pickOne(r, oraclePrincipals()), Rights: rights}
		if percent(r, 15) {
			sh.Inherited = oracleShareBit[pickOne(r, oraclePrivileges)]
		}
		m.Shares = append(m.Shares, sh)
	}
	for range r.Intn(3) {
		sr := pickOne(r, rows)
		var cols []string
		for _, td := range m.Tables {
			if td.Name == sr.Table {
				cols = td.SecuredColumns
			}
		}
		if len(cols) == 0 {
			continue
		}
		m.FieldShares = append(m.FieldShares, security.FieldShareDef{Table: sr.Table, Column: pickOne(r, cols), ObjectID: sr.ID,
			PrincipalID: pickOne(r, oraclePrincipals()), Read: percent(r, 50), Update: percent(r, 70)})
	}
	return rows
}

var oracleWords = []string{"Contoso", "Fabrikam", "Ünïcödé", "Northwind", "Łódź", "o'Brien", "Tailspin", "Adatum", "Žluťoučký"}

func drawOracleText(r *rand.Rand) string {
	return fmt.Sprintf("%s %d", pickOne(r, oracleWords), r.Intn(1000))
}

func drawOracleDecimal(r *rand.Rand) string {
	return pickOne(r, []string{"0", "1000.5", "250000", "75000.25", "12.75", "-3.5", "999999.5"})
}

func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// drawWriteCase draws a whole case.
func drawWriteCase(r *rand.Rand) *writeCase {
	c := &writeCase{Model: drawOracleModel(r)}
	c.Rows = drawOracleRows(r, &c.Model)
	for i := range 3 {
		c.Writes = append(c.Writes, drawWriteSpec(r, c, i))
	}
	return c
}

func drawWriteSpec(r *rand.Rand, c *writeCase, n int) writeSpec {
	w := writeSpec{Caller: pickOne(r, poolUsers), API: pickOne(r, []string{"sdk", "odata"}), Table: "account"}
	if percent(r, 35) {
		w.Table = "contact"
	}
	switch k := r.Intn(100); {
	case k < 35:
		w.Op = "create"
		if percent(r, 30) {
			w.ID = fmt.Sprintf("0ace0000-0000-4000-8000-%012d", n+1)
		}
	case k < 85:
		w.Op = "update"
	default:
		w.Op = "delete"
	}
	if w.Op != "create" {
		var ids []string
		for _, s := range c.Rows {
			if s.Table == w.Table {
				ids = append(ids, s.ID)
			}
		}
		w.ID = pickOne(r, ids)
		for _, s := range c.Rows { // the owner writes their own rows often
			if s.ID == w.ID && slices.Contains(poolUsers, s.Owner) && percent(r, 40) {
				w.Caller = s.Owner
			}
		}
		if percent(r, 8) {
			w.ID = oracleMissingID
		}
		w.ID = spellOracleGUID(r, w.ID)
	}
	if w.Op == "delete" {
		return w
	}
	cols := slices.Clone(oracleTables[w.Table])
	r.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
	for _, col := range cols[:r.Intn(4)] {
		w.Attrs = append(w.Attrs, bodyAttr{Key: spellOracleKey(r, col.name), Value: drawBodyValue(r, w.Table, col)})
	}
	if w.Op == "update" && percent(r, 12) { // a value the row holds already
		for _, s := range c.Rows {
			if strings.EqualFold(s.ID, strings.Trim(w.ID, "{}")) {
				w.Attrs = append(w.Attrs, bodyAttr{Key: "ownerid", Value: rawJSON(s.Owner)})
			}
		}
	}
	// The shapes that must be refused or decoded exactly.
	refCols := slices.DeleteFunc(slices.Clone(oracleTables[w.Table]), func(c oracleColumn) bool { return !c.kind.isRef() })
	switch k := r.Intn(100); {
	case k < 8 && len(w.Attrs) > 0: // a second spelling of an attribute
		a := pickOne(r, w.Attrs)
		col, _ := oracleCol(w.Table, a.Key)
		w.Attrs = append(w.Attrs, bodyAttr{Key: otherSpelling(a.Key), Value: drawBodyValue(r, w.Table, col)})
	case k < 14 && len(w.Attrs) > 0: // the same key twice
		a := pickOne(r, w.Attrs)
		col, _ := oracleCol(w.Table, a.Key)
		w.Attrs = append(w.Attrs, bodyAttr{Key: a.Key, Value: drawBodyValue(r, w.Table, col)})
	case k < 17:
		w.Attrs = append(w.Attrs, bodyAttr{Key: "new_nosuchcolumn", Value: rawJSON("x")})
	case k < 22:
		col := pickOne(r, refCols)
		w.Attrs = append(w.Attrs, bodyAttr{Key: "_" + col.name + "_value", Value: rawJSON(drawOracleRef(r, w.Table, col))})
	case k < 30 && w.API == "odata":
		col := pickOne(r, refCols)
		set := oracleEntitySets[col.target]
		switch col.kind {
		case kOwner:
			set = "systemusers"
		case kUnit:
			set = "businessunits"
		}
		w.Attrs = append(w.Attrs, bodyAttr{Key: col.name + "@odata.bind", Value: rawJSON("/" + set + "(" + drawOracleRef(r, w.Table, col) + ")")})
	}
	return w
}

func spellOracleGUID(r *rand.Rand, g string) string {
	switch n := r.Intn(100); {
	case n < 15:
		return strings.ToUpper(g)
	case n < 22:
		return "{" + g + "}"
	}
	return g
}

func spellOracleKey(r *rand.Rand, k string) string {
	if percent(r, 15) {
		return otherSpelling(k)
	}
	return k
}

// otherSpelling is another spelling of a column name: OwnerId for ownerid.
func otherSpelling(k string) string {
	if k == strings.ToLower(k) {
		return strings.ToUpper(k[:1]) + k[1:len(k)-2] + strings.ToUpper(k[len(k)-2:len(k)-1]) + k[len(k)-1:]
	}
	return strings.ToLower(k)
}

// drawOracleRef draws the GUID a reference column is set to: mostly a row of
// the right kind, sometimes one of another kind or none at all.
func drawOracleRef(r *rand.Rand, table string, c oracleColumn) string {
	if percent(r, 8) {
		return "0b0b0000-0000-4000-8000-0000000000ee" // no such record anywhere
	}
	switch c.kind {
	case kOwner:
		if percent(r, 75) {
			return pickOne(r, poolUsers)
		}
		if percent(r, 80) {
			return pickOne(r, poolTeams)
		}
		return pickOne(r, poolBUs)
	case kUnit:
		if percent(r, 90) {
			return pickOne(r, poolBUs)
		}
		return pickOne(r, poolUsers)
	}
	if percent(r, 10) {
		return pickOne(r, poolUsers)
	}
	if c.target == "contact" {
		return pickOne(r, poolContacts)
	}
	return pickOne(r, poolAccounts)
}

func drawBodyValue(r *rand.Rand, table string, c oracleColumn) json.RawMessage {
	switch c.kind {
	case kString:
		if percent(r, 5) {
			return rawJSON(nil)
		}
		return rawJSON(drawOracleText(r))
	case kInt:
		return json.RawMessage(fmt.Sprint(r.Intn(100000)))
	case kDecimal:
		if percent(r, 20) {
			return json.RawMessage(`{"Value":` + drawOracleDecimal(r) + `}`)
		}
		return json.RawMessage(drawOracleDecimal(r))
	}
	id, other := drawOracleRef(r, table, c), drawOracleRef(r, table, c)
	logical := c.target
	switch c.kind {
	case kOwner:
		logical = "systemuser"
		if slices.Contains(poolTeams, id) {
			logical = "team"
		}
	case kUnit:
		logical = "businessunit"
	}
	if percent(r, 85) { // shapes with one meaning
		switch n := r.Intn(100); {
		case n < 35:
			return rawJSON(id)
		case n < 45:
			return rawJSON(strings.ToUpper(id))
		case n < 50:
			return rawJSON("{" + id + "}")
		case n < 65:
			return rawJSON(map[string]any{"Id": id})
		case n < 74:
			return rawJSON(map[string]any{"Id": spellOracleGUID(r, id), "LogicalName": logical})
		case n < 78:
			return rawJSON(map[string]any{"Id": id, "LogicalName": logical, "Name": drawOracleText(r)})
		case n < 83:
			return rawJSON(map[string]any{"id": id})
		case n < 86:
			return rawJSON(map[string]any{"ID": id})
		case n < 94:
			return rawJSON(map[string]any{"Value": id})
		default:
			return rawJSON(nil)
		}
	}
	switch n := r.Intn(100); { // shapes to refuse (null: for owner and unit)
	case n < 25:
		return rawJSON(map[string]any{"Id": id, "Value": other})
	case n < 40:
		return json.RawMessage(fmt.Sprintf(`{"Id":%q,"id":%q}`, id, other))
	case n < 50:
		return rawJSON(map[string]any{"Id": id, "Owner": true})
	case n < 62:
		return rawJSON(map[string]any{"Id": id, "LogicalName": "opportunity"})
	case n < 80:
		return rawJSON(nil)
	case n < 92:
		return rawJSON("")
	default:
		return rawJSON("not-a-guid")
	}
}

// writeCaseGen is the gopter generator of cases; shrinkWriteCase shrinks them.
func writeCaseGen() gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(drawWriteCase(p.Rng), shrinkWriteCase)
	}
}

// shrinkWriteCase yields the cases one step smaller: a write, an attribute, a
// share, a field share, a profile, a role assignment, a privilege, a
// team member, a manager, the hierarchy or a starting value removed.
func shrinkWriteCase(v any) gopter.Shrink {
	vs := writeCaseVariants(v.(*writeCase))
	i := 0
	return func() (any, bool) {
		if i >= len(vs) {
			return nil, false
		}
		i++
		return vs[i-1], true
	}
}

func writeCaseVariants(c *writeCase) []*writeCase {
	var out []*writeCase
	try := func(edit func(*writeCase) bool) {
		d := c.clone()
		if edit(d) {
			out = append(out, d)
		}
	}
	for i := range c.Writes {
		try(func(d *writeCase) bool { d.Writes = slices.Delete(d.Writes, i, i+1); return len(d.Writes) > 0 })
	}
	for i, w := range c.Writes {
		for j := range w.Attrs {
			try(func(d *writeCase) bool { d.Writes[i].Attrs = slices.Delete(d.Writes[i].Attrs, j, j+1); return true })
		}
		if w.Caller != poolUsers[0] {
			try(func(d *writeCase) bool { d.Writes[i].Caller = poolUsers[0]; return true })
		}
	}
	m := &c.Model
	for i := range m.Shares {
		try(func(d *writeCase) bool { d.Model.Shares = slices.Delete(d.Model.Shares, i, i+1); return true })
	}
	for i := range m.FieldShares {
		try(func(d *writeCase) bool { d.Model.FieldShares = slices.Delete(d.Model.FieldShares, i, i+1); return true })
	}
	for i := range m.FieldProfiles {
		try(func(d *writeCase) bool {
			d.Model.FieldProfiles = slices.Delete(d.Model.FieldProfiles, i, i+1)
			return true
		})
	}
	for i, u := range m.Users {
		for j := range u.Roles {
			try(func(d *writeCase) bool {
				d.Model.Users[i].Roles = slices.Delete(d.Model.Users[i].Roles, j, j+1)
				return true
			})
		}
		if u.ManagerID != "" {
			try(func(d *writeCase) bool { d.Model.Users[i].ManagerID = ""; return true })
		}
	}
	for i, t := range m.Teams {
		for j := range t.Roles {
			try(func(d *writeCase) bool {
				d.Model.Teams[i].Roles = slices.Delete(d.Model.Teams[i].Roles, j, j+1)
				return true
			})
		}
		for j := range t.Members {
			try(func(d *writeCase) bool {
				d.Model.Teams[i].Members = slices.Delete(d.Model.Teams[i].Members, j, j+1)
				return true
			})
		}
	}
	for i, ro := range m.Roles {
		for j := range ro.Privileges {
			try(func(d *writeCase) bool {
				d.Model.Roles[i].Privileges = slices.Delete(d.Model.Roles[i].Privileges, j, j+1)
				return true
			})
		}
	}
	for i := range m.Teams {
		try(func(d *writeCase) bool { d.Model.Teams = slices.Delete(d.Model.Teams, i, i+1); return true })
	}
	for i := range m.Roles {
		try(func(d *writeCase) bool { d.Model.Roles = slices.Delete(d.Model.Roles, i, i+1); return true })
	}
	for i, u := range m.Users {
		try(func(d *writeCase) bool {
			d.Model.Users = slices.Delete(d.Model.Users, i, i+1)
			return !slices.ContainsFunc(d.Writes, func(w writeSpec) bool { return w.Caller == u.ID })
		})
	}
	for i := range c.Rows {
		try(func(d *writeCase) bool { d.Rows = slices.Delete(d.Rows, i, i+1); return true })
	}
	for i := range m.Positions {
		try(func(d *writeCase) bool { d.Model.Positions = slices.Delete(d.Model.Positions, i, i+1); return true })
	}
	if m.Hierarchy.Enabled {
		try(func(d *writeCase) bool { d.Model.Hierarchy = security.HierarchySettings{}; return true })
	}
	for i, s := range c.Rows {
		for k := range s.Values {
			try(func(d *writeCase) bool { delete(d.Rows[i].Values, k); return true })
		}
	}
	return out
}
