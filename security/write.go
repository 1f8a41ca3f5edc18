package security

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
)

// Op is a write operation.
type Op uint8

const (
	OpCreate Op = iota
	OpUpdate
	OpDelete
	OpAssign
	OpShare
)

var opNames = [...]string{"create", "update", "delete", "assign", "share"}

func (o Op) String() string { return opNames[o] }

// RowRef is what write checks need of a row: its table, key, owner and
// owning business unit.
type RowRef struct {
	Table              string
	ID                 string
	OwnerID            string
	OwningBusinessUnit string
}

// Lookup is a lookup column a write sets, and the row it points at.
type Lookup struct {
	Column string
	Target RowRef
}

// Change is one write to check.
type Change struct {
	Op Op
	// Before is the existing row (update, delete, assign, share).
	Before *RowRef
	// After is the row as written (create, update, assign). A create without
	// an owner is owned by the caller, by default in the owner's business
	// unit.
	After *RowRef
	// Columns are the columns the write sets (create, update): secured ones
	// need the column profile's create or update permission.
	Columns []string
	// Lookups set by the write: Append on the written row, AppendTo on each
	// target.
	Lookups []Lookup
	// Share: the rights granted and to whom.
	Rights    Rights
	ShareWith string
}

// CheckWrite checks a write as Dataverse does: the privilege at a depth
// that reaches the row before the change (Write, Delete, Assign, Share)
// and after it (Create; a new owner must be able to read the row's
// table), Append and AppendTo for the lookups set, column security for
// the columns set, and for sharing, only rights the caller holds on the
// row. Errors are MissingPrivilege naming the privilege (prvWriteAccount),
// or HiddenColumnWrite.
func (s *Session) CheckWrite(w Change) error {
	if w.Before != nil && w.After != nil && w.After.Table != "" && !strings.EqualFold(w.Before.Table, w.After.Table) {
		return s.malformed(w, fmt.Sprintf("the row cannot change table (%s to %s)", w.Before.Table, w.After.Table))
	}
	switch w.Op {
	case OpCreate:
		if w.After == nil {
			return s.malformed(w, "a create needs the new row")
		}
		after := *w.After
		if after.OwnerID == "" { // a unit given without an owner stays the one checked
			after.OwnerID = s.user.ID
		}
		home := s.c.homeUnit(after.OwnerID)
		if after.OwningBusinessUnit == "" {
			after.OwningBusinessUnit = home
		}
		// As Dataverse, a row is owned by a user or an owner team, in a
		// business unit: anything else would be a row nobody owns.
		if err := s.c.canOwnRows(after.OwnerID); err != nil {
			return err
		}
		if err := s.c.isUnit(after.OwningBusinessUnit); err != nil {
			return err
		}
		if err := s.need(after, Create, false); err != nil {
			return err
		}
		// Owning a row passes the depth check, but the caller chooses its
		// unit: one other than the owner's must be within Create's reach,
		// or a User-level creator could place rows in any unit.
		if canonical(after.OwningBusinessUnit) != home {
			if a := s.Access(after.Table, Create); !a.All && !slices.Contains(a.BusinessUnits, canonical(after.OwningBusinessUnit)) {
				return s.MissingPrivilege(strings.ToLower(after.Table), Create, fmt.Sprintf("business unit %s is not the owner's and is outside its %s access", after.OwningBusinessUnit, a.Depth))
			}
		}
		if err := s.columnsWritable(after.Table, w.Columns, func(p ColumnPermission) bool { return p.Create }); err != nil {
			return err
		}
		return s.lookups(after, w.Lookups)
	case OpUpdate:
		if w.Before == nil {
			return s.malformed(w, "an update needs the existing row")
		}
		if err := s.need(*w.Before, Write, true); err != nil {
			return err
		}
		if w.After != nil && moved(*w.Before, *w.After) {
			if err := s.assign(*w.Before, *w.After); err != nil {
				return err
			}
		}
		if err := s.columnsUpdatable(w.Before.Table, w.Before.ID, w.Columns); err != nil {
			return err
		}
		return s.lookups(*w.Before, w.Lookups)
	case OpDelete:
		if w.Before == nil {
			return s.malformed(w, "a delete needs the existing row")
		}
		return s.need(*w.Before, Delete, true)
	case OpAssign:
		if w.Before == nil || w.After == nil {
			return s.malformed(w, "an assign needs the row before and after")
		}
		if err := s.need(*w.Before, Write, true); err != nil {
			return err
		}
		return s.assign(*w.Before, *w.After)
	case OpShare:
		if w.Before == nil {
			return s.malformed(w, "a share needs the row")
		}
		if err := s.need(*w.Before, Share, true); err != nil {
			return err
		}
		if unknown := w.Rights &^ allRights(); unknown != 0 {
			return s.malformed(w, fmt.Sprintf("unknown access rights bits %#x", uint32(unknown)))
		}
		// Only rights the caller holds on the row can be handed on.
		for p := Create; p < numPrivileges; p++ {
			if w.Rights&p.Right() != 0 {
				if err := s.need(*w.Before, p, true); err != nil {
					return fmt.Errorf("sharing %s: %w", p, err)
				}
			}
		}
		return nil
	}
	return s.malformed(w, "unknown operation")
}

func (s *Session) malformed(w Change, msg string) error {
	return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.SecurityDenied, "%s: %s", w.Op, msg)}.Err()
}

func moved(a, b RowRef) bool {
	return b.OwnerID != "" && canonical(a.OwnerID) != canonical(b.OwnerID) ||
		b.OwningBusinessUnit != "" && canonical(a.OwningBusinessUnit) != canonical(b.OwningBusinessUnit)
}

