package server_test

// The write oracle's verdict: what a body means (decoded here, by the
// oracle's own reading of the shapes), whether the model allows it, and
// whether the database after the write is what that meaning and that
// permission make it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// bodyIntent is what a write body means.
type bodyIntent struct {
	// values by column: normalized text, or oracleNull.
	values map[string]string
	// logical names an EntityReference gave, by column.
	logical map[string]string
	// refuse: reasons the body must be refused (an ambiguous or invalid
	// shape); the values then mean nothing.
	refuse []string
	// lenient: shapes with one meaning that the server may still refuse
	// (it is not bound to accept every spelling).
	lenient []string
}

var oracleGUIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// oracleGUID reads a GUID as the oracle understands one: 36 hex-and-dash
// characters, either case, optionally braced (braced: lenient).
func oracleGUID(s string) (g string, braced, ok bool) {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s, braced = s[1:37], true
	}
	if !oracleGUIDRE.MatchString(s) {
		return "", false, false
	}
	return strings.ToLower(s), braced, true
}

// jsonObjectKeys lists a JSON object's keys in order, repeats included.
func jsonObjectKeys(rawJSON []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(rawJSON))
	dec.UseNumber()
	var keys []string
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

func decodeBodyIntent(w writeSpec) bodyIntent {
	in := bodyIntent{values: map[string]string{}, logical: map[string]string{}}
	seen := map[string]string{}
	for _, a := range w.Attrs {
		key, bind := a.Key, false
		var col oracleColumn
		var ok bool
		switch {
		case strings.HasSuffix(key, "@odata.bind"):
			col, ok = oracleCol(w.Table, strings.TrimSuffix(key, "@odata.bind"))
			if w.API != "odata" || !ok || !col.kind.isRef() {
				in.refuse = append(in.refuse, fmt.Sprintf("%q binds nothing this table has", key))
				continue
			}
			bind = true
			in.lenient = append(in.lenient, key)
		case strings.HasPrefix(key, "_") && strings.HasSuffix(key, "_value"):
			col, ok = oracleCol(w.Table, strings.TrimSuffix(strings.TrimPrefix(key, "_"), "_value"))
			if !ok || !col.kind.isRef() {
				in.refuse = append(in.refuse, fmt.Sprintf("%q is no lookup of %s", key, w.Table))
				continue
			}
			in.lenient = append(in.lenient, key)
		default:
			if col, ok = oracleCol(w.Table, key); !ok {
				in.refuse = append(in.refuse, fmt.Sprintf("%q is no attribute of %s", key, w.Table))
				continue
			}
		}
		if prev, dup := seen[col.name]; dup {
			in.refuse = append(in.refuse, fmt.Sprintf("%q and %q both set %s", prev, key, col.name))
			continue
		}
		seen[col.name] = key
		if bind {
			var s string
			json.Unmarshal(a.Value, &s)
			set, id, _ := strings.Cut(strings.TrimPrefix(s, "/"), "(")
			g, _, ok := oracleGUID(strings.TrimSuffix(id, ")"))
			if !ok || !slices.Contains(oracleRefSets(col), set) {
				in.refuse = append(in.refuse, fmt.Sprintf("%s: %q binds no %s", key, s, col.name))
				continue
			}
			in.values[col.name] = g
			continue
		}
		decodeBodyValue(&in, col, a.Value)
	}
	return in
}

// oracleRefSets are the entity sets a reference column may bind to.
func oracleRefSets(c oracleColumn) []string {
	switch c.kind {
	case kOwner:
		return []string{"systemusers", "teams"}
	case kUnit:
		return []string{"businessunits"}
	}
	return []string{oracleEntitySets[c.target]}
}

// oracleRefTables are the tables an EntityReference may name for the column.
func oracleRefTables(c oracleColumn) []string {
	switch c.kind {
	case kOwner:
		return []string{"systemuser", "team"}
	case kUnit:
		return []string{"businessunit"}
	}
	return []string{c.target}
}

