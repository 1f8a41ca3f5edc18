// cds serve loads this file as the project's server: the stock one, but
// listening on loopback only (the load tool picks a free port there), and
// creating the service's views over the existing tables first. Only views
// are created: the tables are vecompile's (@cds.persistence.exists), and
// their rows are never touched.
const cds = require('@sap/cds')
const express = require('express')

cds.once('served', async () => {
  const ddl = cds.compile.to.sql(cds.model)
  for (const stmt of ddl) {
    if (/^CREATE VIEW /i.test(stmt)) await cds.db.run(stmt.replace(/^CREATE VIEW /i, 'CREATE VIEW IF NOT EXISTS '))
  }
})

module.exports = options => {
  const app = express()
  const listen = app.listen.bind(app)
  app.listen = port => listen(port, '127.0.0.1')
  return cds.server({ ...options, app })
}
