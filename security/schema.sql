-- vecompile security schema (security.SchemaSQL("sqlite", "")).
-- Directory tables (businessunit, systemuser, position, team, teammembership) are
-- created only when absent; existing ones need at least the columns listed here,
-- except the optional ones (systemuser.positionid: only for position hierarchy;
-- team.azureactivedirectoryobjectid: only for Entra group teams).

CREATE TABLE IF NOT EXISTS "businessunit" (
  "businessunitid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(200),
  "parentbusinessunitid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "systemuser" (
  "systemuserid" CHAR(36) NOT NULL PRIMARY KEY,
  "fullname" VARCHAR(200),
  "businessunitid" CHAR(36),
  "parentsystemuserid" CHAR(36),
  "isdisabled" BOOLEAN,
  "positionid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "position" (
  "positionid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(200),
  "parentpositionid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "team" (
  "teamid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(200),
  "businessunitid" CHAR(36),
  "teamtype" INTEGER,
  "azureactivedirectoryobjectid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "teammembership" (
  "teammembershipid" CHAR(36) NOT NULL PRIMARY KEY,
  "teamid" CHAR(36),
  "systemuserid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "role" (
  "roleid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(200),
  "isadministrator" BOOLEAN
);

CREATE TABLE IF NOT EXISTS "roleprivileges" (
  "roleprivilegeid" CHAR(36) NOT NULL PRIMARY KEY,
  "roleid" CHAR(36),
  "privilegename" VARCHAR(200),
  "privilegedepthmask" INTEGER
);

CREATE TABLE IF NOT EXISTS "systemuserroles" (
  "systemuserroleid" CHAR(36) NOT NULL PRIMARY KEY,
  "systemuserid" CHAR(36),
  "roleid" CHAR(36),
  "businessunitid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "teamroles" (
  "teamroleid" CHAR(36) NOT NULL PRIMARY KEY,
  "teamid" CHAR(36),
  "roleid" CHAR(36),
  "businessunitid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "principalobjectaccess" (
  "principalobjectaccessid" CHAR(36) NOT NULL PRIMARY KEY,
  "principalid" CHAR(36),
  "principaltypecode" VARCHAR(200),
  "objectid" CHAR(36),
  "objecttypecode" VARCHAR(200),
  "accessrightsmask" INTEGER,
  "inheritedaccessrightsmask" INTEGER
);

CREATE TABLE IF NOT EXISTS "principalobjectattributeaccess" (
  "principalobjectattributeaccessid" CHAR(36) NOT NULL PRIMARY KEY,
  "principalid" CHAR(36),
  "objectid" CHAR(36),
  "objecttypecode" VARCHAR(200),
  "attributelogicalname" VARCHAR(200),
  "readaccess" BOOLEAN,
  "updateaccess" BOOLEAN
);

CREATE TABLE IF NOT EXISTS "fieldsecurityprofile" (
  "fieldsecurityprofileid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(200)
);

CREATE TABLE IF NOT EXISTS "fieldpermission" (
  "fieldpermissionid" CHAR(36) NOT NULL PRIMARY KEY,
  "fieldsecurityprofileid" CHAR(36),
  "entityname" VARCHAR(200),
  "attributelogicalname" VARCHAR(200),
  "canread" INTEGER,
  "canupdate" INTEGER,
  "cancreate" INTEGER
);

CREATE TABLE IF NOT EXISTS "systemuserprofiles" (
  "systemuserprofileid" CHAR(36) NOT NULL PRIMARY KEY,
  "systemuserid" CHAR(36),
  "fieldsecurityprofileid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "teamprofiles" (
  "teamprofileid" CHAR(36) NOT NULL PRIMARY KEY,
  "teamid" CHAR(36),
  "fieldsecurityprofileid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "msdyn_externalportalusermapping" (
  "msdyn_externalportalusermappingid" CHAR(36) NOT NULL PRIMARY KEY,
  "contactid" CHAR(36),
  "systemuserid" CHAR(36)
);

CREATE TABLE IF NOT EXISTS "vecompile_tablesecurity" (
  "tablename" VARCHAR(200) NOT NULL PRIMARY KEY,
  "ownership" INTEGER,
  "company" BOOLEAN,
  "hierarchyexcluded" BOOLEAN,
  "securedcolumns" TEXT
);

CREATE TABLE IF NOT EXISTS "vecompile_usercompany" (
  "vecompile_usercompanyid" CHAR(36) NOT NULL PRIMARY KEY,
  "systemuserid" CHAR(36),
  "dataareaid" VARCHAR(200),
  "isdefault" BOOLEAN
);

CREATE TABLE IF NOT EXISTS "vecompile_xdspolicy" (
  "name" VARCHAR(200) NOT NULL PRIMARY KEY,
  "primarytable" VARCHAR(200),
  "primarykey" VARCHAR(200),
  "roles" TEXT
);

CREATE TABLE IF NOT EXISTS "vecompile_xdsconstraint" (
  "vecompile_xdsconstraintid" CHAR(36) NOT NULL PRIMARY KEY,
  "policyname" VARCHAR(200),
  "tablename" VARCHAR(200),
  "columnname" VARCHAR(200)
);

CREATE TABLE IF NOT EXISTS "vecompile_xdsrange" (
  "vecompile_xdsrangeid" CHAR(36) NOT NULL PRIMARY KEY,
  "policyname" VARCHAR(200),
  "columnname" VARCHAR(200),
  "operator" VARCHAR(200),
  "vals" TEXT
);

CREATE TABLE IF NOT EXISTS "vecompile_securitysetting" (
  "name" VARCHAR(200) NOT NULL PRIMARY KEY,
  "value" TEXT
);
