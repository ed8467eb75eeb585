'use strict';
// pixpipe's own AWS Lambda Runtime API emulator (API version 2018-06-01)
// for the tests of `pixpipe lambda`: no emulator for custom runtimes can be
// installed here.  It speaks the runtime side as AWS documents it
// (invocation/next long-polls, response/error/init-error posts, 400 for an
// unknown or already answered request id, 413 over 6 MB) and offers an
// admin API on a separate port through which a test queues events, waits
// for their results and counts the TCP connections the runtime opened.
//
// criterion runs tests in parallel processes, so one shared queue would
// hand a test's event to another test's runtime: POST /runtimes on the
// admin port creates a private runtime (own port, queue, results, counts)
// and a test should use one of those.  See README.md for the admin API.
//
// Used by servers.js; also runnable alone:  node runtime.js   (prints ports)

const http = require('http');
const crypto = require('crypto');

const PREFIX = '/2018-06-01/runtime';
const MAX_RESPONSE = 6 * 1024 * 1024; // 6291456: Lambda's synchronous payload limit
const DEFAULT_TIMEOUT_MS = 30000;
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:pixpipe';
const MAX_WAIT_MS = 600000;

function traceId() {
  const secs = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${secs}-${crypto.randomBytes(12).toString('hex')};` +
    `Parent=${crypto.randomBytes(8).toString('hex')};Sampled=1`;
}

function json(res, status, obj, headers) {
  const text = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

// Reads a request body; past limit bytes it keeps draining (so the client
// can finish sending and read our answer) but keeps nothing.
function readBody(req, limit, done) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= limit) chunks.push(c);
  });
  req.on('end', () => done(size > limit ? null : Buffer.concat(chunks), size));
  req.on('error', () => {});
}

function parseOrNull(text) {
  try { return JSON.parse(text); } catch (e) { return null; }
}

// One function's runtime side: its own port, event queue and results.
class Runtime {
  constructor(name) {
    this.name = name;
    this.server = http.createServer((req, res) => this.handle(req, res));
    // Lambda keeps the runtime's connection open between invocations; Node's
    // 5 s keep-alive default would make a connection-reuse test depend on
    // how long an invocation takes.
    this.server.keepAliveTimeout = 0;
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60000;
    this.server.on('connection', (sock) => {
      this.stats.connections++;
      this.open++;
      sock.on('close', () => { this.open--; });
    });
    this.open = 0;
    this.reset();
  }

  reset() {
    this.queue = [];          // ids waiting for a GET next
    this.invocations = new Map();
    this.initError = null;
    this.stats = { next_requests: 0, connections: 0, responses: 0, errors: 0,
      init_errors: 0, rejected: 0 };
    for (const w of this.resultWaiters || []) w();
    this.resultWaiters = new Set();
    // Blocked GET next requests stay: they are live connections of a runtime.
    this.nextWaiters = this.nextWaiters || [];
  }

  listen(port, host) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve(this.server.address().port));
    });
  }

  close() {
    for (const res of this.nextWaiters) res.destroy();
    this.nextWaiters = [];
    this.server.closeAllConnections();
    this.server.close();
  }

  invoke(eventText, timeoutMs) {
    const id = crypto.randomUUID();
    this.invocations.set(id, { id, eventText, timeoutMs, queuedAt: Date.now(),
      deliveredAt: 0, deadline: 0, result: null });
    this.queue.push(id);
    this.dispatch();
    return id;
  }

  // Hands queued events to blocked GET next requests, oldest first.
  dispatch() {
    while (this.queue.length && this.nextWaiters.length) {
      const res = this.nextWaiters.shift();
      if (res.destroyed || res.socket === null || res.socket.destroyed) continue;
      const inv = this.invocations.get(this.queue.shift());
      if (!inv) continue; // cleared by a reset
      inv.deliveredAt = Date.now();
      inv.deadline = inv.deliveredAt + inv.timeoutMs;
      const body = Buffer.from(inv.eventText, 'utf8');
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': body.length,
        'Lambda-Runtime-Aws-Request-Id': inv.id,
        'Lambda-Runtime-Deadline-Ms': String(inv.deadline),
        'Lambda-Runtime-Invoked-Function-Arn': FUNCTION_ARN,
        'Lambda-Runtime-Trace-Id': traceId(),
      });
      res.end(body);
    }
  }

  handle(req, res) {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      req.resume();
      this.stats.next_requests++;
      this.nextWaiters.push(res);
      // A runtime killed while waiting must not be handed an event.
      res.on('close', () => {
        const i = this.nextWaiters.indexOf(res);
        if (i >= 0) this.nextWaiters.splice(i, 1);
      });
      return this.dispatch();
    }
    let m;
    if (req.method === 'POST' && (m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path))) {
      return readBody(req, MAX_RESPONSE, (body, size) => this.post(req, res, decodeURIComponent(m[1]), m[2], body, size));
    }
    if (req.method === 'POST' && path === `${PREFIX}/init/error`) {
      return readBody(req, MAX_RESPONSE, (body) => {
        const text = body ? body.toString('utf8') : '';
        this.initError = { body: parseOrNull(text), text,
          error_type: req.headers['lambda-runtime-function-error-type'] || null, at: Date.now() };
        this.stats.init_errors++;
        this.wakeResults();
        json(res, 202, { status: 'OK' });
      });
    }
    req.resume();
    this.stats.rejected++;
    json(res, 404, { errorMessage: `no such runtime API route: ${req.method} ${path}`,
      errorType: 'NotFound' });
  }

  post(req, res, id, kind, body, size) {
    const inv = this.invocations.get(id);
    if (!inv || !inv.deliveredAt || inv.result) {
      this.stats.rejected++;
      const why = !inv || !inv.deliveredAt ? 'Invalid request ID' : 'Invalid request ID: already answered';
      return json(res, 400, { errorMessage: `${why}: ${id}`, errorType: 'InvalidRequestID' });
    }
    if (body === null) {
      this.stats.rejected++;
      return json(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE} bytes): ` +
        `got ${size}`, errorType: 'RequestEntityTooLarge' });
    }
    const text = body.toString('utf8');
    const now = Date.now();
    inv.result = { kind, status: 202, body: parseOrNull(text), text, bytes: body.length,
      error_type: kind === 'error' ? (req.headers['lambda-runtime-function-error-type'] || null) : undefined,
      elapsed_ms: now - inv.deliveredAt, late: now > inv.deadline };
    this.stats[kind === 'response' ? 'responses' : 'errors']++;
    this.wakeResults();
    json(res, 202, { status: 'OK' });
  }

  wakeResults() {
    for (const w of this.resultWaiters) w();
  }

  resultOf(id) {
    const inv = this.invocations.get(id);
    if (!inv) return null;
    if (inv.result) return { id, ...inv.result };
    return { id, kind: 'pending', delivered: inv.deliveredAt > 0, init_error: this.initError !== null };
  }

  // Answers once the invocation has a result, the function failed at init
  // or wait_ms passed.
  waitResult(id, waitMs, done) {
    const r = this.resultOf(id);
    if (!r || r.kind !== 'pending' || this.initError || waitMs <= 0) return done(r);
    let timer = null;
    const wake = () => {
      const now = this.resultOf(id);
      if (now && now.kind === 'pending' && !this.initError) return;
      finish(now);
    };
    const finish = (value) => {
      clearTimeout(timer);
      this.resultWaiters.delete(wake);
      done(value);
    };
    timer = setTimeout(() => finish(this.resultOf(id)), Math.min(waitMs, MAX_WAIT_MS));
    this.resultWaiters.add(wake);
  }

  statsView() {
    return { ...this.stats, open_connections: this.open, queued: this.queue.length,
      waiting: this.nextWaiters.length };
  }
}

