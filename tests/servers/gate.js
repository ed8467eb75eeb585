'use strict';
// A SigV4-verifying gate: an HTTP proxy on 127.0.0.1 in front of a local
// S3 (s3rver), DynamoDB (dynalite) or SQS (fauxqs) that recomputes every
// request's signature with AWS's own signer (@smithy/signature-v4) and
// refuses a mismatch the way AWS does, because none of them checks
// signatures.
// It also injects faults (error status, connection reset, delay) for the
// retry tests, random ones at a rate for the soak test (faults.js), and
// counts what it saw.  See README.md for the admin API.
//
// Used by servers.js; also runnable alone:
//   node gate.js --service s3 --upstream http://127.0.0.1:PORT [--port 0]

const http = require('http');
const crypto = require('crypto');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const { Chaos, sendFaulted } = require('./faults');

const MAX_SKEW_MS = 15 * 60 * 1000;

// What each service answers, [code, HTTP status], when it refuses a
// request's signature: no Authorization header, one that is not well formed,
// an unknown access key id, a signature that does not match (wrong scope,
// date, headers or secret), no valid x-amz-date, a clock skew.  SQS's are
// the codes its query protocol documents (what its JSON protocol also
// reports in x-amzn-query-error); DynamoDB answers all of them with 400.
const REFUSALS = {
  s3: { missing: ['AccessDenied', 403], malformed: ['AuthorizationHeaderMalformed', 400],
    key: ['InvalidAccessKeyId', 403], signature: ['SignatureDoesNotMatch', 403],
    nodate: ['AccessDenied', 403], skew: ['RequestTimeTooSkewed', 403] },
  dynamodb: { missing: ['MissingAuthenticationTokenException', 400], malformed: ['IncompleteSignatureException', 400],
    key: ['UnrecognizedClientException', 400], signature: ['InvalidSignatureException', 400],
    nodate: ['IncompleteSignatureException', 400], skew: ['InvalidSignatureException', 400] },
  sqs: { missing: ['MissingAuthenticationToken', 403], malformed: ['IncompleteSignature', 400],
    key: ['InvalidClientTokenId', 403], signature: ['SignatureDoesNotMatch', 403],
    nodate: ['IncompleteSignature', 400], skew: ['SignatureDoesNotMatch', 403] },
};
const AUTH_CODES = new Set(Object.values(REFUSALS).flatMap((r) => Object.values(r).map(([code]) => code)));
const LOG_LIMIT = 10000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// Drops a connection with a TCP reset (a plain close where Node has no
// resetAndDestroy).
function resetSocket(socket) {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

// RFC 3986 unreserved characters stay; everything else is %XX, as AWS wants.
function escapeUri(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function decodeOrThrow(s) {
  return decodeURIComponent(s);
}

// S3's canonical URI: each path segment encoded once by AWS's rules, no
// normalisation of "." / ".." / "//".  Computed from the decoded path, so a
// client that encodes a key differently from AWS is refused, as S3 would.
function s3CanonicalPath(rawPath) {
  return rawPath.split('/').map((seg) => escapeUri(decodeOrThrow(seg))).join('/');
}

// The query as the signer wants it: decoded names and values, repeated
// names as arrays (the signer sorts and re-encodes them).
function parseQuery(raw) {
  const query = {};
  if (!raw) return query;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decodeOrThrow(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decodeOrThrow(part.slice(eq + 1));
    if (Object.prototype.hasOwnProperty.call(query, k)) {
      query[k] = [].concat(query[k], v);
    } else {
      query[k] = v;
    }
  }
  return query;
}

const AUTH_RE = /^AWS4-HMAC-SHA256 +Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request *, *SignedHeaders=([a-z0-9;_.-]+) *, *Signature=([0-9a-f]{64})$/;

function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

// Header values as the client sent them, duplicates joined with "," as
// SigV4's canonical form asks.
// Whether a request's URL (as sent or decoded) or text body holds match.
function matches(entry, match) {
  if (!match) return true;
  if (entry.url.includes(match) || entry.text.includes(match)) return true;
  try {
    return decodeURIComponent(entry.url).includes(match);
  } catch (e) {
    return false;
  }
}

function rawHeaderValues(req) {
  const out = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    out[name] = name in out ? out[name] + ',' + value : value;
  }
  return out;
}

class Gate {
  // opts: service ('s3' | 'dynamodb' | 'sqs'), upstream (URL), accessKeyId,
  // secretAccessKey, name (for RequestIds), now (optional clock for tests).
  constructor(opts) {
    this.service = opts.service;
    this.upstream = new URL(opts.upstream);
    this.accessKeyId = opts.accessKeyId;
    this.secretAccessKey = opts.secretAccessKey;
    this.name = opts.name || opts.service;
    this.faults = [];
    this.log = [];
    this.seq = 0;
    this.stats = { seen: 0, forwarded: 0, refused: 0, faulted: 0, reset: 0 };
    this.chaos = opts.chaos || null; // random faults (faults.js), off unless configured
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30000;
    this.agent = new http.Agent({ keepAlive: true });
  }

  listen(port, host) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve(this.server.address().port));
    });
  }

  close() {
    this.agent.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  clearStats() {
    this.log = [];
    this.stats = { seen: 0, forwarded: 0, refused: 0, faulted: 0, reset: 0 };
  }

  record(entry, outcome, status) {
    this.stats[outcome] += 1;
    entry.outcome = outcome;
    entry.status = status;
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) this.log.shift();
  }

  async handle(req, res) {
    // Random faults: an S3 request is matched on its URL, so its fate is
    // drawn before the body is read and a reset comes mid-request.
    let fate = null;
    const decided = !!this.chaos && this.service === 's3';
    if (decided) fate = this.chaos.decide(this.service, req.method, req.url, req.headers, null);
    if (fate && fate.kind === 'reset_request') {
      this.stats.seen += 1;
      const entry = { id: `gate-${this.name}-${++this.seq}`, service: this.service,
        method: req.method, url: req.url, text: '', chaos: fate.kind };
      this.record(entry, 'reset', 0);
      this.chaos.count(this.service, fate);
      resetSocket(req.socket);
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => res.destroy());
    await new Promise((resolve) => req.on('end', resolve));
    const body = Buffer.concat(chunks);
    this.stats.seen += 1;
    const id = `gate-${this.name}-${++this.seq}`;
    const entry = { id, service: this.service, method: req.method, url: req.url,
      text: body.length <= 65536 ? body.toString('utf8') : '' };
    let why;
    try {
      why = await this.verify(req, body);
    } catch (e) {
      const [code, status] = REFUSALS[this.service].signature;
      why = { status, code, message: `The request signature could not be checked: ${e.message}` };
    }
    if (why) {
      this.record(entry, 'refused', why.status);
      this.sendError(req, res, id, why);
      return;
    }
    const fault = this.takeFault(entry);
    if (fault && fault.delay_ms) {
      await new Promise((r) => setTimeout(r, fault.delay_ms));
    }
    if (fault && fault.reset) {
      this.record(entry, 'reset', 0);
      req.socket.destroy();
      return;
    }
    if (fault && fault.status) {
      this.record(entry, 'faulted', fault.status);
      this.sendError(req, res, id, { status: fault.status, code: fault.code,
        message: fault.message || 'Fault injected by the test gate.' });
      return;
    }
    if (!fault && this.chaos) {
      if (!decided) fate = this.chaos.decide(this.service, req.method, req.url, req.headers, entry.text);
      if (fate) {
        entry.chaos = fate.kind;
        this.chaos.count(this.service, fate);
        if (fate.kind === 'reset_request') {
          this.record(entry, 'reset', 0);
          resetSocket(req.socket);
          return;
        }
        if (fate.status) {
          this.record(entry, 'faulted', fate.status);
          this.sendError(req, res, id, fate);
          return;
        }
        if (fate.kind === 'slow') {
          await new Promise((r) => setTimeout(r, fate.delay_ms));
          fate = null;
        }
      }
    }
    this.forward(req, res, body, entry, fate);
  }

  // The next pending fault that applies to this request, consumed.
  takeFault(entry) {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i];
      if (f.service && f.service !== this.service) continue;
      if (!matches(entry, f.match)) continue;
      f.count -= 1;
      if (f.count <= 0) this.faults.splice(i, 1);
      return f;
    }
    return null;
  }

  // Returns null when the request is signed right, else why not as
  // { status, code, message } the way AWS would answer.
  async verify(req, body) {
    const s3 = this.service === 's3';
    const refuse = (kind, message, status) => {
      const [code, st] = REFUSALS[this.service][kind];
      return { status: status || st, code, message };
    };
    const auth = req.headers.authorization;
    if (!auth) {
      return refuse('missing', s3 ? 'Access Denied (the request has no Authorization header).'
        : 'Request is missing Authentication Token');
    }
    const m = AUTH_RE.exec(auth.trim());
    if (!m) {
      return refuse('malformed', s3 ? `The authorization header is malformed: ${auth.replace(/Signature=.*/, 'Signature=...')}`
        : 'The Authorization header is not a well-formed AWS4-HMAC-SHA256 header.');
    }
    const [, accessKeyId, scopeDate, region, service, signedList, signature] = m;
    if (accessKeyId !== this.accessKeyId) {
      return refuse('key', s3 ? 'The AWS Access Key Id you provided does not exist in our records.'
        : 'The security token included in the request is invalid.');
    }
    if (service !== this.service) {
      return refuse('signature',
        `Credential should be scoped to correct service: '${this.service}', not '${service}'.`);
    }
    const date = parseAmzDate(req.headers['x-amz-date']);
    if (!date) {
      return refuse('nodate', 'The request has no valid x-amz-date header (YYYYMMDDTHHMMSSZ).');
    }
    if (req.headers['x-amz-date'].slice(0, 8) !== scopeDate) {
      return refuse('signature',
        `Credential date ${scopeDate} does not match the x-amz-date ${req.headers['x-amz-date']}.`);
    }
    if (Math.abs(Date.now() - date.getTime()) > MAX_SKEW_MS) {
      return refuse('skew', 'The difference between the request time and the current time is too large.');
    }
    const signedNames = signedList.split(';');
    if (!signedNames.includes('host')) {
      return refuse('signature', "'Host' must be a signed header.");
    }
    const sent = rawHeaderValues(req);
    const headers = {};
    for (const name of signedNames) {
      if (!(name in sent)) {
        return refuse('signature', `Signed header '${name}' is not in the request.`);
      }
      headers[name] = sent[name];
    }
    if (s3) {
      const declared = req.headers['x-amz-content-sha256'];
      if (!declared) {
        return { status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' };
      }
      if (declared.startsWith('STREAMING-')) {
        return { status: 501, code: 'NotImplemented', message: `The test servers do not take aws-chunked uploads (${declared}).` };
      }
      if (declared !== 'UNSIGNED-PAYLOAD') {
        const actual = crypto.createHash('sha256').update(body).digest('hex');
        if (declared !== actual) {
          return { status: 400, code: 'XAmzContentSHA256Mismatch',
            message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
        }
      }
    }
    const q = req.url.indexOf('?');
    const rawPath = q < 0 ? req.url : req.url.slice(0, q);
    const query = parseQuery(q < 0 ? '' : req.url.slice(q + 1));
    const signer = new SignatureV4({
      service, region, sha256: Sha256, uriEscapePath: !s3, applyChecksum: false,
      credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
    });
    const signed = await signer.sign({
      method: req.method, protocol: 'http:', hostname: '127.0.0.1',
      path: s3 ? s3CanonicalPath(rawPath) : rawPath, query, headers,
      body: body.length ? new Uint8Array(body) : undefined,
    }, { signingDate: date, signableHeaders: new Set(signedNames) });
    const expect = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
    const expectList = /SignedHeaders=([^,]+)/.exec(signed.headers.authorization)[1];
    if (expectList !== signedList) {
      return refuse('signature', `SignedHeaders must be sorted, lower case and unique: expected ${expectList}.`);
    }
    if (!crypto.timingSafeEqual(Buffer.from(expect), Buffer.from(signature))) {
      return refuse('signature',
        s3 ? 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'
          : 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
    }
    return null;
  }

  // An AWS-shaped error: XML for S3 (no body for HEAD), JSON for DynamoDB
  // and SQS.
  sendError(req, res, id, { status, code, message }) {
    if (this.service === 's3') {
      const xml = '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${code}</Code><Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message>` +
        `<RequestId>${id}</RequestId><HostId>pixpipe-test-gate</HostId></Error>`;
      res.writeHead(status, { 'Content-Type': 'application/xml', 'x-amz-request-id': id,
        'Content-Length': req.method === 'HEAD' ? 0 : Buffer.byteLength(xml) });
      res.end(req.method === 'HEAD' ? undefined : xml);
    } else if (this.service === 'sqs') {
      // SQS's JSON protocol: the code in __type, and the query protocol's
      // code in x-amzn-query-error, which SDKs report.
      const prefix = AUTH_CODES.has(code) ? 'com.amazon.coral.service#'
        : code === 'ThrottlingException' ? 'com.amazon.coral.availability#' : 'com.amazonaws.sqs#';
      const json = JSON.stringify({ __type: prefix + code, message });
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': id,
        'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}`,
        'Content-Length': Buffer.byteLength(json) });
      res.end(json);
    } else {
      const prefix = code === 'ThrottlingException' ? 'com.amazon.coral.availability#'
        : /^(UnrecognizedClient|InvalidSignature|MissingAuthenticationToken|IncompleteSignature)Exception$/.test(code)
          ? 'com.amazon.coral.service#' : 'com.amazonaws.dynamodb.v20120810#';
      const json = JSON.stringify({ __type: prefix + code, message });
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': id,
        'Content-Length': Buffer.byteLength(json) });
      res.end(json);
    }
  }

  // Sends the request upstream unchanged and streams the answer back; with
  // a random fault's fate (reset_response, slow_body), the whole answer is
  // read first and sent back cut (faults.js).
  forward(req, res, body, entry, fate) {
    let ended = false;
    const up = http.request({
      host: this.upstream.hostname, port: this.upstream.port, method: req.method,
      path: req.url, headers: req.headers, agent: this.agent,
    }, (upRes) => {
      upRes.on('end', () => { ended = true; });
      if (fate) {
        const parts = [];
        upRes.on('data', (c) => parts.push(c));
        upRes.on('end', () => {
          this.record(entry, fate.kind === 'reset_response' ? 'reset' : 'forwarded', upRes.statusCode);
          sendFaulted(res, upRes.statusCode, upRes.rawHeaders, Buffer.concat(parts), fate,
            (fin) => (fin ? req.socket.destroy() : resetSocket(req.socket)));
        });
        return;
      }
      this.record(entry, 'forwarded', upRes.statusCode);
      res.writeHead(upRes.statusCode, upRes.rawHeaders);
      upRes.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) {
        this.record(entry, 'forwarded', 502);
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`gate: upstream ${this.upstream.host} failed: ${e.message}\n`);
      } else {
        res.destroy();
      }
    });
    // A client that leaves before the answer (an SQS long poll aborted on
    // SIGTERM) closes the upstream connection too, as it would close its
    // own connection to AWS, instead of leaving it open for the server's
    // answer to nobody.
    res.on('close', () => {
      if (!ended) up.destroy();
    });
    up.end(body);
  }
}

