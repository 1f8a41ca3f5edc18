using { account, opportunity } from '../db/schema';

// Served at /odata like vecompile, with the same entity sets, so that
// the load tool sends both servers the same request paths. CAP reads a
// projection through its SQL view (crm_accounts, crm_opportunities):
// server.js creates the two views over the tables when they are missing.
@path: '/odata'
service crm {
  @readonly entity accounts      as projection on account;
  @readonly entity opportunities as projection on opportunity;
}
