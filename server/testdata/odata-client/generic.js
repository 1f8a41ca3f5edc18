// A generic client generated from $metadata: the OASIS converter
// (odata-openapi) turns the service's CSDL into OpenAPI, and this client
// sends every request the OpenAPI offers for reading: each GET path, with
// each query option it lists (every $orderby, $select and $expand item it
// enumerates). It knows nothing of vecompile; the Capabilities annotations
// of $metadata are what keep it from refused requests. For contrast the
// same is done with the annotations stripped from the document.
// Prints one JSON object for server/odata_client_test.go to check.
//
//   VE_BASE=http://127.0.0.1:PORT VE_TOKEN=… VE_USER=GUID node generic.js
"use strict";

const { xml2json } = require("odata-csdl");
const { csdl2openapi } = require("odata-openapi");

const base = process.env.VE_BASE;
const auth = { Authorization: "Bearer " + process.env.VE_TOKEN };
const headers = { ...auth, "X-VE-User-Id": process.env.VE_USER, Accept: "application/json" };

async function get(path) {
  const res = await fetch(base + path, { headers });
  await res.arrayBuffer();
  return res.status;
}

// The values the client fills in for each query option the OpenAPI lists.
function optionRequests(params) {
  const out = [];
  for (const p of params) {
    const name = p.name;
    const items = (p.schema && p.schema.items && p.schema.items.enum) || [];
    switch (name) {
      case "$top":
        out.push("$top=2");
        break;
      case "$skip":
        out.push("$top=2&$skip=1");
        break;
      case "$search":
        out.push("$search=contoso");
        break;
      case "$count":
        out.push("$count=true");
        break;
      case "$filter":
        break; // a generic client has no filter to send
      case "$select":
        out.push("$select=" + items.join(","));
        break;
      case "$orderby":
      case "$expand":
        // "*" is OData's wildcard, not a navigation property: a client
        // that expands everything asks for every property by name.
        for (const it of items) if (it !== "*") out.push(name + "=" + encodeURIComponent(it));
        break;
    }
  }
  return out;
}

async function run(csdl, keys) {
  const openapi = csdl2openapi(csdl, { scheme: "http", host: "localhost", basePath: "/odata" });
  const result = { requests: 0, refused: [], forbidden: 0, offers: { search: false, skip: false, navigationPaths: [], batch: false } };
  for (const [path, item] of Object.entries(openapi.paths)) {
    if (path === "/$batch") {
      result.offers.batch = true;
      continue;
    }
    if (!item.get || path.startsWith("/$")) continue;
    const m = /^\/([A-Za-z_0-9]+)(\([^)]*\))?(.*)$/.exec(path);
    if (!m) continue;
    const [, set, key, rest] = m;
    if (rest && rest !== "/$count") result.offers.navigationPaths.push(path);
    let url = "/odata/" + set;
    if (key) {
      if (!keys[set]) continue;
      url += "(" + keys[set] + ")";
    }
    url += rest;
    const params = (item.get.parameters || []).map((p) => (p.$ref ? openapi.components.parameters[p.$ref.split("/").pop()] : p));
    for (const p of params) {
      if (p.name === "$search") result.offers.search = true;
      if (p.name === "$skip") result.offers.skip = true;
    }
    const tried = [url];
    for (const q of optionRequests(params)) tried.push(url + "?" + q);
    for (const u of tried) {
      result.requests++;
      const status = await get(u);
      // 403 is the security model's answer (a table the caller holds no
      // privilege on), which no $metadata states, Dataverse's included.
      if (status === 403) result.forbidden++;
      else if (status >= 400) result.refused.push(status + " " + u);
    }
  }
  result.offers.navigationPaths.sort();
  return result;
}

// Removes every Capabilities annotation from a CSDL JSON document.
function strip(v) {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.includes("@Org.OData.Capabilities.V1.") || k.includes("@Capabilities.")) continue;
      out[k] = strip(x);
    }
    return out;
  }
  return v;
}

async function main() {
  // A valid token alone reads $metadata (no acting user).
  const res = await fetch(base + "/odata/$metadata", { headers: auth });
  if (res.status !== 200) throw new Error("$metadata: HTTP " + res.status);
  const csdl = xml2json(await res.text(), { strict: true });
  // One key per entity set, for the by-key paths.
  const keys = {};
  const ns = Object.keys(csdl).find((k) => !k.startsWith("$"));
  const container = csdl[ns][csdl.$EntityContainer.split(".").pop()];
  for (const [set, def] of Object.entries(container)) {
    if (set.startsWith("$") || set.startsWith("@")) continue;
    const type = csdl[ns][def.$Type.split(".").pop()];
    const key = type.$Key[0];
    const r = await fetch(base + "/odata/" + set + "?$select=" + key + "&$top=1", { headers });
    const body = await r.json();
    if (body.value && body.value.length) keys[set] = body.value[0][key];
  }
  const out = { annotated: await run(csdl, keys), stripped: await run(strip(csdl), keys) };
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
