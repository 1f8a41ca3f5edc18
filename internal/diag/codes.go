package diag

// Code is a stable error code. Tests assert codes, never message wording.
// VE1xxx: parse; VE2xxx: resolve and plan; VE3xxx: security; VE4xxx: emit;
// VE5xxx: execution and configuration.
type Code string

// The catalogue. Append only; never renumber.
const (
	// Parse (VE1xxx).
	SyntaxError         Code = "VE1001" // malformed XML, JSON or OData text
	UnknownElement      Code = "VE1002" // element not in the FetchXML grammar, or in the wrong place
	UnknownAttribute    Code = "VE1003" // attribute not allowed on its element
	MissingAttribute    Code = "VE1004" // a required attribute is absent
	BadAttributeValue   Code = "VE1005" // attribute value of the wrong form (bool, int, enum)
	UnknownOperator     Code = "VE1006" // condition operator not in the operator table
	OperandCount        Code = "VE1007" // wrong number of values for the operator
	DuplicateElement    Code = "VE1008" // an element that may appear once appears twice
	ConflictingOptions  Code = "VE1009" // e.g. top with page/count
	LimitExceeded       Code = "VE1010" // Dataverse limits: 15 links, 500 conditions, 5,000 rows
	BadLiteral          Code = "VE1011" // a literal that does not parse as anything
	MisplacedLinkType   Code = "VE1012" // any/all outside a filter, inner/outer inside one
	TooDeep             Code = "VE1013" // nesting beyond the parser's depth limit
	UnsupportedFeature  Code = "VE1014" // valid in Dataverse, not supported by vecompile (named)
	UnknownEnum         Code = "VE1015" // QueryExpression enum member or number unknown
	DuplicateAlias      Code = "VE1016" // two link-entities or attributes share an alias
	MissingEntity       Code = "VE1017" // no <entity> in <fetch>
	UnsupportedFunction Code = "VE1018" // an OData canonical function vecompile does not compute (named); HTTP 501
	BadCSVRow           Code = "VE1021" // a row of a Synapse Link CSV partition that does not fit its model.json attributes (value form, field count, quoting), at file:line:col
	MissingPartition    Code = "VE1022" // a partition model.json lists is not beside it, or cannot be read
	ComputedMayFail     Code = "VE1023" // arithmetic that can overflow (an engine error) on a secured query; HTTP 501
	UnknownAlias        Code = "VE2009" // entityname / valueof / order alias names no link-entity
	UnknownEntity       Code = "VE2001" // table not in the catalog
	UnknownColumn       Code = "VE2002" // column not on its table
	TypeMismatch        Code = "VE2003" // literal does not fit the column type
	OperatorType        Code = "VE2004" // operator not valid for the column type
	MissingMetadata     Code = "VE2005" // the feature needs metadata the catalog lacks
	AmbiguousJoin       Code = "VE2006" // link without from/to and no relationship to infer
	AggregateRule       Code = "VE2007" // aggregate query rule broken (alias missing, order by attribute, …)
	MissingCaller       Code = "VE2008" // identity operator without a caller context
	FiscalSettings      Code = "VE2010" // fiscal operator without valid fiscal settings
	BadTimeZone         Code = "VE2011" // unknown IANA time zone
	KeyNotEncoded       Code = "VE2018" // a GUID compared with a column whose non-GUID key is exposed as GUIDs, outside the GUIDs that key encoding gives
	KeyMapUnsupported   Code = "VE2019" // a key-map id (a string or composite key exposed as GUIDs) used where the key map cannot answer: ordered comparison, a column of another form, an unmatched composite
	KeyMapDeclaration   Code = "VE2020" // a key map declared wrongly in the metadata (keyColumns naming no column, a part type other than string or integer)
	AssumedMetadata     Code = "VE2012" // a warning: untyped mode assumed a Dataverse convention where metadata would say (hierarchy parent<table>id)
	// Security (VE3xxx).
	SecurityDenied     Code = "VE3001"
	SecurityUnverified Code = "VE3002" // plan verifier found a secured source without its filter
	MissingPrivilege   Code = "VE3003" // the principal lacks a privilege (prv<Privilege><table>) on the table or the row
	BadSecurityModel   Code = "VE3004" // the security model (policy file or security tables) is invalid
	PrincipalRefused   Code = "VE3005" // unknown or disabled user, unmapped portal contact, portal user with an admin role
	CompanyDenied      Code = "VE3006" // a requested company (dataAreaId) is not among the user's companies
	HiddenColumnWrite  Code = "VE3007" // a write sets a secured column without create/update permission
	// Emit (VE4xxx).
	DialectUnsupported Code = "VE4001" // the dialect cannot express the construct
	ODataUnsupported   Code = "VE4002"
	EngineLimit        Code = "VE4004" // the statement would pass a limit of the target engine (parameters, columns, sort or group terms, identifier length, nesting)
	NoQueries          Code = "VE4005" // index advise read no query: a directory without .xml, .json or .odata files
	// Execution and configuration (VE5xxx).
	BadDSN          Code = "VE5001"
	DatabaseError   Code = "VE5002"
	BadMetadataFile Code = "VE5003"
	BadFlag         Code = "VE5004"
	UnknownCaller   Code = "VE5005" // the caller's user id is not in the database's systemuser table
	NoCallerTables  Code = "VE5006" // the database has no Dataverse-shaped user tables to read a caller from
	MalformedPlan   Code = "VE4003" // the emitter's input breaks the plan contract (nil table, column, sort key …)
	AggregateLimit  Code = "VE5007" // an aggregate query's input exceeds its limit (Dataverse 0x8004E023 AggregateQueryRecordLimit exceeded)
	QuickFindLimit  Code = "VE5008" // a quick-find filter matches more rows than the quick-find record limit (Dataverse 0x8004E024 QuickFindQueryRecordLimitExceeded)
	// Adapter server (VE6xxx).
	Unauthenticated Code = "VE6001" // no bearer token, or one that fails verification (HTTP 401)
	Forbidden       Code = "VE6002" // the application lacks the adapter role, or the acting user is not mapped (HTTP 403)
	BadPagingCookie Code = "VE6003" // a paging cookie that is tampered with or belongs to another query
	RequestTooLarge Code = "VE6004" // request body or JSON nesting beyond the server's limits
	NotFound        Code = "VE6005" // no such record, entity set or endpoint
	WriteRejected   Code = "VE6006" // a business-logic hook refused the write (its message is the user's)
	NoSecurityModel Code = "VE6007" // the server was started without a security model and without --insecure
	QueryTimeout    Code = "VE6008" // the query ran past the server's timeout and was cancelled in the database
	Unavailable     Code = "VE6009" // the database cannot be reached (HTTP 503, Retry-After)
	Conflict        Code = "VE6010" // a write breaks a key or constraint (duplicate id, missing referenced row)
	UnknownAction   Code = "VE6011" // PerformAction names no registered action, or its parameters do not fit
	// Write bodies and the HTTP edge (VE6012–VE6015).
	BadValueShape      Code = "VE6012" // a written value's shape is unknown or ambiguous (EntityReference keys, Value beside Id, a LogicalName that is not a target)
	DuplicateAttribute Code = "VE6013" // a request names one column twice (two spellings), or one JSON object repeats a key
	OwnerRequired      Code = "VE6014" // a write clears ownerid or owningbusinessunit, or sets a read-only ownership column
	RepeatedHeader     Code = "VE6015" // an identity or Authorization header given more than once
	// Written values against the metadata (VE6016–VE6017).
	ValueOutOfRange Code = "VE6016" // a written value outside its column's range: length, digits, date, option; or one the database refused as out of range
	InvalidText     Code = "VE6017" // a written string (or request body) with NUL or text that is not valid UTF-8
	// The protocol edge (VE6018–VE6019; continued at VE6030).
	NotAcceptable      Code = "VE6018" // Accept excludes every type the endpoint answers in (HTTP 406)
	UnsupportedVersion Code = "VE6019" // OData-MaxVersion or OData-Version below 4.0
	// VE6020–VE6029: the server under load and at its end.
	Overloaded   Code = "VE6020" // the database refuses more connections or resources, or picked the request as a deadlock victim (HTTP 503, Retry-After)
	ShuttingDown Code = "VE6021" // the server is stopping: the request was cancelled before it changed anything (HTTP 503, Retry-After)
	ClientClosed Code = "VE6022" // the client closed the connection before the answer: the request was cancelled (HTTP 499, logged at info, never read)
	// The protocol edge, continued (VE6030–VE6032).
	HeadersTooLarge  Code = "VE6030" // request headers beyond the server's limit (HTTP 431)
	MethodNotAllowed Code = "VE6031" // the endpoint exists but not for this method (HTTP 405)
	UnsupportedMedia Code = "VE6032" // a request body's Content-Type is not one the endpoint reads (HTTP 415)
	// Writes in doubt and in conflict (VE6033–).
	OutcomeUnknown       Code = "VE6033" // COMMIT's outcome is unknown and could not be found out: read before writing again (HTTP 502, no Retry-After)
	IdempotencyKeyReused Code = "VE6034" // an Idempotency-Key given again with another create (HTTP 422)
	PreconditionFailed   Code = "VE6035" // If-Match, If-None-Match or the SDK's RowVersion does not hold: the record changed or exists (HTTP 412, Dataverse ConcurrencyVersionMismatch)
	VersionNotProvided   Code = "VE6036" // IfRowVersionMatches without a RowVersion (Dataverse ConcurrencyVersionNotProvided)
	ReadOnlyAttribute    Code = "VE6037" // a write sets a column the server maintains (versionnumber)
	FailedDependency     Code = "VE6038" // a $batch operation not run because one it depends on (dependsOn) failed (HTTP 424)
	// Keys that are not GUIDs (VE6046–VE6049).
	NoSuchKey Code = "VE6046" // a record id outside the GUIDs a table's integer or string key is exposed as: no such record (HTTP 404)
	// Key maps for string and composite keys (VE6050–VE6059).
	KeyPartChange  Code = "VE6050" // an Update sets a column of a key-map table's key: the record's id would change (Dataverse keys never change)
	KeyMapFailed   Code = "VE6051" // the key map could not be created or written (read-only database user: run the documented DDL)
	KeyPartMissing Code = "VE6052" // a Create on a key-map table without a value for every key column, or naming an id that is not its key's (the id is computed from the key)
)