// The admin API.  Paths address the default runtime, or with a /rt/NAME
// prefix a private one made by POST /runtimes.
function createLambdaAdmin(defaultRuntime, info) {
  const host = info.host || '127.0.0.1';
  const runtimes = new Map();
  let made = 0;
  const admin = http.createServer((req, res) => {
    const reply = (status, obj) => json(res, status, obj, { 'x-pixpipe-lambda': info.token });
    readBody(req, 64 * 1024 * 1024, (buf) => {
      const url = new URL(req.url, 'http://127.0.0.1');
      let body = {};
      if (buf && buf.length) {
        body = parseOrNull(buf.toString('utf8'));
        if (body === null || typeof body !== 'object') return reply(400, { error: 'body is not a JSON object' });
      }
      let path = url.pathname;
      let rt = defaultRuntime;
      let m = /^\/rt\/([^/]+)(\/.*)?$/.exec(path);
      if (m) {
        rt = runtimes.get(m[1]);
        if (!rt) return reply(404, { error: `no runtime ${m[1]}` });
        path = m[2] || '/';
        if (req.method === 'DELETE' && path === '/') {
          rt.close();
          runtimes.delete(rt.name);
          return reply(200, { ok: true });
        }
      } else if (req.method === 'POST' && path === '/runtimes') {
        const name = `r${++made}`;
        const fresh = new Runtime(name);
        return fresh.listen(0, host).then((port) => {
          runtimes.set(name, fresh);
          reply(200, { name, api: `${host}:${port}`,
            admin: `http://${host}:${admin.address().port}/rt/${name}` });
        }, (e) => reply(500, { error: e.message }));
      }
      if (req.method === 'POST' && path === '/invoke') {
        let text;
        if (typeof body.raw === 'string') text = body.raw;
        else if (Object.prototype.hasOwnProperty.call(body, 'event')) text = JSON.stringify(body.event);
        else return reply(400, { error: 'invoke needs "event" (JSON) or "raw" (text)' });
        const timeout = body.timeout_ms === undefined ? DEFAULT_TIMEOUT_MS : body.timeout_ms;
        if (!Number.isInteger(timeout) || timeout < 1) return reply(400, { error: 'timeout_ms must be a positive integer' });
        return reply(200, { id: rt.invoke(text, timeout) });
      }
      if (req.method === 'GET' && (m = /^\/result\/([^/]+)$/.exec(path))) {
        const wait = Number(url.searchParams.get('wait_ms') || 0);
        return rt.waitResult(decodeURIComponent(m[1]), Number.isFinite(wait) ? wait : 0,
          (r) => (r ? reply(200, r) : reply(404, { error: `no invocation ${m[1]}` })));
      }
      if (req.method === 'GET' && path === '/init-error') {
        return rt.initError ? reply(200, rt.initError) : reply(404, { error: 'no init error' });
      }
      if (req.method === 'GET' && path === '/stats') return reply(200, { pid: process.pid, token: info.token,
        ...rt.statsView() });
      if (req.method === 'POST' && path === '/reset') {
        rt.reset();
        return reply(200, { ok: true });
      }
      reply(404, { error: `no admin route ${req.method} ${url.pathname}` });
    });
  });
  admin.closeRuntimes = () => { for (const r of runtimes.values()) r.close(); runtimes.clear(); };
  return admin;
}

