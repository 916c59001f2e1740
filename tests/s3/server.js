// Start a local S3 server (@20minutes/s3rver) on 127.0.0.1 for the tests and the bench.
// usage: node server.js DIR PORTFILE [--workers N] [BUCKET...]
// Serves the objects under DIR (its file-system layout); writes the port it listens on to
// PORTFILE once ready; stops on SIGTERM. Credentials: S3RVER / S3RVER. With --workers N, N
// processes share the port (node's cluster module), so requests are served in parallel as S3
// serves them; the tests use one.
'use strict';
const cluster = require('cluster');
const fs = require('fs');

const args = process.argv.slice(2);
let workers = 1;
const wi = args.indexOf('--workers');
if (wi >= 0) {
  workers = Math.max(1, parseInt(args[wi + 1], 10) || 1);
  args.splice(wi, 2);
}
const [dir, portFile, ...buckets] = args;
if (!dir || !portFile) {
  console.error('usage: node server.js DIR PORTFILE [--workers N] [BUCKET...]');
  process.exit(2);
}

function writePort(port) {
  fs.writeFileSync(portFile + '.tmp', String(port));
  fs.renameSync(portFile + '.tmp', portFile);
}

function serve(port, onReady) {
  const S3rver = require('@20minutes/s3rver');
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  server.run().then(
    (addr) => onReady(addr.port),
    (err) => {
      console.error('s3rver: ' + err.message);
      process.exit(1);
    },
  );
  const stop = () => server.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (workers === 1) {
  serve(0, writePort);
} else if (cluster.isPrimary) {
  // pick a free port, then start every worker on it
  const probe = require('net').createServer();
  probe.listen(0, '127.0.0.1', () => {
    const port = probe.address().port;
    probe.close(() => {
      let ready = 0;
      for (let i = 0; i < workers; i++) {
        cluster.fork({ S3_PORT: String(port) }).on('message', () => {
          if (++ready === workers) writePort(port);
        });
      }
    });
  });
  cluster.on('exit', (w, code) => {
    if (code) process.exit(1);
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  serve(parseInt(process.env.S3_PORT, 10), (port) => process.send(port));
}