func decodeBodyValue(in *bodyIntent, col oracleColumn, rawJSON json.RawMessage) {
	name := col.name
	bad := func(format string, args ...any) {
		in.refuse = append(in.refuse, name+": "+fmt.Sprintf(format, args...))
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(rawJSON))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		bad("not JSON")
		return
	}
	if v == nil {
		if col.kind == kOwner || col.kind == kUnit {
			bad("an explicit null %s", name)
			return
		}
		in.values[name] = oracleNull
		return
	}
	switch col.kind {
	case kString:
		s, ok := v.(string)
		if !ok {
			bad("%s is not text", rawJSON)
			return
		}
		in.values[name] = s
		return
	case kInt, kDecimal:
		if m, ok := v.(map[string]any); ok && col.kind == kDecimal {
			keys := jsonObjectKeys(rawJSON)
			if len(keys) != 1 || keys[0] != "Value" {
				bad("money object %s", rawJSON)
				return
			}
			in.lenient = append(in.lenient, name+" as a Money object")
			v = m["Value"]
		}
		n, ok := v.(json.Number)
		if !ok {
			bad("%s is not a number", rawJSON)
			return
		}
		in.values[name] = normalizeText(col.kind, n.String())
		return
	}
	// A reference.
	if s, ok := v.(string); ok {
		if s == "" {
			if col.kind != kLookup {
				bad("an empty %s", name)
				return
			}
			in.lenient = append(in.lenient, name+` as ""`)
			in.values[name] = oracleNull
			return
		}
		g, braced, ok := oracleGUID(s)
		if !ok {
			bad("%q is not a GUID", s)
			return
		}
		if braced {
			in.lenient = append(in.lenient, name+" braced")
		}
		in.values[name] = g
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		bad("%s is neither a GUID nor an EntityReference", rawJSON)
		return
	}
	keys := jsonObjectKeys(rawJSON)
	var idKeys, logicalKeys []string
	for i, k := range keys {
		if slices.Contains(keys[:i], k) {
			bad("key %q twice", k)
			return
		}
		switch {
		case strings.EqualFold(k, "Id"), strings.EqualFold(k, "Value"):
			idKeys = append(idKeys, k)
		case strings.EqualFold(k, "LogicalName"):
			logicalKeys = append(logicalKeys, k)
		case k == "Name": // informational, as in Dataverse: a string or null, not stored
			if _, ok := m[k].(string); !ok && m[k] != nil {
				bad("Name %v is not text", m[k])
				return
			}
		default:
			bad("unknown key %q", k)
			return
		}
	}
	if len(idKeys) != 1 || len(logicalKeys) > 1 {
		bad("the reference %s names its id %d times", rawJSON, len(idKeys))
		return
	}
	if idKeys[0] != "Id" {
		in.lenient = append(in.lenient, fmt.Sprintf("%s as {%q: …}", name, idKeys[0]))
	}
	s, _ := m[idKeys[0]].(string)
	g, braced, ok := oracleGUID(s)
	if !ok {
		bad("%s: the id is not a GUID", rawJSON)
		return
	}
	if braced {
		in.lenient = append(in.lenient, name+" braced")
	}
	if len(logicalKeys) == 1 {
		ln, _ := m[logicalKeys[0]].(string)
		if !slices.Contains(oracleRefTables(col), ln) {
			bad("LogicalName %q is no target of %s", ln, name)
			return
		}
		if logicalKeys[0] != "LogicalName" {
			in.lenient = append(in.lenient, name+" "+logicalKeys[0])
		}
		in.logical[name] = ln
	}
	in.values[name] = g
}

// oracleVerdict is the model's answer for one write.
type oracleVerdict struct {
	allow bool
	why   string // the checks that fail
	// unsure: the model does not settle whether the server must accept.
	unsure []string
	// expect is the database after an accepted write (nil for a refusal).
	expect dbSnapshot
	// created is the id of a row a create adds ("" until known).
	created string
}

func (v *oracleVerdict) deny(format string, args ...any) {
	why := fmt.Sprintf(format, args...)
	if v.allow {
		v.allow, v.why = false, why
	} else {
		v.why += "; " + why
	}
}

