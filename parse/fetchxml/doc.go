// Package fetchxml parses Dataverse FetchXML into an ast.Query.
//
// The parser makes two passes over the text, both linear:
//
//  1. A hand-written scanner (scan.go) checks that the document is
//     well-formed XML and flattens it into a slice of tokens in pre-order.
//     An element token records its byte span, its attributes (as offsets)
//     and the index just past its subtree, so the second pass can skip or
//     count children without recursion. Text is recorded only inside
//     <value>; elsewhere only whitespace may appear. The scanner rejects
//     what a FetchXML producer never needs and a hostile input could abuse:
//     DOCTYPE (hence entity declarations and expansion), entities other
//     than the five predefined ones, invalid UTF-8 and XML characters,
//     nesting deeper than 64, more than 64 attributes on an element or 64
//     namespace prefixes in scope. It also counts elements of each kind.
//
//     Its fast paths work a word (eight bytes) at a time: indentation,
//     the search for '=' after an attribute name, and attribute values up
//     to the first byte that needs attention (the quote, '<', '&', a
//     control or non-ASCII byte, which then take the byte-by-byte path).
//     Element names and attribute names are recognised whole (names.go):
//     elements by their first word, attributes by a perfect hash of their
//     first word and length, so the builder switches on a byte and the
//     duplicate-attribute check is a bit test. A known name is taken only
//     where the byte scan would have ended it; anything else goes through
//     the general Name scan as before.
//
//  2. The builder (parse.go) walks the tokens with one function per
//     element, validates the FetchXML grammar (allowed children and
//     attributes, required attributes, value forms, operand shapes per
//     operator, link-type placement, Dataverse limits, alias uniqueness)
//     and fills the tree. Nodes and child slices are carved from one slab
//     per type, sized by the scanner's counts (alloc.go).
//
// Ownership of the input: Parse reads src.Text in place and only during the
// call (the caller must not modify it concurrently). The tree never points
// into it: while scanning, the values the tree may keep (names, aliases,
// condition values, …) are copied into one arena string, and names and
// values are substrings of that arena unless they contain references or
// line breaks to normalise (then they are new strings). So the caller may
// reuse or overwrite its buffer once Parse returns. Query.Source and the
// errors still hold src itself, as before, so positions rendered later are
// computed from whatever src.Text holds then. A typical query costs two
// allocations (its nodes and its arena); the token, attribute and arena
// buffers are pooled.
//
// Errors carry stable diag codes and byte spans. Malformed XML stops the
// parse with one SyntaxError (or TooDeep); grammar errors are collected, up
// to diag.MaxErrors, and Parse returns them sorted by position.
//
// Deliberate leniencies: the XML declaration's encoding is ignored (input
// is UTF-8); namespace declarations are accepted and attributes in a
// declared foreign namespace (SQL 4 CDS writes generator:IsVariable) are
// ignored; top together with page or count is accepted (see
// rejectTopWithPaging). Table and column names are not checked here: the
// planner resolves them against the catalog.
//
// Like every front end it imports only ast and internal/diag.
package fetchxml
