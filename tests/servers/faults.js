'use strict';
// Random faults for soak tests: a stage in front of the gates' forwarding
// that, while switched on for requests matching a text, answers a fraction
// of them with what AWS answers when it is unwell (500 InternalError,
// 503 ServiceUnavailable, 503 SlowDown / 400 ThrottlingException or
// ProvisionedThroughputExceededException), drops the connection before
// the request reaches the server or after it did (half an answer, then
// reset), or answers slowly (held before the answer, or stalled half way
// through its body).  Off unless asked for, so no other test sees it.
// See README.md ("Random faults") for the admin API.
//
// Deterministic: whether a request is faulted, and how, is drawn from a
// PRNG (mulberry32) seeded with a hash of the seed, the request's identity
// and how many times that identity was seen before.  The identity is the
// method and URL for S3; for DynamoDB the X-Amz-Target, the table and the
// item's key; the match text is cut out of it, so a test that puts a
// per-run tag in its keys and in the match gets the same faults on the same
// requests in every run, however its worker threads interleave.

const KINDS = ['internal_error', 'unavailable', 'throttle', 'reset_request', 'reset_response',
  'slow', 'slow_body'];

// mulberry32: a small, well-mixed 32-bit PRNG.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// FNV-1a over the UTF-8 bytes of s.
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function decoded(url) {
  try {
    return decodeURIComponent(url);
  } catch (e) {
    return url;
  }
}

function zeroCounts() {
  const c = {};
  for (const k of KINDS) c[k] = 0;
  return c;
}

// The DynamoDB item key a request body names, as text ("" if none).
function ddbIdentity(headers, text) {
  let doc = null;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `${headers['x-amz-target'] || ''} ${text.length}`;
  }
  const key = (doc && (doc.Item || doc.Key)) || {};
  const s = (av) => (av && typeof av === 'object' ? JSON.stringify(av) : '');
  return `${headers['x-amz-target'] || ''} ${doc && doc.TableName} ${s(key.source_bucket)} ${s(key.source_key)}`;
}

class Chaos {
  constructor() {
    this.configs = new Map(); // match -> config
  }

  // Validates and installs a configuration (replacing one with the same
  // match, counts zeroed); returns it, or throws with why not.
  configure(body) {
    if (typeof body.match !== 'string' || body.match.length < 3) {
      throw new Error('"match" (a text of 3 or more characters in the URL or body of the requests to fault) is required');
    }
    const rate = body.rate === undefined ? 0.1 : Number(body.rate);
    if (!(rate >= 0 && rate <= 1)) throw new Error('"rate" must be a number from 0 to 1');
    if (body.service && body.service !== 's3' && body.service !== 'dynamodb') {
      throw new Error('"service" must be s3 or dynamodb');
    }
    let weights = {};
    if (Array.isArray(body.kinds)) {
      for (const k of body.kinds) weights[k] = 1;
    } else if (body.kinds && typeof body.kinds === 'object') {
      weights = { ...body.kinds };
    } else {
      for (const k of KINDS) weights[k] = 1;
    }
    let total = 0;
    for (const [k, w] of Object.entries(weights)) {
      if (!KINDS.includes(k)) throw new Error(`unknown kind "${k}" (known: ${KINDS.join(', ')})`);
      if (!(Number(w) >= 0)) throw new Error(`weight of "${k}" must be a number >= 0`);
      weights[k] = Number(w);
      total += weights[k];
    }
    if (!(total > 0)) throw new Error('"kinds" gives no kind a weight above 0');
    const delay = body.delay_ms === undefined ? 1000 : Number(body.delay_ms);
    if (!(delay >= 0 && delay <= 60000)) throw new Error('"delay_ms" must be 0 to 60000');
    const cfg = {
      match: body.match, seed: body.seed === undefined ? 1 : body.seed, rate, weights, total,
      service: body.service || '', delay_ms: delay, on: true, since: new Date().toISOString(),
      occurrences: new Map(),
      seen: { s3: 0, dynamodb: 0 },
      injected: zeroCounts(),
      by_service: { s3: zeroCounts(), dynamodb: zeroCounts() },
      codes: { s3: {}, dynamodb: {} },
    };
    this.configs.set(cfg.match, cfg);
    return cfg;
  }

  // Switches one configuration (or all) off; they keep their counts.
  off(match) {
    const out = [];
    for (const cfg of this.configs.values()) {
      if (match && cfg.match !== match) continue;
      cfg.on = false;
      out.push(cfg);
    }
    return out;
  }

  list(match) {
    return [...this.configs.values()].filter((c) => !match || c.match === match);
  }

