'use strict';
// Starts, in this one process, everything pixpipe's AWS tests talk to:
// s3rver (S3), dynalite (DynamoDB) and fauxqs (SQS) on 127.0.0.1, a
// SigV4-verifying gate in front of each, the gates' admin API, and a Lambda
// Runtime API emulator (runtime.js) with its admin API.  Every server listens on port 0,
// so the OS hands out free ports and no stale server can answer in our place;
// each is checked from here before one JSON "ready" line is printed on
// stdout.  Run by start.sh as:
//   node --openssl-legacy-provider servers.js DIR BUCKET...
// (s3rver's paginated listings need the legacy provider.)

const http = require('http');
const crypto = require('crypto');
const path = require('path');
const { pathToFileURL } = require('url');
const { Worker, isMainThread, parentPort } = require('worker_threads');

const HOST = '127.0.0.1';
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

function get(port, opts, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, timeout: 3000, ...opts }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

// fauxqs (SQS), run in a worker thread of this process: loading it (fastify
// with its S3 and SNS routes) costs about 0.4 s of CPU, which then overlaps
// with s3rver's and dynalite's start-up instead of adding to it.  Its CLI
// (startFauxqs) listens on 0.0.0.0, so we build the app and listen ourselves.
async function fauxqsThread() {
  const { buildApp } = await import('fauxqs');
  // The store's "host" decides the QueueUrl CreateQueue hands out: fauxqs
  // defaults to "localhost", giving http://sqs.REGION.localhost:PORT/...; ""
  // makes it the request's Host header, i.e. the gate the client talked to
  // (the gate forwards Host unchanged), so a queue URL works as an endpoint.
  // The class is not in fauxqs's exports map, hence the file URL; it is the
  // module app.js imports, so the store is the one its actions expect.
  const storeUrl = pathToFileURL(path.join(__dirname, 'node_modules', 'fauxqs', 'dist', 'sqs', 'sqsStore.js'));
  const { SqsStore } = await import(storeUrl.href);
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  const app = buildApp({ logger: false, stores: { sqsStore } });
  await app.listen({ port: 0, host: HOST });
  parentPort.postMessage({ port: app.server.address().port });
}

function startFauxqs() {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename);
    worker.once('message', (m) => resolve(m.port));
    worker.once('error', (e) => reject(new Error(`fauxqs: ${e.stack || e.message}`)));
    worker.once('exit', (code) => reject(new Error(`fauxqs's thread exited (${code}) before it listened`)));
  });
}

