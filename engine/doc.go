// Package engine connects vecompile to databases: it opens SQLite,
// PostgreSQL and MySQL/MariaDB, reads metadata (a JSON file, the SQL 4 CDS
// test schema, or the database's own schema), holds the embedded sample
// database, reads the caller context from Dataverse-shaped user tables,
// runs emitted statements and returns rows in Dataverse's shape, and
// prints them.
//
// # DSNs
//
// Open takes:
//
//	sqlite:PATH                   an existing SQLite file; sqlite:PATH?create=true creates it
//	sqlite::memory:               a fresh in-memory database (one connection)
//	postgres://user[:password]@host:port/db?sslmode=disable   (or postgresql://)
//	mysql://user[:password]@host:port/db                      (or mariadb://)
//
// SQLite runs on modernc.org/sqlite (pure Go). Query parameters of a sqlite
// DSN go to that driver; time.Time arguments are written as
// 'YYYY-MM-DD HH:MM:SS' (_time_format=datetime), the convention for SQLite
// datetimes here. LOWER and UPPER are replaced, for every SQLite
// connection of the process, by Unicode-aware versions that fold 'Ü' as
// PostgreSQL and MySQL do; SQL printed for SQLite and run by another SQLite
// build folds ASCII only.
//
// PostgreSQL runs on pgx (database/sql driver "pgx"); sessions use
// TimeZone UTC. MySQL and MariaDB run on go-sql-driver/mysql: the URL
// becomes user:password@tcp(host:port)/db?parseTime=true&loc=UTC with
// time_zone '+00:00'; other query parameters are the driver's own (for
// example multiStatements=true to run scripts).
//
// A malformed DSN is a BadDSN error, an unreachable database a
// DatabaseError; neither repeats the password.
//
// # Dataverse $metadata
//
// ParseMetadata reads an XML document as the Web API's CSDL $metadata
// (ParseCSDL, csdl.go): entity types as tables, _x_value lookup properties
// as columns x, single-valued navigation properties with a referential
// constraint as relationships and targets. The rules are in docs/cli.md.
//
// # Metadata JSON format
//
// LoadMetadataFile (and ParseMetadata) read a document close to
// Dataverse's EntityMetadata, AttributeMetadata and relationship metadata:
//
//	{
//	  "version": 1,
//	  "entities": [
//	    {
//	      "logicalName": "account",
//	      "physicalName": "crm_account",
//	      "entitySetName": "accounts",
//	      "primaryIdAttribute": "accountid",
//	      "primaryNameAttribute": "name",
//	      "attributes": [
//	        {"logicalName": "accountid", "type": "Uniqueidentifier"},
//	        {"logicalName": "name", "type": "String", "maxLength": 160},
//	        {"logicalName": "revenue", "type": "Money", "precision": 4},
//	        {"logicalName": "createdon", "type": "DateTime", "dateTimeBehavior": "UserLocal"},
//	        {"logicalName": "ownerid", "type": "Owner", "targets": ["systemuser", "team"]},
//	        {"logicalName": "parentaccountid", "type": "Lookup", "targets": ["account"]},
//	        {"logicalName": "industrycode", "type": "Picklist", "physicalName": "industry",
//	         "options": [{"value": 1, "label": "Accounting"}, {"value": 2, "label": "Agriculture"}]},
//	        {"logicalName": "statecode", "type": "State",
//	         "options": [{"value": 0, "label": "Active"}, {"value": 1, "label": "Inactive"}]}
//	      ]
//	    },
//	    {
//	      "logicalName": "systemuser",
//	      "attributes": [
//	        {"logicalName": "systemuserid", "type": "Uniqueidentifier"},
//	        {"logicalName": "fullname", "type": "String"}
//	      ]
//	    },
//	    {
//	      "logicalName": "team",
//	      "attributes": [{"logicalName": "teamid", "type": "Uniqueidentifier"}]
//	    },
//	    {
//	      "logicalName": "teammembership",
//	      "attributes": [
//	        {"logicalName": "teammembershipid", "type": "Uniqueidentifier"},
//	        {"logicalName": "teamid", "type": "Uniqueidentifier"},
//	        {"logicalName": "systemuserid", "type": "Uniqueidentifier"}
//	      ]
//	    }
//	  ],
//	  "relationships": [
//	    {"schemaName": "account_parent_account",
//	     "referencedEntity": "account", "referencedAttribute": "accountid",
//	     "referencingEntity": "account", "referencingAttribute": "parentaccountid",
//	     "isHierarchical": true},
//	    {"schemaName": "teammembership_association",
//	     "entity1": "systemuser", "entity2": "team", "intersectEntity": "teammembership",
//	     "entity1IntersectAttribute": "systemuserid", "entity2IntersectAttribute": "teamid"}
//	  ]
//	}
//
// Top level: "version" (1; optional), "description" (free text), "entities"
// (required), "relationships" (optional).
//
// Entities: "logicalName" (required), "physicalName" (the SQL table;
// default the logical name), "entitySetName" (default: the English plural
// of the logical name), "primaryIdAttribute" (default "<logicalName>id"
// when such an attribute exists), "primaryNameAttribute", "description",
// "attributes".
//
// Attributes: "logicalName" (required), "physicalName" (the SQL column;
// default the logical name), "type" (required: a Dataverse AttributeType
// name: String, Memo, Integer, BigInt, Decimal, Double, Money, Boolean,
// DateTime, Uniqueidentifier, Lookup, Owner, Customer, Picklist, State,
// Status, MultiSelectPicklist; also EntityName, Virtual → String),
// "dateTimeBehavior" (DateTime only: UserLocal (default), DateOnly,
// TimeZoneIndependent), "targets" (Lookup, Owner, Customer: the entities
// the lookup points to), "options" (Picklist, State, Status,
// MultiSelectPicklist: the option values and their labels, [{"value": 1,
// "label": "Accounting"}, …]; values are unique integers, labels non-empty;
// on a Boolean, the labels of 0 and 1, which formatted values show),
// "maxLength" (String, Memo), "precision" (Decimal, Money, Double: decimal
// places), "guidStorage" (Uniqueidentifier, Lookup, Owner, Customer: how
// the database stores the values: lower, upper, anycase, native, binary,
// or integer for a key that is an integer exposed as GUIDs, plan.IntKeyGUID;
// a lookup without it whose targets all have integer keys is integer too;
// keymap, with "keyColumns" (attribute names in key order), for the
// virtual id of a table keyed by strings or several columns, or a virtual
// lookup holding such a key in the listed foreign key columns, plan.KeyMap;
// see plan.GuidStorage; without it a database vecompile opens is probed,
// ProbeGuidStorage), "description". maxLength and precision shape the DDL
// the sample is created with, and written values are checked against them
// (DecodeValue; docs/server.md "Value limits"): a String without maxLength
// has Dataverse's default 100, a Decimal without precision 2; Money's
// precision is at most 4. The planner does not use them.
//
// Option labels are in one language, the one the file is written in: the
// caller's language (plan.Caller.LanguageID) does not pick among
// translations, which the format does not hold. The planner sorts Picklist,
// State and Status columns by these labels, as Dataverse sorts choices
// (spec §1.4, §5.8), unless fetch/@useraworderby="true"; a column without
// options sorts by value. Lookups sort by the target's
// "primaryNameAttribute", so a target without one sorts by the stored GUID.
//
// Relationships are 1:N ("schemaName", "referencedEntity",
// "referencedAttribute" (default: the referenced entity's primary id),
// "referencingEntity", "referencingAttribute", "isHierarchical" (only on a
// self-referential relationship; one per entity)) or N:N ("schemaName",
// "entity1", "entity2", "intersectEntity", "entity1IntersectAttribute",
// "entity2IntersectAttribute"). A 1:N relationship adds its referenced
// entity to the lookup's targets; a lookup target without a declared
// relationship gets one named <target>_<entity>_<attribute>. Each table's
// Relationships lists those it takes part in.
//
// Names match case-insensitively. Unknown fields, wrong JSON types,
// unknown types and dangling references are BadMetadataFile errors with
// the line, column and JSON path, for example
//
//	crm.json:12:38: VE5003 $.entities[0].attributes[3].type: unknown attribute type "Strng" (…)
//
// LoadSQL4CDSMetadata adapts the SQL 4 CDS test schema (test data only;
// see its documentation). Untyped mode needs no metadata: plan.Untyped.
//
// # Introspection
//
// Introspect reads tables and views of the current schema (PostgreSQL:
// current_schema(); MySQL: DATABASE(); SQLite: sqlite_master and the
// table_info / foreign_key_list pragmas). Logical names are the lower-cased
// physical names. Types: uuid, uniqueidentifier and char(36) →
// Uniqueidentifier; tinyint(1), bool, boolean → Boolean; bigint → BigInt;
// int, integer, smallint, tinyint → Integer; numeric, decimal → Decimal;
// money → Money; double, float, real → Double; date → DateTime (DateOnly);
// datetime, timestamp → DateTime (UserLocal); text, varchar, char → String;
// anything else is untyped. Text and binary columns whose values among
// the first 50 rows are all GUIDs (or, in an empty table, named <table>id
// or as a known lookup) are GUIDs too. The primary key is the
// single-column primary key, else a column named <table>id. Single-column
// foreign keys are 1:N relationships; a GUID column with one is a Lookup
// to the referenced table; a self-referencing one whose column name starts
// with "parent" is the table's hierarchical relationship. Without a
// foreign key, Dataverse's names give lookups (lookupTargetsByName):
// ownerid (Owner: systemuser, team), owninguser, owningteam,
// owningbusinessunit, createdby, modifiedby, customerid and
// parentcustomerid (Customer: account, contact), parent<table>id (the
// hierarchy) and <target>id. The primary name is a column "name" or
// "fullname" (or "<prefix>_name" for "<prefix>_table"), else "title" or
// "subject". A single-column integer primary key (identity, serial,
// INTEGER PRIMARY KEY) is a Uniqueidentifier stored as integer
// (plan.GuidInteger), and an integer foreign key to it a Lookup of the
// same form. A primary key of one string column, or of several string and
// integer columns, gets a virtual Uniqueidentifier <table>id (or
// <table>_keyid when a column has that name) over its key map, and a
// foreign key referencing the whole of such a key a virtual Lookup
// <target>id (or <first column>_<target>id) over its columns (BindKeyMap).
// WriteMetadata prints a catalog in the file format below.
//
// Every GUID column's storage form (plan.GuidStorage) is then read by
// ProbeGuidStorage: native and binary types by declaration, text columns
// by the case of the letters they hold (one scan per table), SQLite
// columns by their values' types too.
//
// A database can carry exact metadata: when it has a table
// vecompile_metadata(document TEXT) with one row, Introspect returns the
// catalog of that document (the JSON format above) instead. That is the
// way to type SQLite text datetimes, Money, Picklist and Owner columns.
//
// # Sample database
//
// OpenSample loads the embedded sample (sampledata/: metadata.json, the
// schema; data.sql, portable INSERT statements; schema.sql, the generated
// SQLite DDL for reading) into a fresh in-memory SQLite database.
// LoadFixture loads the same schema and rows into SQLite, PostgreSQL or
// MariaDB, with an optional table-name prefix, and returns the catalog with
// prefixed physical names; SchemaSQL prints its DDL. Contents:
//
//	businessunit     3   Contoso > Contoso Sales > Sales Europe (parentbusinessunitid, hierarchical)
//	systemuser      10   manager chain via parentsystemuserid (hierarchical), one disabled user
//	usersettings    10   uilanguageid (LCID) and timezonecode per user
//	team             4   Contoso, Contoso Sales, Sales Europe, Key Accounts (access team)
//	teammembership  14
//	account         40   revenue (Money), numberofemployees, industrycode (Picklist;
//	                     the sample's own labels, whose order is not the values'),
//	                     statecode/statuscode, createdon (UserLocal), new_contractend
//	                     (TimeZoneIndependent), ownerid (Owner: users and teams),
//	                     owningbusinessunit, primarycontactid, parentaccountid
//	                     (hierarchical), new_tags (MultiSelectPicklist stored as "1,3"),
//	                     donotemail, address1_latitude (Double), description (Memo),
//	                     versionnumber (BigInt)
//	contact         60   fullname, firstname, lastname, emailaddress1, parentcustomerid
//	                     (→ account), birthdate (DateOnly), createdon, ownerid, statecode
//	opportunity     80   estimatedvalue (Money), closeprobability, estimatedclosedate
//	                     (DateOnly), customerid (→ account), statecode/statuscode, ownerid
//
// SampleUsers maps handles ("ceo", "manager", "rep", "europe", "service",
// "integration") to user ids. The manager chain: María García
// (SampleCEOID) manages John Smith
// (SampleManagerID) and Zoë Müller; John Smith manages Priya Patel and
// Björn Larsson; Priya manages Sam Taylor (SampleRepID); Björn manages
// Chloé Dubois and Liam O'Brien; Zoë manages Kenji Tanaka. Language lives
// in usersettings, as in Dataverse. Contoso Ltd (SampleParentAccountID)
// heads an account hierarchy three levels deep. Names mix case and
// accents ("Café Ünïcode", "ÅKERLUND & RAUSING AB", "lowercase llc") and
// LIKE metacharacters ("100% Natural", "A_B Corp", "[Brackets] Ltd");
// most nullable columns hold some NULLs; datetimes are UTC and spread over
// 2024–2027, with a cluster around 2026-03-15. GUIDs are lower-case and
// readable: businessunit bb…, systemuser aa…, team ee…, teammembership
// ef…, account acc…, contact c0…, opportunity d0…, numbered in the last
// group. The data are fixed; nothing is random at load.
//
// Column types per engine: GUIDs CHAR(36) (PostgreSQL uuid), strings
// VARCHAR(maxLength), memo and multi-select TEXT, money DECIMAL(19,4),
// double DOUBLE PRECISION (MySQL DOUBLE), booleans BOOLEAN (MySQL
// TINYINT(1)), datetimes DATETIME (PostgreSQL timestamp), dates DATE;
// SQLite keeps datetimes as ISO-8601 text 'YYYY-MM-DD HH:MM:SS' (UTC) and
// booleans as 0/1; MySQL tables are utf8mb4 with utf8mb4_bin collation.
// Foreign keys exist for single-target lookups and the teammembership
// columns; owner columns (systemuser or team) have none.
//
// # Caller context
//
// LoadCaller reads a plan.Caller from systemuser, teammembership and
// usersettings: business unit, teams, reports down the manager chain to a
// depth, the reports' teams, and the UI language.
//
// # Running statements and value typing
//
// DB.Query runs an emitted statement (emit/sql.Statement) and types each
// value by its output column (plan.OutputColumn) so that every engine
// returns the same values:
//
//	String, Memo                    string
//	Integer, BigInt, Picklist,
//	  State, Status                 int64
//	Decimal, Money                  json.Number, exact digits, trailing zeros dropped
//	                                (1500000.5000 → 1500000.5); SQLite REAL keeps 15
//	                                significant digits
//	Double                          float64
//	Boolean                         bool (SQLite and MySQL 0/1 included)
//	DateTime                        "2024-05-01T13:00:00Z" (UTC, whole seconds);
//	                                DateOnly columns "2024-05-01"
//	Uniqueidentifier, Lookup,
//	  Owner, Customer               lower-case canonical GUID string
//	MultiSelectPicklist             []int64 from "1,3" (empty text is null)
//	NULL                            nil
//
// Aggregates: count and countcolumn are int64; avg is a json.Number
// rounded half away from zero to AvgScale (4) decimal places; sum, min and
// max have the column's type; date grouping gives int64 (day, week,
// month, quarter, year) or the fiscal label string. Output columns
// without a column (count) are int64; a statement without Columns gives
// untyped values named by the driver. A value that does not fit its type
// (SQLite stores anything anywhere) comes back as the driver gave it.
//
// Paging: with plan.PageSize > 0 the emitter asks for PageSize+1 rows;
// Shape (or DB.Run, which is Query then Shape) drops the extra row and
// sets MoreRecords. DB.Exec does it all for a plan: it emits the
// statement for the database's dialect, runs and shapes it, and when the
// plan asks for the total record count runs the emitter's count statement
// (DB.Count) and records it with Result.SetTotal, capped at 5,000 as
// Dataverse does. Before an aggregate plan it counts the aggregate's input
// rows, at most plan.AggregateLimit+1 of them (emit/sql.EmitAggregateInput),
// and refuses an input over the limit (50,000, or fetch/@aggregatelimit)
// with a diag.AggregateLimit (VE5007) error naming Dataverse's
// AggregateQueryRecordLimit exceeded (0x8004E023); the check and the query
// are two statements, not one snapshot. Driver errors are DatabaseError.
//
// # Output formats
//
// Write prints a Result as "table" (aligned columns, numbers right-aligned,
// nulls blank, a "(N rows)" footer), "json" (one document
// {"value":[…],"morerecords":false} plus "totalrecordcount" when the query
// asked for it; row objects keep column order and omit nulls, as FetchXML
// results over the Web API do), "jsonl" (one row object per line, nulls
// omitted) or "csv" (a header row; null is an empty field; multi-select
// values joined by ",").
//
// It sits below the server and the CLI: it never imports server, cmd or a
// parser.
package engine
