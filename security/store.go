package security

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The model in the database: Dataverse-shaped tables (systemuser,
// businessunit, team, teammembership, role, roleprivileges,
// systemuserroles, teamroles, principalobjectaccess, fieldsecurityprofile,
// fieldpermission, systemuserprofiles, teamprofiles,
// msdyn_externalportalusermapping) and vecompile_* tables for what
// Dataverse keeps in metadata or organization settings (table ownership
// and secured columns, user companies, XDS policies, hierarchy and portal
// settings). FromRows and Rows convert between them and a Model; package
// engine does the I/O. schema.sql is SchemaSQL("sqlite", "").

// ColumnKind is a stored column's portable type.
type ColumnKind uint8

const (
	KindID   ColumnKind = iota // a GUID as text, CHAR(36)
	KindText                   // VARCHAR(200)
	KindLong                   // TEXT
	KindInt                    // INTEGER
	KindBool                   // BOOLEAN
)

// StoredColumn is one column of a security table.
type StoredColumn struct {
	Name string
	Kind ColumnKind
	// Optional columns may be absent from an existing table (a
	// Dataverse-shaped systemuser without positionid): they then read as
	// NULL, and storing a value in one is an error.
	Optional bool
}

// SQLType is the column's type in the schema (every dialect).
func (c StoredColumn) SQLType() string {
	return map[ColumnKind]string{KindID: "CHAR(36)", KindText: "VARCHAR(200)", KindLong: "TEXT", KindInt: "INTEGER", KindBool: "BOOLEAN"}[c.Kind]
}

// StoredTable is one table of the security schema; the first column is the
// primary key.
type StoredTable struct {
	Name    string
	Columns []StoredColumn
	// Directory tables (users, business units, teams, membership) usually
	// exist already in a Dataverse-shaped database; init creates them only
	// when absent and the loader reads only the columns listed here.
	Directory bool
	// Optional tables may be absent: they then hold nothing.
	Optional bool
	// Link tables have a generated key; a row is identified by its other
	// columns (init skips rows already present that way).
	Link bool
}

func cols(spec string) []StoredColumn {
	var out []StoredColumn
	for _, f := range strings.Fields(spec) {
		name, kind, _ := strings.Cut(f, ":")
		kind, optional := strings.CutSuffix(kind, "?")
		k := map[string]ColumnKind{"id": KindID, "text": KindText, "long": KindLong, "int": KindInt, "bool": KindBool}[kind]
		out = append(out, StoredColumn{Name: name, Kind: k, Optional: optional})
	}
	return out
}

// Tables is the security schema, in creation (and load) order.
var Tables = []StoredTable{
	{Name: "businessunit", Directory: true, Columns: cols("businessunitid:id name:text parentbusinessunitid:id")},
	// positionid (optional): the user's place in the position hierarchy.
	{Name: "systemuser", Directory: true, Columns: cols("systemuserid:id fullname:text businessunitid:id parentsystemuserid:id isdisabled:bool positionid:id?")},
	{Name: "position", Directory: true, Optional: true, Columns: cols("positionid:id name:text parentpositionid:id")},
	// azureactivedirectoryobjectid (optional): a group team's Entra group.
	{Name: "team", Directory: true, Optional: true, Columns: cols("teamid:id name:text businessunitid:id teamtype:int azureactivedirectoryobjectid:id?")},
	{Name: "teammembership", Link: true, Directory: true, Optional: true, Columns: cols("teammembershipid:id teamid:id systemuserid:id")},
	{Name: "role", Columns: cols("roleid:id name:text isadministrator:bool")},
	// privilegename is Dataverse's: prv<Privilege><Table> (prvReadAccount);
	// privilegedepthmask is Basic=1, Local=2, Deep=4, Global=8.
	{Name: "roleprivileges", Link: true, Columns: cols("roleprivilegeid:id roleid:id privilegename:text privilegedepthmask:int")},
	// businessunitid: the business unit the assignment grants in (modernized
	// business units); NULL means the user's or team's own.
	{Name: "systemuserroles", Link: true, Columns: cols("systemuserroleid:id systemuserid:id roleid:id businessunitid:id")},
	{Name: "teamroles", Link: true, Optional: true, Columns: cols("teamroleid:id teamid:id roleid:id businessunitid:id")},
	{Name: "principalobjectaccess", Link: true, Optional: true, Columns: cols("principalobjectaccessid:id principalid:id principaltypecode:text objectid:id objecttypecode:text accessrightsmask:int inheritedaccessrightsmask:int")},
	// Field sharing: objecttypecode and attributelogicalname name the table
	// and column (Dataverse's attributeid is a metadata id).
	{Name: "principalobjectattributeaccess", Link: true, Optional: true, Columns: cols("principalobjectattributeaccessid:id principalid:id objectid:id objecttypecode:text attributelogicalname:text readaccess:bool updateaccess:bool")},
	{Name: "fieldsecurityprofile", Optional: true, Columns: cols("fieldsecurityprofileid:id name:text")},
	// canread, canupdate, cancreate: Dataverse's 4 = allowed, 0 = not.
	{Name: "fieldpermission", Link: true, Optional: true, Columns: cols("fieldpermissionid:id fieldsecurityprofileid:id entityname:text attributelogicalname:text canread:int canupdate:int cancreate:int")},
	{Name: "systemuserprofiles", Link: true, Optional: true, Columns: cols("systemuserprofileid:id systemuserid:id fieldsecurityprofileid:id")},
	{Name: "teamprofiles", Link: true, Optional: true, Columns: cols("teamprofileid:id teamid:id fieldsecurityprofileid:id")},
	{Name: "msdyn_externalportalusermapping", Link: true, Optional: true, Columns: cols("msdyn_externalportalusermappingid:id contactid:id systemuserid:id")},
	// ownership: 0 user or team owned, 1 organization owned; securedcolumns
	// comma-separated.
	{Name: "vecompile_tablesecurity", Optional: true, Columns: cols("tablename:text ownership:int company:bool hierarchyexcluded:bool securedcolumns:long")},
	{Name: "vecompile_usercompany", Link: true, Optional: true, Columns: cols("vecompile_usercompanyid:id systemuserid:id dataareaid:text isdefault:bool")},
	// roles: comma-separated role names or ids (the policy's context).
	{Name: "vecompile_xdspolicy", Optional: true, Columns: cols("name:text primarytable:text primarykey:text roles:long")},
	{Name: "vecompile_xdsconstraint", Link: true, Optional: true, Columns: cols("vecompile_xdsconstraintid:id policyname:text tablename:text columnname:text")},
	// vals: a JSON array of the condition's values.
	{Name: "vecompile_xdsrange", Link: true, Optional: true, Columns: cols("vecompile_xdsrangeid:id policyname:text columnname:text operator:text vals:long")},
	// hierarchy.enabled, hierarchy.depth, hierarchy.model (manager or
	// position), portal.anonymoususerid,
	// team.<teamid>.inheritance (1: direct user basic access).
	{Name: "vecompile_securitysetting", Optional: true, Columns: cols("name:text value:long")},
}

// SchemaSQL is the DDL creating the security tables that are absent (IF
// NOT EXISTS), with physical names prefix+name, for sqlite, postgres or
// mysql.
func SchemaSQL(dialect, prefix string) string {
	q := func(s string) string {
		if dialect == "mysql" {
			return "`" + s + "`"
		}
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteString("-- vecompile security schema (security.SchemaSQL(\"" + dialect + "\", \"" + prefix + "\")).\n")
	b.WriteString("-- Directory tables (businessunit, systemuser, position, team, teammembership) are\n")
	b.WriteString("-- created only when absent; existing ones need at least the columns listed here,\n")
	b.WriteString("-- except the optional ones (systemuser.positionid: only for position hierarchy;\n")
	b.WriteString("-- team.azureactivedirectoryobjectid: only for Entra group teams).\n")
	for _, t := range Tables {
		fmt.Fprintf(&b, "\nCREATE TABLE IF NOT EXISTS %s (\n", q(prefix+t.Name))
		for i, c := range t.Columns {
			fmt.Fprintf(&b, "  %s %s", q(c.Name), c.SQLType())
			if i == 0 {
				b.WriteString(" NOT NULL PRIMARY KEY")
			}
			if i < len(t.Columns)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(");\n")
	}
	return b.String()
}

// Row is one stored row: values in StoredTable.Columns order (string,
// int64, bool or nil).
type Row []any

// Rows converts a model to stored rows per table. Link rows get
// deterministic ids.
func Rows(m *Model) map[string][]Row {
	out := map[string][]Row{}
	n := 0
	id := func() string { n++; return fmt.Sprintf("5ec00000-0000-4000-8000-%012x", n) }
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	add := func(t string, r ...any) { out[t] = append(out[t], r) }
	for _, b := range m.BusinessUnits {
		add("businessunit", b.ID, b.Name, null(b.ParentID))
	}
	for _, u := range m.Users {
		add("systemuser", u.ID, u.Name, u.BusinessUnitID, null(u.ManagerID), u.Disabled, null(u.PositionID))
		for _, a := range u.Roles {
			add("systemuserroles", id(), u.ID, a.RoleID, null(a.BusinessUnitID))
		}
		for _, c := range u.Companies {
			add("vecompile_usercompany", id(), u.ID, c, strings.EqualFold(c, u.DefaultCompany))
		}
	}
	for _, p := range m.Positions {
		add("position", p.ID, p.Name, null(p.ParentID))
	}
	settings := [][2]string{}
	for _, t := range m.Teams {
		add("team", t.ID, t.Name, t.BusinessUnitID, int64(t.Type), null(t.EntraObjectID))
		for _, mem := range t.Members {
			add("teammembership", id(), t.ID, mem)
		}
		for _, a := range t.Roles {
			add("teamroles", id(), t.ID, a.RoleID, null(a.BusinessUnitID))
		}
		if t.Inheritance != TeamPrivilegesOnly {
			settings = append(settings, [2]string{"team." + t.ID + ".inheritance", strconv.Itoa(int(t.Inheritance))})
		}
	}
	for _, r := range m.Roles {
		add("role", r.ID, r.Name, r.Admin)
		for _, p := range r.Privileges {
			priv, _ := PrivilegeByName(p.Privilege)
			d, _ := DepthByName(p.Depth)
			add("roleprivileges", id(), r.ID, PrivilegeName(p.Table, priv), int64(depthMask(d)))
		}
	}
	for _, s := range m.Shares {
		kind := "systemuser"
		for _, t := range m.Teams {
			if t.ID == s.PrincipalID {
				kind = "team"
			}
		}
		add("principalobjectaccess", id(), s.PrincipalID, kind, s.ObjectID, s.Table, int64(s.Rights), int64(s.Inherited))
	}
	for _, f := range m.FieldShares {
		add("principalobjectattributeaccess", id(), f.PrincipalID, f.ObjectID, f.Table, f.Column, f.Read, f.Update)
	}
	for _, f := range m.FieldProfiles {
		add("fieldsecurityprofile", f.ID, f.Name)
		for _, c := range f.Columns {
			add("fieldpermission", id(), f.ID, c.Table, c.Column, allowed(c.Read), allowed(c.Update), allowed(c.Create))
		}
		for _, u := range f.Users {
			add("systemuserprofiles", id(), u, f.ID)
		}
		for _, t := range f.Teams {
			add("teamprofiles", id(), t, f.ID)
		}
	}
	for _, p := range m.Portal.Contacts {
		add("msdyn_externalportalusermapping", id(), p.ContactID, p.UserID)
	}
	for _, t := range m.Tables {
		add("vecompile_tablesecurity", t.Name, int64(t.Ownership), t.Company, t.HierarchyExcluded, strings.Join(t.SecuredColumns, ","))
	}
	for _, p := range m.Policies {
		add("vecompile_xdspolicy", p.Name, p.PrimaryTable, p.PrimaryKey, strings.Join(p.Roles, ","))
		for _, c := range p.Constrained {
			add("vecompile_xdsconstraint", id(), p.Name, c.Table, c.Column)
		}
		for _, r := range p.Ranges {
			vals, _ := json.Marshal(r.Values)
			add("vecompile_xdsrange", id(), p.Name, r.Column, r.Operator, string(vals))
		}
	}
	if m.Hierarchy.Enabled {
		settings = append(settings, [2]string{"hierarchy.enabled", "1"})
	}
	if m.Hierarchy.Depth != 0 {
		settings = append(settings, [2]string{"hierarchy.depth", strconv.Itoa(m.Hierarchy.Depth)})
	}
	if m.Hierarchy.Model != "" {
		settings = append(settings, [2]string{"hierarchy.model", string(m.Hierarchy.Model)})
	}
	if m.Portal.AnonymousUserID != "" {
		settings = append(settings, [2]string{"portal.anonymoususerid", m.Portal.AnonymousUserID})
	}
	for _, s := range settings {
		add("vecompile_securitysetting", s[0], s[1])
	}
	return out
}

func allowed(b bool) int64 {
	if b {
		return 4
	}
	return 0
}

func depthMask(d Depth) int {
	return map[Depth]int{User: 1, BusinessUnit: 2, ParentChild: 4, Organization: 8}[d]
}

// depthOfMask takes the deepest bit of a privilegedepthmask.
func depthOfMask(mask int64) Depth {
	switch {
	case mask&8 != 0:
		return Organization
	case mask&4 != 0:
		return ParentChild
	case mask&2 != 0:
		return BusinessUnit
	case mask&1 != 0:
		return User
	}
	return None
}

// parsePrivilegeName splits prvReadAccount into Read and "account".
func parsePrivilegeName(name string) (Privilege, string, bool) {
	rest, ok := strings.CutPrefix(name, "prv")
	if !ok {
		return 0, "", false
	}
	// Longest privilege name first: AppendTo before Append.
	names := slices.Clone(privilegeNames[:])
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		if t, ok := strings.CutPrefix(rest, n); ok && t != "" {
			p, _ := PrivilegeByName(n)
			return p, strings.ToLower(t), true
		}
	}
	return 0, "", false
}

// FromRows builds a model from stored rows per table (as Rows gives them;
// absent optional tables have no entry). Values may be string, []byte,
// int64, bool or nil, as database drivers return them.
func FromRows(rows map[string][]Row) (*Model, error) {
	m := &Model{}
	s := func(v any) string {
		switch v := v.(type) {
		case nil:
			return ""
		case []byte:
			return strings.ToLower(strings.TrimSpace(string(v)))
		case string:
			return strings.ToLower(strings.TrimSpace(v))
		}
		return strings.ToLower(fmt.Sprint(v))
	}
	text := func(v any) string { // names keep their case
		switch v := v.(type) {
		case nil:
			return ""
		case []byte:
			return string(v)
		}
		return fmt.Sprint(v)
	}
	i64 := func(v any) int64 {
		switch v := v.(type) {
		case int64:
			return v
		case int32:
			return int64(v)
		case bool:
			if v {
				return 1
			}
			return 0
		case float64:
			return int64(v)
		}
		n, _ := strconv.ParseInt(s(v), 10, 64)
		return n
	}
	boolean := func(v any) bool {
		switch x := s(v); x {
		case "true", "t", "1":
			return true
		}
		return i64(v) != 0
	}
	for _, r := range rows["businessunit"] {
		m.BusinessUnits = append(m.BusinessUnits, BusinessUnitDef{ID: s(r[0]), Name: text(r[1]), ParentID: s(r[2])})
	}
	userAt := map[string]int{}
	for _, r := range rows["systemuser"] {
		userAt[s(r[0])] = len(m.Users)
		u := UserDef{ID: s(r[0]), Name: text(r[1]), BusinessUnitID: s(r[2]), ManagerID: s(r[3]), Disabled: boolean(r[4])}
		if len(r) > 5 {
			u.PositionID = s(r[5])
		}
		m.Users = append(m.Users, u)
	}
	for _, r := range rows["position"] {
		m.Positions = append(m.Positions, PositionDef{ID: s(r[0]), Name: text(r[1]), ParentID: s(r[2])})
	}
	user := func(id string) (*UserDef, error) {
		i, ok := userAt[id]
		if !ok {
			return nil, modelError("stored security: user %s is not in systemuser", id)
		}
		return &m.Users[i], nil
	}
	for _, r := range rows["systemuserroles"] {
		u, err := user(s(r[1]))
		if err != nil {
			return nil, err
		}
		u.Roles = append(u.Roles, RoleAssignment{RoleID: s(r[2]), BusinessUnitID: s(r[3])})
	}
	for _, r := range rows["vecompile_usercompany"] {
		u, err := user(s(r[1]))
		if err != nil {
			return nil, err
		}
		u.Companies = append(u.Companies, text(r[2]))
		if boolean(r[3]) {
			u.DefaultCompany = text(r[2])
		}
	}
	settings := map[string]string{}
	for _, r := range rows["vecompile_securitysetting"] {
		settings[s(r[0])] = text(r[1])
	}
	teamAt := map[string]int{}
	for _, r := range rows["team"] {
		id := s(r[0])
		teamAt[id] = len(m.Teams)
		inh, _ := strconv.Atoi(settings["team."+id+".inheritance"])
		t := TeamDef{ID: id, Name: text(r[1]), BusinessUnitID: s(r[2]), Type: TeamType(i64(r[3])), Inheritance: Inheritance(inh)}
		if len(r) > 4 {
			t.EntraObjectID = s(r[4])
		}
		m.Teams = append(m.Teams, t)
	}
	team := func(id string) (*TeamDef, error) {
		i, ok := teamAt[id]
		if !ok {
			return nil, modelError("stored security: team %s is not in team", id)
		}
		return &m.Teams[i], nil
	}
	for _, r := range rows["teammembership"] {
		t, err := team(s(r[1]))
		if err != nil {
			return nil, err
		}
		t.Members = append(t.Members, s(r[2]))
	}
	for _, r := range rows["teamroles"] {
		t, err := team(s(r[1]))
		if err != nil {
			return nil, err
		}
		t.Roles = append(t.Roles, RoleAssignment{RoleID: s(r[2]), BusinessUnitID: s(r[3])})
	}
	roleAt := map[string]int{}
	for _, r := range rows["role"] {
		roleAt[s(r[0])] = len(m.Roles)
		m.Roles = append(m.Roles, RoleDef{ID: s(r[0]), Name: text(r[1]), Admin: boolean(r[2])})
	}
	for _, r := range rows["roleprivileges"] {
		i, ok := roleAt[s(r[1])]
		if !ok {
			return nil, modelError("stored security: roleprivileges names role %s, not in role", s(r[1]))
		}
		priv, table, ok := parsePrivilegeName(text(r[2]))
		if !ok {
			return nil, modelError("stored security: privilege name %q is not prv<Privilege><Table>", text(r[2]))
		}
		d := depthOfMask(i64(r[3]))
		m.Roles[i].Privileges = append(m.Roles[i].Privileges, PrivilegeDef{Table: table, Privilege: priv.String(), Depth: d.String()})
	}
	for _, r := range rows["principalobjectaccess"] {
		m.Shares = append(m.Shares, ShareDef{PrincipalID: s(r[1]), ObjectID: s(r[3]), Table: s(r[4]), Rights: Rights(i64(r[5])), Inherited: Rights(i64(r[6]))})
	}
	for _, r := range rows["principalobjectattributeaccess"] {
		m.FieldShares = append(m.FieldShares, FieldShareDef{PrincipalID: s(r[1]), ObjectID: s(r[2]), Table: s(r[3]), Column: s(r[4]), Read: boolean(r[5]), Update: boolean(r[6])})
	}
	profAt := map[string]int{}
	for _, r := range rows["fieldsecurityprofile"] {
		profAt[s(r[0])] = len(m.FieldProfiles)
		m.FieldProfiles = append(m.FieldProfiles, FieldProfile{ID: s(r[0]), Name: text(r[1])})
	}
	profile := func(id string) (*FieldProfile, error) {
		i, ok := profAt[id]
		if !ok {
			return nil, modelError("stored security: field security profile %s is not in fieldsecurityprofile", id)
		}
		return &m.FieldProfiles[i], nil
	}
	for _, r := range rows["fieldpermission"] {
		f, err := profile(s(r[1]))
		if err != nil {
			return nil, err
		}
		f.Columns = append(f.Columns, ColumnPermission{Table: s(r[2]), Column: s(r[3]), Read: i64(r[4]) == 4, Update: i64(r[5]) == 4, Create: i64(r[6]) == 4})
	}
	for _, r := range rows["systemuserprofiles"] {
		f, err := profile(s(r[2]))
		if err != nil {
			return nil, err
		}
		f.Users = append(f.Users, s(r[1]))
	}
	for _, r := range rows["teamprofiles"] {
		f, err := profile(s(r[2]))
		if err != nil {
			return nil, err
		}
		f.Teams = append(f.Teams, s(r[1]))
	}
	for _, r := range rows["msdyn_externalportalusermapping"] {
		m.Portal.Contacts = append(m.Portal.Contacts, PortalMapping{ContactID: s(r[1]), UserID: s(r[2])})
	}
	for _, r := range rows["vecompile_tablesecurity"] {
		t := TableDef{Name: s(r[0]), Ownership: Ownership(i64(r[1])), Company: boolean(r[2]), HierarchyExcluded: boolean(r[3])}
		for _, c := range strings.Split(s(r[4]), ",") {
			if c = strings.TrimSpace(c); c != "" {
				t.SecuredColumns = append(t.SecuredColumns, c)
			}
		}
		m.Tables = append(m.Tables, t)
	}
	polAt := map[string]int{}
	for _, r := range rows["vecompile_xdspolicy"] {
		polAt[text(r[0])] = len(m.Policies)
		p := XDSPolicy{Name: text(r[0]), PrimaryTable: s(r[1]), PrimaryKey: s(r[2])}
		for _, role := range strings.Split(text(r[3]), ",") {
			if role = strings.TrimSpace(role); role != "" {
				p.Roles = append(p.Roles, role)
			}
		}
		m.Policies = append(m.Policies, p)
	}
	policy := func(name string) (*XDSPolicy, error) {
		i, ok := polAt[name]
		if !ok {
			return nil, modelError("stored security: XDS policy %q is not in vecompile_xdspolicy", name)
		}
		return &m.Policies[i], nil
	}
	for _, r := range rows["vecompile_xdsconstraint"] {
		p, err := policy(text(r[1]))
		if err != nil {
			return nil, err
		}
		p.Constrained = append(p.Constrained, Constraint{Table: s(r[2]), Column: s(r[3])})
	}
	for _, r := range rows["vecompile_xdsrange"] {
		p, err := policy(text(r[1]))
		if err != nil {
			return nil, err
		}
		rg := Range{Column: s(r[2]), Operator: s(r[3])}
		if v := text(r[4]); v != "" {
			if err := json.Unmarshal([]byte(v), &rg.Values); err != nil {
				return nil, modelError("stored security: XDS policy %q: values %q are not a JSON array", p.Name, v)
			}
		}
		p.Ranges = append(p.Ranges, rg)
	}
	m.Hierarchy.Enabled = settings["hierarchy.enabled"] == "1" || strings.EqualFold(settings["hierarchy.enabled"], "true")
	m.Hierarchy.Depth, _ = strconv.Atoi(settings["hierarchy.depth"])
	m.Hierarchy.Model = HierarchyModel(strings.ToLower(settings["hierarchy.model"]))
	m.Portal.AnonymousUserID = strings.ToLower(settings["portal.anonymoususerid"])
	return m, nil
}
