// A real OData v4 client against vecompile serve: the CSDL of $metadata is
// read with the OASIS converter (odata-csdl, strict), and queries, counts,
// a read by key, $expand, a create/update/delete and $batch (multipart
// and JSON) run through @odata/client.
// Prints one JSON object of results for server/odata_client_test.go to check.
//
//   VE_BASE=http://127.0.0.1:PORT VE_TOKEN=… VE_USER=GUID node client.js
"use strict";

const { OData, Guid } = require("@odata/client");
const { xml2json } = require("odata-csdl");

async function main() {
  const base = process.env.VE_BASE;
  const headers = { Authorization: "Bearer " + process.env.VE_TOKEN, "X-VE-User-Id": process.env.VE_USER };
  const out = {};

  // $metadata: valid CSDL XML (strict conversion throws on any error).
  const res = await fetch(base + "/odata/$metadata", { headers });
  if (res.status !== 200) throw new Error("$metadata: HTTP " + res.status);
  const csdl = xml2json(await res.text(), { strict: true });
  const ns = Object.keys(csdl).find((k) => !k.startsWith("$"));
  const schema = csdl[ns];
  const containerName = csdl.$EntityContainer.split(".").pop();
  const container = schema[containerName];
  out.entitySets = Object.keys(container).filter((k) => !k.startsWith("$")).sort();
  const accountType = schema[container.accounts.$Type.split(".").pop()];
  out.accountKey = accountType.$Key;
  out.accountNameType = accountType.name.$Type || "Edm.String";
  out.navigation = Object.keys(accountType).filter((k) => accountType[k].$Kind === "NavigationProperty").sort();

  // Dataverse answers a POST with 204 and OData-EntityId unless asked for
  // the entity; @odata/client expects the entity (the OData v4 default).
  const client = OData.New4({ serviceEndpoint: base + "/odata/", commonHeaders: { ...headers, Prefer: "return=representation" } });
  const accounts = client.getEntitySet("accounts");

  // A filtered, ordered, limited query.
  const q = client.newParam().select(["accountid", "name"]).filter("startswith(name,'Contoso')").orderby("name", "asc").top(3);
  out.contosoNames = (await accounts.query(q)).map((a) => a.name);
  // $count.
  out.count = await accounts.count();
  // Read by key.
  const first = (await accounts.query(client.newParam().select(["accountid", "name"]).orderby("name").top(1)))[0];
  const byKey = await accounts.retrieve(new Guid(first.accountid));
  out.byKeySame = byKey.accountid === first.accountid && byKey.name === first.name;

  // $expand, single- and collection-valued with nested options, on a
  // query and by key: shaped as {name, primary, contacts}.
  const shape = (a) => ({
    name: a.name,
    primary: a.primarycontactid ? a.primarycontactid.fullname : null,
    contacts: (a.contact_customer_accounts || []).map((c) => c.fullname),
    count: a["contact_customer_accounts@odata.count"],
  });
  const expand = ["primarycontactid($select=fullname)", "contact_customer_accounts($select=fullname;$orderby=fullname;$count=true)"];
  out.expanded = (await accounts.query(client.newParam().select(["accountid", "name"]).orderby("accountid", "asc").top(5).expand(expand))).map(shape);
  out.expandedByKeyId = first.accountid;
  out.expandedByKey = shape(await accounts.retrieve(new Guid(first.accountid), client.newParam().select(["name"]).expand(expand)));

  // Create, update, read back, delete.
  const created = await accounts.create({ name: "Created by the OData client" });
  const id = created.accountid;
  out.createdHasId = typeof id === "string" && id.length === 36;
  await accounts.update(new Guid(id), { name: "Renamed by the OData client" });
  out.renamed = (await accounts.retrieve(new Guid(id))).name;
  await accounts.delete(new Guid(id));
  try {
    await accounts.retrieve(new Guid(id));
    out.deleted = false;
  } catch (e) {
    out.deleted = true;
  }
  // $batch through the client's own support, both formats: multipart
  // (a GET part, each write in its own change set) and OData 4.01 JSON.
  // A client without Prefer: the batch itself takes no preference.
  const bc = OData.New4({ serviceEndpoint: base + "/odata/", commonHeaders: headers });
  const mp = await bc.execBatchRequests([
    bc.newBatchRequest({ collection: "accounts", params: bc.newParam().select(["name"]).filter("name eq 'Contoso Ltd'") }),
    bc.newBatchRequest({ collection: "accounts", method: "POST", entity: { name: "Created in a multipart batch" } }),
  ]);
  out.batchMultipart = { statuses: mp.map((r) => r.status), read: (await mp[0].json()).value.map((a) => a.name) };
  const js = await bc.execBatchRequestsJson([
    bc.newBatchRequest({ collection: "accounts", method: "POST", entity: { name: "Created in a JSON batch" } }),
    bc.newBatchRequest({ collection: "accounts", params: bc.newParam().select(["name"]).filter("startswith(name,'Created in a')").orderby("name", "asc") }),
  ]);
  out.batchJson = { statuses: js.map((r) => r.status), read: (await js[1].json()).value.map((a) => a.name) };
  // Both created records deleted in one multipart batch (each DELETE in a
  // change set), by the ids the batches answered in OData-EntityId.
  const idOf = (h) => {
    const k = Object.keys(h).find((k) => k.toLowerCase() === "odata-entityid");
    return k ? h[k].slice(h[k].lastIndexOf("(") + 1, -1) : "";
  };
  const del = await bc.execBatchRequests([mp[1], js[0]].map((r) => bc.newBatchRequest({ collection: "accounts", method: "DELETE", id: new Guid(idOf(r.headers)) })));
  out.batchDelete = del.map((r) => r.status);
  out.batchLeft = (await accounts.query(client.newParam().select(["name"]).filter("startswith(name,'Created in a')"))).length;

  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write("odata client: " + (e && e.stack ? e.stack : String(e)) + "\n");
  process.exit(1);
});
