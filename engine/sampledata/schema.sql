-- vecompile sample schema for SQLite, generated from metadata.json by
-- engine.SchemaSQL("sqlite", ""); PostgreSQL and MariaDB variants come from
-- engine.SchemaSQL("postgres" | "mysql", prefix). Regenerate with
-- go test ./engine -run TestSampleSchemaFile -update.

CREATE TABLE "businessunit" (
  "businessunitid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(160),
  "parentbusinessunitid" CHAR(36),
  "createdon" DATETIME,
  FOREIGN KEY ("parentbusinessunitid") REFERENCES "businessunit" ("businessunitid")
);

CREATE TABLE "systemuser" (
  "systemuserid" CHAR(36) NOT NULL PRIMARY KEY,
  "fullname" VARCHAR(200),
  "firstname" VARCHAR(64),
  "lastname" VARCHAR(64),
  "domainname" VARCHAR(256),
  "internalemailaddress" VARCHAR(100),
  "businessunitid" CHAR(36),
  "parentsystemuserid" CHAR(36),
  "isdisabled" BOOLEAN,
  "createdon" DATETIME,
  FOREIGN KEY ("businessunitid") REFERENCES "businessunit" ("businessunitid"),
  FOREIGN KEY ("parentsystemuserid") REFERENCES "systemuser" ("systemuserid")
);

CREATE TABLE "usersettings" (
  "systemuserid" CHAR(36) NOT NULL PRIMARY KEY,
  "uilanguageid" INTEGER,
  "timezonecode" INTEGER,
  FOREIGN KEY ("systemuserid") REFERENCES "systemuser" ("systemuserid")
);

CREATE TABLE "team" (
  "teamid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(160),
  "businessunitid" CHAR(36),
  "teamtype" INTEGER,
  "createdon" DATETIME,
  FOREIGN KEY ("businessunitid") REFERENCES "businessunit" ("businessunitid")
);

CREATE TABLE "teammembership" (
  "teammembershipid" CHAR(36) NOT NULL PRIMARY KEY,
  "teamid" CHAR(36),
  "systemuserid" CHAR(36),
  FOREIGN KEY ("systemuserid") REFERENCES "systemuser" ("systemuserid"),
  FOREIGN KEY ("teamid") REFERENCES "team" ("teamid")
);

CREATE TABLE "account" (
  "accountid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(160),
  "accountnumber" VARCHAR(20),
  "address1_city" VARCHAR(80),
  "address1_latitude" DOUBLE PRECISION,
  "revenue" DECIMAL(19,4),
  "numberofemployees" INTEGER,
  "industrycode" INTEGER,
  "statecode" INTEGER,
  "statuscode" INTEGER,
  "createdon" DATETIME,
  "new_contractend" DATETIME,
  "ownerid" CHAR(36),
  "owningbusinessunit" CHAR(36),
  "primarycontactid" CHAR(36),
  "parentaccountid" CHAR(36),
  "new_tags" TEXT,
  "donotemail" BOOLEAN,
  "description" TEXT,
  "versionnumber" BIGINT,
  FOREIGN KEY ("parentaccountid") REFERENCES "account" ("accountid"),
  FOREIGN KEY ("primarycontactid") REFERENCES "contact" ("contactid"),
  FOREIGN KEY ("owningbusinessunit") REFERENCES "businessunit" ("businessunitid")
);

CREATE TABLE "contact" (
  "contactid" CHAR(36) NOT NULL PRIMARY KEY,
  "fullname" VARCHAR(160),
  "firstname" VARCHAR(50),
  "lastname" VARCHAR(50),
  "emailaddress1" VARCHAR(100),
  "parentcustomerid" CHAR(36),
  "birthdate" DATE,
  "createdon" DATETIME,
  "ownerid" CHAR(36),
  "owningbusinessunit" CHAR(36),
  "statecode" INTEGER,
  "statuscode" INTEGER,
  "versionnumber" BIGINT,
  FOREIGN KEY ("parentcustomerid") REFERENCES "account" ("accountid"),
  FOREIGN KEY ("owningbusinessunit") REFERENCES "businessunit" ("businessunitid")
);

CREATE TABLE "opportunity" (
  "opportunityid" CHAR(36) NOT NULL PRIMARY KEY,
  "name" VARCHAR(300),
  "estimatedvalue" DECIMAL(19,4),
  "closeprobability" INTEGER,
  "estimatedclosedate" DATE,
  "customerid" CHAR(36),
  "statecode" INTEGER,
  "statuscode" INTEGER,
  "ownerid" CHAR(36),
  "owningbusinessunit" CHAR(36),
  "createdon" DATETIME,
  "versionnumber" BIGINT,
  FOREIGN KEY ("customerid") REFERENCES "account" ("accountid"),
  FOREIGN KEY ("owningbusinessunit") REFERENCES "businessunit" ("businessunitid")
);