// One request from here, for the start-up check.
function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, timeout: 3000, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

// Starts the default runtime and the admin on free ports, then proves both
// are ours by running one invocation through them; counts start from zero.
async function startLambda(token, host = '127.0.0.1') {
  const runtime = new Runtime('default');
  const port = await runtime.listen(0, host);
  const admin = createLambdaAdmin(runtime, { token, host });
  await new Promise((resolve, reject) => { admin.once('error', reject); admin.listen(0, host, resolve); });
  const adminPort = admin.address().port;

  const inv = await request(adminPort, 'POST', '/invoke', JSON.stringify({ event: { check: token } }));
  if (inv.status !== 200 || inv.headers['x-pixpipe-lambda'] !== token) {
    throw new Error(`lambda admin on port ${adminPort} answered ${inv.status} without our token`);
  }
  const id = JSON.parse(inv.text).id;
  const next = await request(port, 'GET', `${PREFIX}/invocation/next`);
  if (next.headers['lambda-runtime-aws-request-id'] !== id || JSON.parse(next.text).check !== token) {
    throw new Error(`lambda runtime on port ${port} handed out ${next.status} ${next.text.slice(0, 200)}`);
  }
  const done = await request(port, 'POST', `${PREFIX}/invocation/${id}/response`, '{}');
  if (done.status !== 202) throw new Error(`lambda runtime on port ${port} answered ${done.status} to a response`);
  runtime.reset();
  return { runtime, admin, port, adminPort };
}

module.exports = { Runtime, createLambdaAdmin, startLambda, MAX_RESPONSE, FUNCTION_ARN };

if (require.main === module) {
  startLambda(crypto.randomBytes(8).toString('hex')).then(({ port, adminPort }) => {
    console.log(JSON.stringify({ ready: true, pid: process.pid, lambda: port, lambda_admin: adminPort }));
  }, (e) => { console.error(`runtime.js: ${e.stack || e.message}`); process.exit(1); });
}
