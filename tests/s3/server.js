// Start a local S3 server (@20minutes/s3rver) on 127.0.0.1 for the tests and the bench.
// usage: node server.js DIR PORTFILE [BUCKET...]
// Serves the objects under DIR (its file-system layout); writes the port it listens on to
// PORTFILE once ready; stops on SIGTERM or when stdin closes. Credentials: S3RVER / S3RVER.
'use strict';
const S3rver = require('@20minutes/s3rver');
const fs = require('fs');

const [dir, portFile, ...buckets] = process.argv.slice(2);
if (!dir || !portFile) {
  console.error('usage: node server.js DIR PORTFILE [BUCKET...]');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(
  (addr) => {
    fs.writeFileSync(portFile + '.tmp', String(addr.port));
    fs.renameSync(portFile + '.tmp', portFile);
  },
  (err) => {
    console.error('s3rver: ' + err.message);
    process.exit(1);
  },
);
const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
