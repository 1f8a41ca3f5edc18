// The two tables of vecompile's sample that the load comparison reads,
// as engine.LoadFixture creates them in SQLite: the entity and element
// names are the table and column names, and @cds.persistence.exists says
// the tables are there already (CAP never creates, drops or fills them).

@cds.persistence.exists
entity account {
  key accountid     : UUID;
      name          : String(160);
      accountnumber : String(20);
      revenue       : Decimal(19, 4);
      statecode     : Integer;
}

@cds.persistence.exists
entity opportunity {
  key opportunityid      : UUID;
      name               : String(300);
      estimatedvalue     : Decimal(19, 4);
      closeprobability   : Integer;
      statecode          : Integer;
      customerid         : UUID;
      // The navigation vecompile serves under the same name: unmanaged, on
      // the table's own foreign key column.
      customerid_account : Association to account
                             on customerid_account.accountid = customerid;
}