// The admin API for a set of gates (see README.md).
function createAdmin(gates, info) {
  const all = Object.values(gates);
  const chaos = info.chaos || (all.find((g) => g.chaos) || {}).chaos || null;
  const pick = (service) => (service ? [gates[service]].filter(Boolean) : all);
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const reply = (status, obj) => {
        const text = JSON.stringify(obj) + '\n';
        res.writeHead(status, { 'Content-Type': 'application/json', 'x-pixpipe-gate': info.token });
        res.end(text);
      };
      let body = {};
      try {
        if (chunks.length) body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return reply(400, { error: `body is not JSON: ${e.message}` });
      }
      if (req.method === 'POST' && url.pathname === '/fault') {
        const targets = pick(body.service);
        if (!targets.length) return reply(400, { error: `no gate for service ${body.service}` });
        let fault;
        if (body.reset) {
          fault = { reset: true, count: body.reset };
        } else if (body.status) {
          fault = { status: body.status, count: body.count || 1,
            code: body.code || (body.status >= 500 ? 'InternalError' : 'BadRequest'), message: body.message };
        } else if (body.delay_ms) {
          fault = { count: body.count || 1 };
        } else {
          return reply(400, { error: 'fault needs status, reset or delay_ms' });
        }
        if (!(fault.count >= 1)) return reply(400, { error: 'count must be at least 1' });
        fault.delay_ms = body.delay_ms || 0;
        fault.match = body.match || '';
        // One shared object: a count without "service" is spent across both gates.
        fault.service = body.service || '';
        for (const g of targets) g.faults.push(fault);
        return reply(200, { ok: true, fault });
      }
      // Random faults (faults.js, README.md "Random faults"); /reset leaves
      // them alone, so a test's reset never switches off another's soak.
      if (url.pathname === '/chaos' || url.pathname === '/chaos/off') {
        if (!chaos) return reply(404, { error: 'these gates have no random-fault stage' });
        const match = req.method === 'GET' ? url.searchParams.get('match') : body.match;
        if (req.method === 'POST' && url.pathname === '/chaos') {
          try {
            return reply(200, { ok: true, chaos: Chaos.view(chaos.configure(body)) });
          } catch (e) {
            return reply(400, { error: e.message });
          }
        }
        if (req.method === 'POST') {
          const done = chaos.off(match);
          if (match && !done.length) return reply(404, { error: `no random faults for match ${match}` });
          return reply(200, { ok: true, chaos: done.map(Chaos.view) });
        }
        if (req.method === 'GET') {
          const found = chaos.list(match);
          if (match && !found.length) return reply(404, { error: `no random faults for match ${match}` });
          return reply(200, match ? Chaos.view(found[0]) : found.map(Chaos.view));
        }
        return reply(405, { error: `${req.method} ${url.pathname}: use GET or POST` });
      }
      if (req.method === 'POST' && url.pathname === '/reset') {
        for (const g of pick(body.service)) {
          g.faults = body.match ? g.faults.filter((f) => f.match !== body.match) : [];
          if (body.stats) g.clearStats();
        }
        return reply(200, { ok: true });
      }
      if (req.method === 'GET' && url.pathname === '/stats') {
        const match = url.searchParams.get('match');
        const out = { pid: process.pid, token: info.token };
        for (const [name, g] of Object.entries(gates)) {
          if (!match) {
            out[name] = { ...g.stats, faults_pending: g.faults.reduce((n, f) => n + f.count, 0) };
          } else {
            const s = { seen: 0, forwarded: 0, refused: 0, faulted: 0, reset: 0 };
            for (const e of g.log) {
              if (matches(e, match)) { s.seen += 1; s[e.outcome] += 1; }
            }
            out[name] = s;
          }
        }
        return reply(200, out);
      }
      if (req.method === 'GET' && url.pathname === '/log') {
        const match = url.searchParams.get('match') || '';
        const out = [];
        for (const g of all) {
          for (const e of g.log) {
            if (matches(e, match)) {
              out.push({ id: e.id, service: e.service, method: e.method, url: e.url,
                outcome: e.outcome, status: e.status, ...(e.chaos ? { chaos: e.chaos } : {}) });
            }
          }
        }
        return reply(200, out);
      }
      return reply(404, { error: `no ${req.method} ${url.pathname}` });
    });
  });
}

module.exports = { Gate, createAdmin, s3CanonicalPath, EMPTY_SHA256, Chaos };

if (require.main === module) {
  const args = require('util').parseArgs({ options: {
    service: { type: 'string' }, upstream: { type: 'string' }, port: { type: 'string', default: '0' },
    'admin-port': { type: 'string', default: '0' },
    'access-key': { type: 'string', default: 'S3RVER' }, 'secret-key': { type: 'string', default: 'S3RVER' },
  } }).values;
  const gate = new Gate({ service: args.service, upstream: args.upstream,
    accessKeyId: args['access-key'], secretAccessKey: args['secret-key'], chaos: new Chaos() });
  const token = crypto.randomBytes(8).toString('hex');
  const admin = createAdmin({ [args.service]: gate }, { token });
  (async () => {
    const port = await gate.listen(+args.port, '127.0.0.1');
    await new Promise((r) => admin.listen(+args['admin-port'], '127.0.0.1', r));
    console.log(JSON.stringify({ ready: true, pid: process.pid, token, port, admin: admin.address().port }));
  })().catch((e) => { console.error(`gate: ${e.message}`); process.exit(1); });
}