// oracleDecide computes the verdict for w from the rows before it.
func oracleDecide(o oracleModel, w writeSpec, in bodyIntent, before dbSnapshot, after dbSnapshot) oracleVerdict {
	v := oracleVerdict{allow: true, expect: cloneDBSnapshot(before)}
	user := w.Caller
	table := w.Table
	id := ""
	if w.ID != "" {
		id, _, _ = oracleGUID(w.ID)
	}
	if w.Op == "create" {
		return oracleDecideCreate(o, w, in, before, after, v, id)
	}
	old, exists := before[table][id]
	if !exists {
		v.deny("%s %s does not exist", table, id)
		return v
	}
	r := recordRef{table: table, id: id, owner: old["ownerid"], bu: old["owningbusinessunit"]}
	if w.Op == "delete" {
		if !o.reaches(user, r, pDelete, true, true) {
			v.deny("no Delete on %s %s (owner %s, unit %s)", table, id, r.owner, r.bu)
		}
		delete(v.expect[table], id)
		for t, rows := range before {
			for rid, rec := range rows {
				for c, val := range rec {
					if col, _ := oracleCol(t, c); col.kind == kLookup && val == id {
						v.unsure = append(v.unsure, fmt.Sprintf("%s %s.%s refers to it (foreign keys may refuse)", t, rid, c))
					}
				}
			}
		}
		return v
	}
	if len(in.values) == 0 {
		v.unsure = append(v.unsure, "an update that sets nothing (documented refusal)")
	}
	if !o.reaches(user, r, pWrite, true, true) {
		v.deny("no Write on %s %s (owner %s, unit %s)", table, id, r.owner, r.bu)
	}
	owner, bu := r.owner, r.bu
	if x, ok := in.values["ownerid"]; ok && x != r.owner {
		// A new owner takes the row to their unit unless the body names
		// one (Dataverse's AlwaysMoveRecordToOwnerBusinessUnit default).
		owner, bu = x, o.home(x)
		v.expect[table][id]["owningbusinessunit"] = bu
	}
	if x, ok := in.values["owningbusinessunit"]; ok {
		bu = x
	}
	if x, ok := in.values["ownerid"]; ok && x == r.owner && !o.isPrincipal(x) {
		v.unsure = append(v.unsure, "the body repeats an owner the model does not have")
	}
	if x, ok := in.values["owningbusinessunit"]; ok && x == r.bu && !o.isBU(x) {
		v.unsure = append(v.unsure, "the body repeats a unit the model does not have")
	}
	if owner != r.owner || bu != r.bu {
		if !o.reaches(user, r, pAssign, true, true) {
			v.deny("no Assign on %s %s to change its owner or unit", table, id)
		}
		oracleCheckOwner(o, &v, table, owner, bu, in)
	}
	oracleCheckRefs(o, &v, user, r, in, before, true)
	for c := range in.values {
		if !o.mayWriteColumn(user, table, c, id, false) {
			v.deny("no column permission to update %s.%s", table, c)
		}
	}
	maps.Copy(v.expect[table][id], in.values)
	return v
}

func oracleDecideCreate(o oracleModel, w writeSpec, in bodyIntent, before, after dbSnapshot, v oracleVerdict, id string) oracleVerdict {
	user, table := w.Caller, w.Table
	owner, ownerGiven := in.values["ownerid"]
	if !ownerGiven {
		owner = user
	}
	bu, buGiven := in.values["owningbusinessunit"]
	if !buGiven {
		bu = o.home(owner)
	}
	if id == "" { // the server picks the id: the one new row, if any
		for rid := range after[table] {
			if _, old := before[table][rid]; !old {
				id = rid
			}
		}
	}
	v.created = id
	if _, exists := before[table][id]; exists && id != "" {
		v.deny("%s %s exists already", table, id)
	}
	r := recordRef{table: table, id: id, owner: owner, bu: bu}
	if !o.holds(user, table, pCreate) {
		v.deny("no Create on %s at any depth", table)
	}
	if !o.reaches(user, r, pCreate, false, false) {
		v.deny("Create on %s does not reach owner %s in unit %s", table, owner, bu)
	}
	if bu != o.home(owner) && !o.reachesUnit(o.grants(user, table, pCreate), bu) {
		v.deny("unit %s is not the owner's and outside Create's reach", bu)
	}
	if owner != user {
		v.unsure = append(v.unsure, "a create for another owner")
	}
	if !o.isPrincipal(owner) {
		v.deny("owner %s is neither a user nor an owner team", owner)
	} else if !o.canOwn(owner, table) {
		v.unsure = append(v.unsure, "an owner who could not read the new row")
	}
	if !o.isBU(bu) {
		v.deny("owning unit %s is not a business unit", bu)
	}
	oracleCheckRefs(o, &v, user, r, in, before, false)
	for c := range in.values {
		if !o.mayWriteColumn(user, table, c, id, true) {
			v.deny("no column permission to create %s.%s", table, c)
		}
	}
	rec := map[string]string{}
	for _, c := range oracleTables[table] {
		rec[c.name] = oracleNull
	}
	maps.Copy(rec, in.values)
	rec["ownerid"], rec["owningbusinessunit"] = owner, bu
	if id != "" {
		v.expect[table][id] = rec
	}
	return v
}

// oracleCheckOwner: the owner a write gives a row is a user or an owner team
// that can read the table, in a unit of the model.
func oracleCheckOwner(o oracleModel, v *oracleVerdict, table, owner, bu string, in bodyIntent) {
	if !o.isPrincipal(owner) {
		v.deny("owner %s is neither a user nor an owner team", owner)
	} else if !o.canOwn(owner, table) {
		v.deny("owner %s could not read %s", owner, table)
	}
	if ln := in.logical["ownerid"]; ln != "" && ln != principalKind(o, owner) {
		v.unsure = append(v.unsure, "ownerid LogicalName "+ln+" names the other kind of owner")
	}
	if !o.isBU(bu) {
		v.deny("owning unit %s is not a business unit", bu)
	}
}

func principalKind(o oracleModel, id string) string {
	if o.user(id) != nil {
		return "systemuser"
	}
	return "team"
}

