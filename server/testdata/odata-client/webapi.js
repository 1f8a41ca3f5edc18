// A client written as Dataverse Web API clients are (plain fetch, the
// headers and conventions of Microsoft's samples), run against vecompile
// serve: lookups read as _x_value with their annotations, Prefer:
// odata.include-annotations and odata.maxpagesize, @odata.nextLink
// followed to the end, the associated navigation property used to
// $expand, a multipart $batch with a change set whose second create binds
// the first by Content-ID, and Preference-Applied read back.
// Prints one JSON object for server/webapi_client_test.go to check.
//
//   VE_BASE=http://127.0.0.1:PORT VE_TOKEN=… VE_USER=GUID node webapi.js
"use strict";

const base = process.env.VE_BASE;
const api = base + "/odata/";
const headers = {
  Authorization: "Bearer " + process.env.VE_TOKEN,
  "X-VE-User-Id": process.env.VE_USER,
  Accept: "application/json",
  "OData-MaxVersion": "4.0",
  "OData-Version": "4.0",
};
const LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname";
const NAV = "@Microsoft.Dynamics.CRM.associatednavigationproperty";
const FORMATTED = "@OData.Community.Display.V1.FormattedValue";

async function getJSON(url, extra = {}) {
  const res = await fetch(url, { headers: { ...headers, ...extra } });
  if (res.status !== 200) throw new Error(url + ": HTTP " + res.status + " " + (await res.text()));
  return { body: await res.json(), applied: res.headers.get("Preference-Applied") };
}

// retrieveMultiple follows @odata.nextLink, as the Web API samples do.
async function retrieveMultiple(query, maxPageSize) {
  const prefer = 'odata.include-annotations="*",odata.maxpagesize=' + maxPageSize;
  let url = api + query;
  const rows = [];
  let pages = 0;
  let applied = "";
  while (url) {
    const { body, applied: a } = await getJSON(url, { Prefer: prefer });
    applied = a || applied;
    pages++;
    rows.push(...body.value);
    url = body["@odata.nextLink"];
    if (pages > 100) throw new Error("nextLink does not end");
  }
  return { rows, pages, applied };
}

function multipartBatch(boundary, changeset, name, lastname) {
  const CRLF = "\r\n";
  const part = (id, method, url, body) =>
    [
      "--" + changeset,
      "Content-Type: application/http",
      "Content-Transfer-Encoding: binary",
      "Content-ID: " + id,
      "",
      method + " " + url + " HTTP/1.1",
      "Content-Type: application/json; type=entry",
      "",
      JSON.stringify(body),
    ].join(CRLF);
  return [
    "--" + boundary,
    "Content-Type: multipart/mixed; boundary=" + changeset,
    "",
    part(1, "POST", api + "accounts", { name }),
    part(2, "POST", api + "contacts", { lastname, "parentcustomerid_account@odata.bind": "$1" }),
    "--" + changeset + "--",
    "",
    "--" + boundary,
    "Content-Type: application/http",
    "Content-Transfer-Encoding: binary",
    "",
    "GET " + api + "accounts?$select=name&$filter=name%20eq%20'" + encodeURIComponent(name) + "' HTTP/1.1",
    "Accept: application/json",
    "",
    "",
    "--" + boundary + "--",
    "",
  ].join(CRLF);
}

async function main() {
  const out = {};

  // Paging with annotations: every account, seven to a page.
  const all = await retrieveMultiple("accounts?$select=name,_ownerid_value,_primarycontactid_value&$orderby=name,accountid", 7);
  out.pages = all.pages;
  out.names = all.rows.map((a) => a.name);
  out.preferenceApplied = all.applied;
  out.ownerTargets = [...new Set(all.rows.map((a) => a["_ownerid_value" + LOGICAL]))].sort();
  const withContact = all.rows.find((a) => a._primarycontactid_value);
  out.contactLookup = {
    accountid: withContact.accountid,
    value: withContact._primarycontactid_value,
    logicalName: withContact["_primarycontactid_value" + LOGICAL],
    navigation: withContact["_primarycontactid_value" + NAV],
  };
  // The annotation names the navigation property to expand.
  const nav = out.contactLookup.navigation;
  const { body: expanded } = await getJSON(api + "accounts(" + withContact.accountid + ")?$select=name&$expand=" + nav + "($select=fullname,contactid)");
  out.expandedContactId = expanded[nav] && expanded[nav].contactid;
  // So does an owner's, per row: expanded with formatted values, the
  // owner's name and creation date as the expanded entity shows them.
  out.owners = [];
  for (const target of ["systemuser", "team"]) {
    const owned = all.rows.find((a) => a["_ownerid_value" + LOGICAL] === target);
    const ownerNav = owned["_ownerid_value" + NAV];
    const { body: e } = await getJSON(api + "accounts(" + owned.accountid + ")?$select=name&$expand=" + ownerNav + "($select=createdon)", {
      Prefer: 'odata.include-annotations="*"',
    });
    const owner = e[ownerNav] || {};
    out.owners.push({ target, navigation: ownerNav, createdon: owner.createdon, formatted: owner["createdon" + FORMATTED] });
  }

  // $batch: a change set creating an account and its contact (bound by
  // Content-ID), then a read.
  const suffix = String(Date.now());
  const boundary = "batch_" + suffix;
  const changeset = "changeset_" + suffix;
  const name = "Web API batch account " + suffix;
  const res = await fetch(api + "$batch", {
    method: "POST",
    headers: { ...headers, "Content-Type": "multipart/mixed; boundary=" + boundary },
    body: multipartBatch(boundary, changeset, name, "Batchwright"),
  });
  const text = await res.text();
  out.batchStatus = res.status;
  out.batchStatuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
  const entityIds = [...text.matchAll(/OData-EntityId: *\S*\(([0-9a-fA-F-]{36})\)/gi)].map((m) => m[1]);
  out.batchRead = [...text.matchAll(/"name":"([^"]*)"/g)].map((m) => m[1]);
  const [accountId, contactId] = entityIds;
  const { body: contact } = await getJSON(api + "contacts(" + contactId + ")?$select=lastname,_parentcustomerid_value", {
    Prefer: 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname,Microsoft.Dynamics.CRM.associatednavigationproperty"',
  });
  out.boundParent = contact._parentcustomerid_value === accountId;
  out.boundParentLogicalName = contact["_parentcustomerid_value" + LOGICAL];
  out.boundParentNavigation = contact["_parentcustomerid_value" + NAV];
  for (const url of ["contacts(" + contactId + ")", "accounts(" + accountId + ")"]) {
    const d = await fetch(api + url, { method: "DELETE", headers });
    if (d.status !== 204) throw new Error("DELETE " + url + ": HTTP " + d.status);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
