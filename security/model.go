// Package security is the caller's security model: Dataverse roles,
// business units, teams, sharing, hierarchy and column security, and
// Finance and Operations company scoping and XDS policies. It answers two
// questions: which rows of a table a principal may read (as an ast filter
// the planner resolves like a user filter), and whether a write is allowed.
//
// The package speaks ast and its own types only; package plan adapts it
// (plan may import security, never the reverse).
package security

import (
	"fmt"
	"strings"
)

// Privilege is a per-table privilege of a security role.
type Privilege uint8

const (
	Create Privilege = iota
	Read
	Write
	Delete
	Append
	AppendTo
	Assign
	Share
	numPrivileges
)

var privilegeNames = [...]string{"Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share"}

func (p Privilege) String() string {
	if p < numPrivileges {
		return privilegeNames[p]
	}
	return fmt.Sprintf("Privilege(%d)", uint8(p))
}

// PrivilegeByName looks a privilege up by name, case-insensitively.
func PrivilegeByName(s string) (Privilege, bool) {
	for i, n := range privilegeNames {
		if strings.EqualFold(n, s) {
			return Privilege(i), true
		}
	}
	return 0, false
}

// Right is the POA access-rights bit of the privilege (ShareAccessRights).
func (p Privilege) Right() Rights { return privilegeRights[p] }

var privilegeRights = [...]Rights{Create: RightCreate, Read: RightRead, Write: RightWrite, Delete: RightDelete,
	Append: RightAppend, AppendTo: RightAppendTo, Assign: RightAssign, Share: RightShare}

// Depth is a privilege's access level. Values are ordered: a deeper level
// includes every shallower one.
type Depth uint8

const (
	None         Depth = iota
	User               // Basic: rows the user (or a team holding the privilege) owns
	BusinessUnit       // Local: rows of the role assignment's business unit
	ParentChild        // Deep: that business unit and its descendants
	Organization       // Global: every row
)

var depthNames = [...]string{"None", "User", "BusinessUnit", "ParentChild", "Organization"}

func (d Depth) String() string {
	if int(d) < len(depthNames) {
		return depthNames[d]
	}
	return fmt.Sprintf("Depth(%d)", uint8(d))
}

// DepthByName accepts the UI names and Dataverse's Basic/Local/Deep/Global.
func DepthByName(s string) (Depth, bool) {
	for i, n := range depthNames {
		if strings.EqualFold(n, s) {
			return Depth(i), true
		}
	}
	switch strings.ToLower(s) {
	case "basic":
		return User, true
	case "local":
		return BusinessUnit, true
	case "deep":
		return ParentChild, true
	case "global":
		return Organization, true
	}
	return 0, false
}

// Rights is a principalobjectaccess rights mask.
type Rights uint32

const (
	RightRead     Rights = 1
	RightWrite    Rights = 2
	RightAppend   Rights = 4
	RightAppendTo Rights = 16
	RightCreate   Rights = 32
	RightDelete   Rights = 65536
	RightShare    Rights = 262144
	RightAssign   Rights = 524288
)

// Ownership says how a table's rows are owned.
type Ownership uint8

const (
	// UserOwned rows carry ownerid and owningbusinessunit.
	UserOwned Ownership = iota
	// OrganizationOwned rows have no owner: read depth is none or all.
	OrganizationOwned
)

// TeamType is a team's kind.
type TeamType uint8

const (
	OwnerTeam  TeamType = 0 // owns rows, holds roles
	AccessTeam TeamType = 1 // no roles; rights come from sharing
	// Entra group teams (Dataverse's "AAD security group" and "AAD office
	// group" teams) own rows and hold roles as owner teams do; their
	// members are the members of the Entra group EntraObjectID, which the
	// principal brings (Principal.Groups), plus any listed members.
	EntraSecurityGroupTeam TeamType = 2
	EntraOfficeGroupTeam   TeamType = 3
)

// OwnsRows reports whether teams of this type own rows and hold roles.
func (t TeamType) OwnsRows() bool { return t != AccessTeam }

// Inheritance is an owner team's "member's privilege inheritance".
type Inheritance uint8

const (
	// TeamPrivilegesOnly: a team role's User-level privileges reach the
	// rows the team owns, not the member's own rows.
	TeamPrivilegesOnly Inheritance = iota
	// DirectUserBasic: the team role's User-level privileges also apply to
	// the member's own rows.
	DirectUserBasic
)

