// Serves MockPass on the loopback interface only. MockPass's own binary
// listens on every interface, which a developer machine or CI runner should
// not expose. MOCKPASS_PORT=0 picks a free port; the first line printed
// names the address either way, so a test can read it.
'use strict'
const path = require('path')

const moduleDir = process.env.MOCKPASS_DIR || path.join(__dirname, 'node_modules', '@opengovsg', 'mockpass')
const { app } = require(path.join(moduleDir, 'app'))

const port = Number(process.env.MOCKPASS_PORT ?? 5156)
const server = app.listen(port, '127.0.0.1', () => {
  const { address, port } = server.address()
  console.log(`mockpass listening on http://${address}:${port}`)
})