// oracleCheckRefs: every lookup set to a record needs the record, Append on the
// written row and AppendTo on the record.
func oracleCheckRefs(o oracleModel, v *oracleVerdict, user string, r recordRef, in bodyIntent, before dbSnapshot, existing bool) {
	cols := slices.Sorted(maps.Keys(in.values))
	for _, c := range cols {
		col, _ := oracleCol(r.table, c)
		g := in.values[c]
		if col.kind != kLookup || g == oracleNull {
			continue
		}
		if ln := in.logical[c]; ln != "" && ln != col.target {
			v.deny("%s names a %s", c, ln)
		}
		target, ok := before[col.target][g]
		if !ok {
			v.deny("%s: no %s %s", c, col.target, g)
			continue
		}
		if !o.reaches(user, r, pAppend, existing, true) {
			v.deny("no Append on %s %s to set %s", r.table, r.id, c)
		}
		tr := recordRef{table: col.target, id: g, owner: target["ownerid"], bu: target["owningbusinessunit"]}
		if !o.reaches(user, tr, pAppendTo, true, true) {
			v.deny("no AppendTo on %s %s (owner %s, unit %s) for %s", col.target, g, tr.owner, tr.bu, c)
		}
	}
}

func cloneDBSnapshot(s dbSnapshot) dbSnapshot {
	out := dbSnapshot{}
	for t, rows := range s {
		out[t] = map[string]map[string]string{}
		for id, rec := range rows {
			out[t][id] = maps.Clone(rec)
		}
	}
	return out
}

// diffSnapshots lists how got differs from want, row by row.
func diffSnapshots(want, got dbSnapshot) []string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(want)) {
		ids := map[string]bool{}
		for id := range want[t] {
			ids[id] = true
		}
		for id := range got[t] {
			ids[id] = true
		}
		keys := slices.Sorted(maps.Keys(ids))
		for _, id := range keys {
			w, inW := want[t][id]
			g, inG := got[t][id]
			switch {
			case !inG:
				out = append(out, fmt.Sprintf("%s %s is missing", t, id))
			case !inW:
				out = append(out, fmt.Sprintf("%s %s appeared: %v", t, id, g))
			default:
				var cols []string
				for c := range w {
					if w[c] != g[c] {
						cols = append(cols, fmt.Sprintf("%s = %q, want %q", c, g[c], w[c]))
					}
				}
				sort.Strings(cols)
				if len(cols) > 0 {
					out = append(out, fmt.Sprintf("%s %s: %s", t, id, strings.Join(cols, "; ")))
				}
			}
		}
	}
	return out
}

// oracleJudge returns what is wrong with the outcome of w (status, the rows
// before and after it).
func oracleJudge(o oracleModel, w writeSpec, before, after dbSnapshot, status int, tally map[string]int) []string {
	in := decodeBodyIntent(w)
	var probs []string
	tally[oracleOutcome(o, w, in, before, after, status)]++
	switch {
	case status >= 500:
		probs = append(probs, fmt.Sprintf("server error %d", status))
		fallthrough
	case status >= 300:
		if d := diffSnapshots(before, after); len(d) > 0 {
			probs = append(probs, "a refused write changed the database: "+strings.Join(d, "; "))
		}
		if status >= 500 || len(in.refuse) > 0 {
			return probs
		}
		v := oracleDecide(o, w, in, before, after)
		if v.allow && len(in.lenient) == 0 && len(v.unsure) == 0 {
			probs = append(probs, "refused a write the model allows")
		}
		return probs
	}
	if len(in.refuse) > 0 {
		probs = append(probs, "accepted a body that must be refused: "+strings.Join(in.refuse, "; "))
		if d := diffSnapshots(before, after); len(d) > 0 {
			probs = append(probs, "and it changed: "+strings.Join(d, "; "))
		}
		return probs
	}
	v := oracleDecide(o, w, in, before, after)
	if !v.allow {
		probs = append(probs, "accepted a write the model denies: "+v.why)
	}
	if w.Op == "create" && v.created == "" {
		probs = append(probs, "an accepted create added no row")
		return probs
	}
	if d := diffSnapshots(v.expect, after); len(d) > 0 {
		probs = append(probs, "stored is not what the body meant: "+strings.Join(d, "; "))
	}
	return probs
}

// oracleOutcome classifies a write for the figures: accepted or refused, and
// why the oracle expected it.
func oracleOutcome(o oracleModel, w writeSpec, in bodyIntent, before, after dbSnapshot, status int) string {
	got := "accepted"
	if status >= 300 {
		got = "refused"
	}
	switch {
	case len(in.refuse) > 0:
		return got + " (shape to refuse)"
	case !oracleDecide(o, w, in, before, after).allow:
		return got + " (model denies)"
	case len(in.lenient) > 0:
		return got + " (model allows, lenient shape)"
	}
	return got + " (model allows)"
}