// Model is a complete security configuration. It is read from a policy
// file or from Dataverse-shaped tables; both give the same Model. Every id
// is a lower-case canonical GUID (or, for companies, a dataAreaId).
type Model struct {
	// Comment is free text for the person editing a policy file (vecompile
	// security template writes its guidance there); it grants nothing and
	// is not stored in the security tables. Roles and tables have one too.
	Comment       string            `json:"comment,omitempty"`
	BusinessUnits []BusinessUnitDef `json:"businessUnits"`
	Users         []UserDef         `json:"users"`
	Teams         []TeamDef         `json:"teams"`
	Roles         []RoleDef         `json:"roles"`
	Shares        []ShareDef        `json:"shares"`
	Tables        []TableDef        `json:"tables"`
	// Hierarchy is hierarchy security (manager or position hierarchy).
	Hierarchy HierarchySettings `json:"hierarchy"`
	// Positions are the position hierarchy's nodes (Dataverse's position
	// table); users are placed by UserDef.PositionID.
	Positions []PositionDef `json:"positions,omitempty"`
	// FieldProfiles are column security profiles.
	FieldProfiles []FieldProfile `json:"fieldProfiles"`
	// FieldShares share secured columns of single records
	// (principalobjectattributeaccess).
	FieldShares []FieldShareDef `json:"fieldShares,omitempty"`
	// Policies are F&O XDS policies.
	Policies []XDSPolicy    `json:"policies"`
	Portal   PortalSettings `json:"portal"`
}

// BusinessUnitDef is a node of the business-unit tree.
type BusinessUnitDef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId,omitempty"`
}

// PositionDef is a node of the position hierarchy.
type PositionDef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId,omitempty"`
}

// UserDef is a systemuser with its role assignments and companies.
type UserDef struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	BusinessUnitID string `json:"businessUnitId"`
	ManagerID      string `json:"managerId,omitempty"`
	// PositionID places the user in the position hierarchy.
	PositionID string `json:"positionId,omitempty"`
	Disabled   bool   `json:"disabled,omitempty"`
	// Roles are direct role assignments; an empty BusinessUnitID means the
	// user's own business unit.
	Roles []RoleAssignment `json:"roles,omitempty"`
	// Companies are the F&O companies (dataAreaId) the user may access;
	// DefaultCompany is the current company of a query that is not
	// cross-company (default: the first allowed company).
	Companies      []string `json:"companies,omitempty"`
	DefaultCompany string   `json:"defaultCompany,omitempty"`
}

// RoleAssignment assigns a role in a business unit (modernized business
// units: the role grants relative to this business unit, not the user's).
type RoleAssignment struct {
	RoleID         string `json:"roleId"`
	BusinessUnitID string `json:"businessUnitId,omitempty"`
}

// TeamDef is a team with its members and roles.
type TeamDef struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	BusinessUnitID string   `json:"businessUnitId"`
	Type           TeamType `json:"type"`
	// EntraObjectID is the Entra group of a group team
	// (team.azureactivedirectoryobjectid).
	EntraObjectID string           `json:"entraObjectId,omitempty"`
	Inheritance   Inheritance      `json:"inheritance,omitempty"`
	Members       []string         `json:"members,omitempty"`
	Roles         []RoleAssignment `json:"roles,omitempty"`
}

// RoleDef is a security role: per table, per privilege, an access level.
type RoleDef struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Comment string `json:"comment,omitempty"` // free text (Model.Comment)
	// Admin marks an administrator-class role (System Administrator,
	// System Customizer): portal users may not hold one, and it carries
	// full column access.
	Admin      bool           `json:"admin,omitempty"`
	Privileges []PrivilegeDef `json:"privileges,omitempty"`
}

// PrivilegeDef grants one privilege on one table at a depth.
type PrivilegeDef struct {
	Table     string `json:"table"`
	Privilege string `json:"privilege"`
	Depth     string `json:"depth"`
}

// ShareDef is a principalobjectaccess row.
type ShareDef struct {
	Table       string `json:"table"`
	ObjectID    string `json:"objectId"`
	PrincipalID string `json:"principalId"` // a user or a team
	Rights      Rights `json:"rights"`
	Inherited   Rights `json:"inheritedRights,omitempty"`
}