// assign checks a change of owner: Assign on the row, and a new user
// owner must hold Read on the table.
func (s *Session) assign(before, after RowRef) error {
	if err := s.need(before, Assign, true); err != nil {
		return err
	}
	if after.OwningBusinessUnit != "" {
		if err := s.c.isUnit(after.OwningBusinessUnit); err != nil {
			return err
		}
	}
	owner := canonical(after.OwnerID)
	if err := s.c.canOwnRows(owner); err != nil {
		return err
	}
	if u := s.c.users[owner]; u != nil {
		to, err := s.c.Session(Principal{UserID: owner})
		if err != nil {
			return err
		}
		if to.Access(before.Table, Read).Depth == None {
			return to.MissingPrivilege(strings.ToLower(before.Table), Read, "the new owner of "+before.ID+" could not read it")
		}
	} else if t, table := s.c.teams[owner], strings.ToLower(before.Table); !s.c.teamHolds(t, table, Read) {
		// As Dataverse refuses a team owner without a role reading the table.
		return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.MissingPrivilege, "team %s is missing the %s privilege (Read on %s): the new owner of %s could not read it", owner, PrivilegeName(table, Read), table, before.ID)}.Err()
	}
	return nil
}

// canOwnRows refuses an owner that is neither a user nor an owner team
// of the model.
func (c *Compiled) canOwnRows(id string) error {
	id = canonical(id)
	if c.users[id] != nil {
		return nil
	}
	t := c.teams[id]
	if t == nil {
		return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.PrincipalRefused, "owner %s is neither a user nor a team", id)}.Err()
	}
	if !t.Type.OwnsRows() {
		return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.SecurityDenied, "%s is an access team, which cannot own rows", id)}.Err()
	}
	return nil
}

// isUnit refuses an owning business unit the model does not have.
func (c *Compiled) isUnit(id string) error {
	if c.bus[canonical(id)] == nil {
		return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.SecurityDenied, "owning business unit %q is not a business unit", id)}.Err()
	}
	return nil
}

// homeUnit is a principal's business unit (a user's or an owner team's).
func (c *Compiled) homeUnit(id string) string {
	id = canonical(id)
	if u := c.users[id]; u != nil {
		return u.BusinessUnitID
	}
	if t := c.teams[id]; t != nil {
		return t.BusinessUnitID
	}
	return ""
}

// allRights is every access-rights bit a privilege has.
func allRights() Rights {
	var r Rights
	for p := Create; p < numPrivileges; p++ {
		r |= p.Right()
	}
	return r
}

// need checks priv on the row; shared says whether sharing counts (not
// for rows being created).
func (s *Session) need(r RowRef, priv Privilege, shared bool) error {
	table := strings.ToLower(r.Table)
	a := s.Access(table, priv)
	if a.Depth == None {
		return s.MissingPrivilege(table, priv, "no role grants it at any depth")
	}
	if a.All || slices.Contains(a.Owners, canonical(r.OwnerID)) || slices.Contains(a.BusinessUnits, canonical(r.OwningBusinessUnit)) ||
		shared && slices.Contains(a.Shared, canonical(r.ID)) {
		return nil
	}
	// The row's key only: its owner and unit are values the caller may
	// not be able to read.
	return s.MissingPrivilege(table, priv, fmt.Sprintf("row %s is outside its %s access", r.ID, a.Depth))
}

// lookups: Append on the written row, AppendTo on every target.
func (s *Session) lookups(row RowRef, ls []Lookup) error {
	if len(ls) == 0 {
		return nil
	}
	if err := s.need(row, Append, row.ID != ""); err != nil {
		return err
	}
	for _, l := range ls {
		if err := s.need(l.Target, AppendTo, true); err != nil {
			return fmt.Errorf("lookup %s: %w", l.Column, err)
		}
	}
	return nil
}

// columnsUpdatable is columnsWritable for an update of record id: a
// secured column shared for update on that record may be set.
func (s *Session) columnsUpdatable(table, id string, columns []string) error {
	var rest []string
	for _, c := range columns {
		if !s.fieldShared(table, c, id, func(f FieldShareDef) bool { return f.Update }) {
			rest = append(rest, c)
		}
	}
	return s.columnsWritable(table, rest, func(p ColumnPermission) bool { return p.Update })
}

func (s *Session) columnsWritable(table string, columns []string, allowed func(ColumnPermission) bool) error {
	denied := s.deniedColumns(table, allowed)
	for _, c := range columns {
		if slices.Contains(denied, strings.ToLower(c)) {
			return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.HiddenColumnWrite, "%s may not set the secured column %s.%s (no column security profile allows it)", s.Who, strings.ToLower(table), strings.ToLower(c))}.Err()
		}
	}
	return nil
}

// PrincipalTable is the table a principal id is a row of: "systemuser"
// for a user of the model, "team" for a team, "" for neither.
func (s *Session) PrincipalTable(id string) string {
	id = canonical(id)
	if s.c.users[id] != nil {
		return "systemuser"
	}
	if s.c.teams[id] != nil {
		return "team"
	}
	return ""
}

// HomeBusinessUnit is the business unit of a user or an owner team ("" for
// an id that is neither): the unit a row they own belongs to by default.
func (s *Session) HomeBusinessUnit(id string) string { return s.c.homeUnit(id) }

// IsBusinessUnit says whether id is a business unit of the model.
func (s *Session) IsBusinessUnit(id string) bool { return s.c.bus[canonical(id)] != nil }