async function main() {
  const [dir, ...buckets] = process.argv.slice(2);
  if (!dir || !buckets.length) throw new Error('usage: servers.js DIR BUCKET...');
  const token = crypto.randomBytes(8).toString('hex');
  // fauxqs 1.9.2 and its fastify 5 declare Node >= 20; on Debian 12's own
  // Node 18 there is no SQS server (PIXPIPE_TEST_SQS unset: its tests skip)
  // rather than no servers at all.
  const withSqs = Number(process.versions.node.split('.')[0]) >= 20;
  if (!withSqs) console.error(`servers.js: no SQS server: fauxqs needs Node >= 20, this is ${process.version}`);
  const fauxqs = withSqs ? startFauxqs() : Promise.resolve(0);
  fauxqs.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  // Required here, not at the top, so that fauxqs's thread (which runs this
  // file too) does not load them.
  const S3rver = require('s3rver');
  const dynalite = require('dynalite');
  const { Gate, createAdmin } = require('./gate');
  const { Chaos } = require('./faults');
  const { startLambda } = require('./runtime');

  const s3 = new S3rver({ address: HOST, port: 0, silent: true, directory: path.join(dir, 's3'),
    configureBuckets: buckets.map((name) => ({ name })) });
  const s3Port = (await s3.run()).port;

  const ddb = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => { ddb.once('error', reject); ddb.listen(0, HOST, resolve); });
  const ddbPort = ddb.address().port;
  const sqsPort = await fauxqs;

  // One random-fault stage for the S3 and DynamoDB gates (faults.js), off until a test
  // switches it on for its own requests through the admin API.
  const chaos = new Chaos();
  const gates = {
    s3: new Gate({ service: 's3', name: 's3', upstream: `http://${HOST}:${s3Port}`,
      accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, chaos }),
    dynamodb: new Gate({ service: 'dynamodb', name: 'ddb', upstream: `http://${HOST}:${ddbPort}`,
      accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, chaos }),
  };
  if (withSqs) {
    // No random faults for SQS: faults.js knows S3's and DynamoDB's requests only.
    gates.sqs = new Gate({ service: 'sqs', name: 'sqs', upstream: `http://${HOST}:${sqsPort}`,
      accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY });
  }
  const gateS3Port = await gates.s3.listen(0, HOST);
  const gateDdbPort = await gates.dynamodb.listen(0, HOST);
  const gateSqsPort = withSqs ? await gates.sqs.listen(0, HOST) : 0;
  const admin = createAdmin(gates, { token, chaos });
  await new Promise((resolve, reject) => { admin.once('error', reject); admin.listen(0, HOST, resolve); });
  const adminPort = admin.address().port;

  // Each upstream answers as itself (s3rver lists our buckets, dynalite
  // answers a DynamoDB call) before we say ready.
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const list = await get(s3Port, { method: 'GET', path: '/', headers: {
    'x-amz-date': now, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/${now.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0` } });
  for (const b of buckets) {
    if (list.status !== 200 || !list.text.includes(`<Name>${b}</Name>`)) {
      throw new Error(`s3rver on port ${s3Port} does not list bucket ${b}: ${list.status} ${list.text.slice(0, 300)}`);
    }
  }
  const tables = await get(ddbPort, { method: 'POST', path: '/', headers: {
    'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0',
    'x-amz-date': '20000101T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0` } }, '{}');
  if (tables.status !== 200 || !tables.text.includes('TableNames')) {
    throw new Error(`dynalite on port ${ddbPort} answered ${tables.status} ${tables.text.slice(0, 300)}`);
  }
  if (withSqs) {
    const queues = await get(sqsPort, { method: 'POST', path: '/', headers: {
      'x-amz-target': 'AmazonSQS.ListQueues', 'content-type': 'application/x-amz-json-1.0' } }, '{}');
    let urls = null;
    try {
      urls = JSON.parse(queues.text).QueueUrls;
    } catch (e) { /* reported below */ }
    if (queues.status !== 200 || !Array.isArray(urls)) {
      throw new Error(`fauxqs on port ${sqsPort} answered ${queues.status} ${queues.text.slice(0, 300)}`);
    }
  }

  // The gates and the admin are ours: the admin knows our token and an
  // unsigned request through each gate is refused with a gate RequestId.
  const stats = await get(adminPort, { method: 'GET', path: '/stats' });
  if (stats.headers['x-pixpipe-gate'] !== token) {
    throw new Error(`admin port ${adminPort} answered without our token: ${stats.status}`);
  }
  for (const [name, port] of [['s3', gateS3Port], ['ddb', gateDdbPort], ['sqs', gateSqsPort]].filter(([, p]) => p)) {
    const r = await get(port, { method: 'GET', path: '/' });
    const id = r.headers['x-amz-request-id'] || r.headers['x-amzn-requestid'] || '';
    if (r.status === 200 || !id.startsWith(`gate-${name}-`)) {
      throw new Error(`gate ${name} on port ${port} answered ${r.status} ${id}`);
    }
  }
  for (const g of Object.values(gates)) g.clearStats();

  // The Lambda runtime checks itself: one invocation through its ports.
  const lambda = await startLambda(token, HOST);

  // Nothing to flush: dynalite and fauxqs are in memory and the S3 folder is
  // thrown away (exiting ends fauxqs's thread too).
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));

  console.log(JSON.stringify({ ready: true, pid: process.pid, token, s3: gateS3Port, dynamodb: gateDdbPort,
    sqs: gateSqsPort, admin: adminPort, lambda: lambda.port, lambda_admin: lambda.adminPort, s3rver: s3Port,
    dynalite: ddbPort, fauxqs: sqsPort, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }));
}

if (isMainThread) {
  main().catch((e) => {
    console.error(`servers.js: ${e.stack || e.message}`);
    process.exit(1);
  });
} else {
  fauxqsThread().catch((e) => {
    console.error(`servers.js (fauxqs thread): ${e.stack || e.message}`);
    process.exit(1);
  });
}