// TableDef gives a table's security settings. Tables the model does not
// list are user-owned, not company-scoped and not excluded from hierarchy.
type TableDef struct {
	Name      string    `json:"name"`
	Comment   string    `json:"comment,omitempty"` // free text (Model.Comment)
	Ownership Ownership `json:"ownership,omitempty"`
	// Company marks a per-company F&O table (it has a dataareaid column).
	Company bool `json:"company,omitempty"`
	// HierarchyExcluded excludes the table from hierarchy security.
	HierarchyExcluded bool `json:"hierarchyExcluded,omitempty"`
	// SecuredColumns are the columns under column security.
	SecuredColumns []string `json:"securedColumns,omitempty"`
}

// HierarchySettings is hierarchy security.
type HierarchySettings struct {
	Enabled bool `json:"enabled"`
	// Depth is how many levels below the manager are reachable (default 3).
	Depth int `json:"depth,omitempty"`
	// Model is ManagerHierarchy (the default) or PositionHierarchy.
	Model HierarchyModel `json:"model,omitempty"`
}

// HierarchyModel says which hierarchy hierarchy security follows.
type HierarchyModel string

const (
	// ManagerHierarchy follows systemuser.parentsystemuserid; a manager
	// reaches reports in their own business unit or one below it.
	ManagerHierarchy HierarchyModel = "manager"
	// PositionHierarchy follows the position tree: users in higher
	// positions reach users in the positions below, across business units.
	PositionHierarchy HierarchyModel = "position"
)

// FieldProfile is a column security profile.
type FieldProfile struct {
	ID      string             `json:"id"`
	Name    string             `json:"name"`
	Users   []string           `json:"users,omitempty"`
	Teams   []string           `json:"teams,omitempty"`
	Columns []ColumnPermission `json:"columns"`
}

// ColumnPermission is a profile's permission on one secured column.
type ColumnPermission struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Read   bool   `json:"read,omitempty"`
	Update bool   `json:"update,omitempty"`
	Create bool   `json:"create,omitempty"`
}

// FieldShareDef shares one secured column of one record with a user or a
// team (Dataverse's principalobjectattributeaccess): the principal reads
// (Read) or updates (Update) that column of that record, which its column
// security profiles otherwise deny.
type FieldShareDef struct {
	Table       string `json:"table"`
	Column      string `json:"column"`
	ObjectID    string `json:"objectId"`
	PrincipalID string `json:"principalId"`
	Read        bool   `json:"read,omitempty"`
	Update      bool   `json:"update,omitempty"`
}

// XDSPolicy is an F&O extensible data security policy: rows of a
// constrained table are readable only when related to a primary-table row
// that passes the policy query. Several applicable policies AND together.
type XDSPolicy struct {
	Name string `json:"name"`
	// PrimaryTable and PrimaryKey: the table the policy query ranges over
	// and the column constrained rows point at.
	PrimaryTable string `json:"primaryTable"`
	PrimaryKey   string `json:"primaryKey"`
	// Constrained are the filtered tables and their column relating to
	// PrimaryKey.
	Constrained []Constraint `json:"constrained"`
	// Ranges is the policy query: conditions on the primary table, ANDed.
	Ranges []Range `json:"ranges"`
	// Roles is the context: the policy applies to users holding one of
	// these roles (by name or id). Empty: every user.
	Roles []string `json:"roles,omitempty"`
}

// Constraint relates a constrained table to a policy's primary table.
type Constraint struct {
	Table  string `json:"table"`
	Column string `json:"column"`
}

// Range is one condition of a policy query, with FetchXML operator names
// (eq, ne, in, like, null, …).
type Range struct {
	Column   string   `json:"column"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// PortalSettings maps portal contacts to users.
type PortalSettings struct {
	// Contacts maps a contact id to the user a portal session runs as.
	Contacts []PortalMapping `json:"contacts,omitempty"`
	// AnonymousUserID is the user anonymous portal access runs as; empty
	// means anonymous access is refused.
	AnonymousUserID string `json:"anonymousUserId,omitempty"`
}

// PortalMapping maps one contact to one user.
type PortalMapping struct {
	ContactID string `json:"contactId"`
	UserID    string `json:"userId"`
}
