// Package plan compiles an ast.Query into a Plan: a tree of data sources
// shaped like X++'s QueryBuildDataSource (one per table instance, with its
// join mode, link columns and ranges), the output columns, the sort keys
// and the row limits. Emitters and the executor read plans; nothing
// changes a plan after Build returns it.
//
// # Algorithm
//
// Build makes one pass over the query after a sizing walk:
//
//  1. Sizing: count conditions, attributes, links, orders and filters, so
//     the arena (arena.go) can hand out every node from one slab per node
//     type: a medium query costs about 30 allocations.
//  2. Declaration: every link-entity, joined or inside a filter, becomes a
//     DataSource with its alias (or <table>1, <table>2 …), so entityname,
//     valueof and order may name a link declared later in the document.
//  3. Resolution, per body: attributes become OutputColumns (result names
//     per spec §5.17), filters become Exprs, links get their join columns
//     (given, or inferred from the one relationship between the tables),
//     orders become SortKeys (link orders after root orders, §1.4; lookups
//     by the target's primary name, choices by label unless useraworderby,
//     §5.8 — see builder.sortBy).
//  4. Lowering: each condition becomes an explicit expression. NULL
//     branches of negative operators (NullInclusive), case folding of
//     string comparisons, parsed T-SQL LIKE patterns, relative and fiscal
//     dates as half-open UTC intervals (plan/calendar) in the caller's zone
//     or on the wall clock for date-only columns, identity operators as
//     lists of the caller's ids, hierarchy operators as Hierarchy nodes,
//     any / not any / all / not all as EXISTS tests (AllSemantics).
//  5. Completion: the root primary key joins the output (not for distinct
//     or aggregates); the primary keys of the root and joined sources end
//     the order (every output column for distinct and aggregates), so
//     paging is stable; Security, when configured, adds a row filter to
//     every data source, subqueries included.
//
// Errors are collected (up to diag.MaxErrors) with positions in the query's
// source and stable codes; Build never returns a partial plan.
//
// # Example
//
// This FetchXML (sample metadata, clock 2026-03-15T13:20:00Z):
//
//	<fetch top="5"><entity name="account"><attribute name="name"/>
//	  <filter><condition attribute="address1_city" operator="ne" value="Paris"/>
//	    <link-entity name="opportunity" from="customerid" to="accountid" link-type="any">
//	      <filter><condition attribute="createdon" operator="this-year"/></filter></link-entity></filter>
//	  <link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer">
//	    <attribute name="fullname"/></link-entity>
//	  <order attribute="name"/></entity></fetch>
//
// plans as (Format's output, an EXPLAIN for FetchXML):
//
//	query account
//	  security: off (no security model or no principal)
//	  context: now=2026-03-15T13:20:00Z zone=UTC weekstart=Sunday
//	  columns:
//	    account.name : String AS "name"
//	    pc.fullname : String AS "pc.fullname"
//	    account.accountid : Uniqueidentifier AS "accountid"
//	  order:
//	    account.name asc nulls first
//	    account.accountid asc nulls first
//	    pc.contactid asc nulls first
//	  top: 5
//	  datasource account
//	    where: (account.address1_city <> "Paris" [ci] OR account.address1_city IS NULL) AND EXISTS(opportunity1)
//	      subquery datasource opportunity1 (opportunity) [link-type any]
//	        link: opportunity1.customerid = account.accountid
//	        where: opportunity1.createdon >= 2026-01-01T00:00:00Z AND opportunity1.createdon < 2027-01-01T00:00:00Z
//	    outer datasource pc (contact) [OuterJoin]
//	      link: pc.contactid = account.primarycontactid
//
// It imports ast, security and plan/calendar, never a parser, an emitter, the
// engine or the server (architecture_test.go checks the layers).
package plan
