// A second OData v4 server over the sample's rows, for odata_v4_server_test.go:
// JayStack's odata-v4-server parses the request ($filter, $orderby, $top,
// $skip, $select, $count) and odata-v4-inmemory compiles $filter and each
// $orderby expression to JavaScript. The server leaves ordering and paging
// to the controller; here they follow OData's rules (nulls first ascending,
// keys compared as JavaScript compares them: strings by code unit, as a
// binary collation does).
//
// Usage: VE_DATA=data.json node server.js; it prints "listening PORT".
"use strict";
const fs = require("fs");
const { ODataServer, ODataController, Edm, odata } = require("odata-v4-server");
const { createFilter, compileExpression } = require("odata-v4-inmemory");
const { ODataMethodMap } = require("odata-v4-inmemory/lib/FilterVisitor");

// odata-v4-inmemory's canonical functions throw on a null argument; OData
// says a function of null is null (the filter then excludes the row).
for (const [name, fn] of Object.entries(ODataMethodMap)) {
  ODataMethodMap[name] = (...args) => (args.some((a) => a === null || a === undefined) ? null : fn(...args));
}

const data = JSON.parse(fs.readFileSync(process.env.VE_DATA, "utf8"));

const edmType = {
  string: Edm.String, int: Edm.Int32, bigint: Edm.Int64, decimal: Edm.Decimal,
  double: Edm.Double, bool: Edm.Boolean, datetime: Edm.DateTimeOffset, guid: Edm.Guid,
};

function option(query, type) {
  return ((query && query.value && query.value.options) || []).find((o) => o.type === type);
}

function compare(a, b) {
  if (a instanceof Date) a = a.getTime();
  if (b instanceof Date) b = b.getTime();
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function run(rows, query) {
  const filter = option(query, "Filter");
  let out = filter ? rows.filter(createFilter(filter.value)) : rows.slice();
  const orderby = option(query, "OrderBy");
  if (orderby) {
    const keys = orderby.value.items.map((it) => ({ fn: compileExpression(it.value.expr), dir: it.value.direction }));
    out = out.map((r, i) => ({ r, i })).sort((x, y) => {
      for (const k of keys) {
        const c = compare(k.fn(x.r), k.fn(y.r));
        if (c !== 0) return c * k.dir;
      }
      return x.i - y.i;
    }).map((x) => x.r);
  }
  const skip = option(query, "Skip");
  if (skip) out = out.slice(parseInt(skip.value.raw, 10));
  const top = option(query, "Top");
  if (top) out = out.slice(0, parseInt(top.value.raw, 10));
  return out;
}

class Server extends ODataServer {}

for (const table of data.tables) {
  const Entity = { [table.name]: class {} }[table.name];
  for (const col of table.columns) {
    const t = edmType[col.type];
    if (!t) throw new Error("no Edm type for " + col.type);
    t(Entity.prototype, col.name);
    if (col.name === table.key) Edm.Key(Entity.prototype, col.name);
  }
  const rows = table.rows.map((r) => {
    const o = new Entity();
    for (const col of table.columns) {
      const v = r[col.name] === undefined ? null : r[col.name];
      o[col.name] = v !== null && col.type === "datetime" ? new Date(v) : v;
    }
    return o;
  });
  const Controller = { [table.name + "Controller"]: class extends ODataController {
    find(query) { return run(rows, query); }
  } }[table.name + "Controller"];
  odata.GET(Controller.prototype, "find");
  odata.query(Controller.prototype, "find", 0);
  odata.type(Entity)(Controller);
  odata.controller(Controller, table.set, Entity)(Server);
}

const http = Server.create("/", 0, "127.0.0.1");
http.on("listening", () => console.log("listening " + http.address().port));
