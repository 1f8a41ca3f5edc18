// Package odata prints a compiled query as a Dataverse Web API (OData v4)
// request URL: entityset?$select=…&$expand=…&$filter=…&$apply=…&$orderby=…&$top=…&$count=true,
// the query options always in that order (spec §3).
//
// # Why the plan
//
// Emit reads the plan, not the ast: the plan carries what an OData URL
// needs and the ast does not have: entity set names (Table.EntitySetName),
// resolved columns with their types (a lookup is filtered as _x_value, a
// date-only column gets a date literal), typed values (GUIDs bare, strings
// quoted), lookup targets (polymorphic navigation properties are split per
// target, customerid_account) and relationships (navigation property
// names). The ast is read for one thing only: how many sort keys the
// query declared, so that the planner's paging tie-breakers are not
// printed.
//
// # Lowered operators
//
// The planner has already resolved relative-date, fiscal and identity
// operators against the clock, the fiscal calendar and the caller
// (last-x-days becomes a half-open interval, eq-userteams a list of team
// GUIDs). Emit prints that lowered form: the URL selects the same rows as
// the query did when it was compiled, for that caller, at that time. It
// does not re-evaluate at request time as Microsoft.Dynamics.CRM.LastXDays
// would; use the FetchXML conversion for a query that must keep its
// relative meaning. Operators whose lowered form has no $filter form
// (in-fiscal-period over every year) are refused.
//
// # Flavors
//
// "dataverse" (the default) uses Microsoft.Dynamics.CRM functions (In,
// NotIn, Under, NotUnder, Above, ContainValues, …) and lookup properties
// _x_value; string comparisons are left to Dataverse's case-insensitive
// collation, and LIKE wildcards in contains/startswith/endswith literals
// are escaped ([%], [_], [[]) because Dataverse keeps them live (§5.2).
// "v4" uses standard OData only: case-insensitive comparisons are written
// with tolower(), lists as eq/or chains, and operators without a standard
// form (hierarchy, multi-select) are refused.
//
// # Refusals
//
// A construct whose OData form would select different rows or a different
// shape is an ODataUnsupported (VE4002) error naming it, never a URL:
// 1:N links returning columns, outer links with a filter, inner links
// under outer ones, matchfirstrowusingcrossapply, joins without a
// relationship in the metadata (an owner lookup's link to systemuser or
// team is Dataverse's owninguser / owningteam), sort keys on links and on aggregate aliases, attribute
// aliases outside aggregates, countcolumn, date grouping, rowaggregate,
// pages after the first, LIKE patterns without a leading or trailing %
// (v4: anything but %x%, x% and %x of plain text),
// cross-table valueof and a table without an entity set name.
//
// # Links
//
// N:1 links returning columns become $expand=nav($select=…;$expand=…),
// nested as the links are. $expand is an outer join, so an inner link
// adds a filter that its row exists: _lookup_value ne null at the root
// (v4: nav ne null), path/key ne null below it or for a polymorphic
// lookup (customerid_account/accountid ne null: the lookup must point at
// that target); its own filter goes to $filter through the path
// (customerid_account/address1_city eq 'Paris'). Exists, in, any and not
// any on a 1:N relationship become coll/any(x: …), named by the
// relationship's schema name. The response nests linked columns as
// objects instead of alias.column keys.
//
// In the v4 flavor a lookup is named by its logical name (the services
// vecompile targets expose foreign keys so); Dataverse's own Web API
// needs the dataverse flavor.
//
// # Null semantics
//
// OData's ne is true for null values (and Dataverse compiles it to its
// null-inclusive NotEqual), so a plan's SQL "<>" without its IS NULL
// branch is printed as (c ne v and c ne null), and with it as
// (c ne v or c eq null). all / not all follow the current Learn text
// (plan.AllSemantics): coll/all(x: F), vacuously true, and not
// coll/all(x: F). The plan's NOT (not-between) is printed as OData not;
// the planner pairs it with its IS NULL branch, so the two- and
// three-valued readings agree.
//
// It reads plans and never imports a parser, the engine or the server.
package odata