  // The configuration that applies to a request, if one is on.  url is the
  // request's URL; text its body, or null when not read yet (S3 requests are
  // matched on the URL alone, so that they can be faulted before their
  // body is read).
  find(service, url, text) {
    for (const cfg of this.configs.values()) {
      if (!cfg.on || (cfg.service && cfg.service !== service)) continue;
      if (url.includes(cfg.match) || decoded(url).includes(cfg.match)) return cfg;
      if (text !== null && text.includes(cfg.match)) return cfg;
    }
    return null;
  }

  // Draws the fate of one request: null (pass) or { kind, status, code,
  // message, delay_ms, cut } for the gate to carry out.  headers are the
  // request's (lower-case names); text its body or null.
  decide(service, method, url, headers, text) {
    const cfg = this.find(service, url, text);
    if (!cfg) return null;
    let id = service === 's3' ? `${method} ${url}` : ddbIdentity(headers, text || '');
    id = id.split(cfg.match).join('');
    const n = (cfg.occurrences.get(id) || 0) + 1;
    cfg.occurrences.set(id, n);
    cfg.seen[service] += 1;
    const rnd = mulberry32(fnv1a(`${cfg.seed}\u0000${service}\u0000${id}\u0000${n}`));
    if (rnd() >= cfg.rate) return null;
    let pick = rnd() * cfg.total, kind = null;
    for (const k of KINDS) {
      const w = cfg.weights[k] || 0;
      if (w > 0 && pick < w) { kind = k; break; }
      pick -= w;
    }
    if (!kind) kind = KINDS.filter((k) => cfg.weights[k] > 0).pop();
    const variant = rnd();
    // reset_response: a TCP reset, or for half of them a plain close (FIN)
    // after the partial answer, which a client sees as a short body.
    const fate = { kind, cfg, delay_ms: cfg.delay_ms, cut: 0.25 + 0.5 * variant, fin: rnd() < 0.5 };
    const s3 = service === 's3';
    if (kind === 'internal_error') {
      Object.assign(fate, s3
        ? { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' }
        : { status: 500, code: 'InternalServerError', message: 'Internal server error' });
    } else if (kind === 'unavailable') {
      Object.assign(fate, s3
        ? { status: 503, code: 'ServiceUnavailable', message: 'Service is unable to handle request.' }
        : { status: 503, code: 'ServiceUnavailable', message: 'The service is currently unavailable or busy.' });
    } else if (kind === 'throttle') {
      if (s3) {
        Object.assign(fate, { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' });
      } else if (variant < 0.5) {
        Object.assign(fate, { status: 400, code: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' });
      } else {
        Object.assign(fate, { status: 400, code: 'ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.' });
      }
    }
    return fate;
  }

  // Counts a fate once the gate carried it out.
  count(service, fate) {
    const cfg = fate.cfg;
    cfg.injected[fate.kind] += 1;
    cfg.by_service[service][fate.kind] += 1;
    if (fate.code) cfg.codes[service][fate.code] = (cfg.codes[service][fate.code] || 0) + 1;
  }

  static view(cfg) {
    const total = Object.values(cfg.injected).reduce((a, b) => a + b, 0);
    return { match: cfg.match, on: cfg.on, seed: cfg.seed, rate: cfg.rate, kinds: cfg.weights,
      service: cfg.service || null, delay_ms: cfg.delay_ms, since: cfg.since, seen: cfg.seen,
      injected_total: total, injected: cfg.injected, by_service: cfg.by_service, codes: cfg.codes };
  }
}

// Writes an upstream answer (status, raw headers, whole body) to res in
// the way fate says: part of it and then a reset or close (reset_response:
// destroy(fin) drops the connection, with a plain close when fin), or part
// of it, a pause of fate.delay_ms and the rest (slow_body).  A body of
// under 2 bytes (HEAD, an empty PUT answer) cannot be cut: reset_response
// then drops the connection before the status line, slow_body holds the
// whole answer.
function sendFaulted(res, status, rawHeaders, body, fate, destroy) {
  if (body.length < 2) {
    if (fate.kind === 'reset_response') {
      destroy(fate.fin);
      return;
    }
    setTimeout(() => {
      res.writeHead(status, rawHeaders);
      res.end(body);
    }, fate.delay_ms);
    return;
  }
  const cut = Math.max(1, Math.min(body.length - 1, Math.floor(body.length * fate.cut)));
  res.writeHead(status, rawHeaders);
  res.write(body.subarray(0, cut), () => {
    if (fate.kind === 'reset_response') {
      // a moment for the bytes to leave before the reset
      setTimeout(() => destroy(fate.fin), 20);
    } else {
      setTimeout(() => res.end(body.subarray(cut)), fate.delay_ms);
    }
  });
}

module.exports = { Chaos, KINDS, sendFaulted, mulberry32, fnv1a };
