// Seeds the test servers for bench/bucket.sh: objects in s3rver and S3
// event messages in fauxqs, many at once (awscli uploads one file per
// request, serially enough that 100 000 objects would take most of an
// hour).  Uses the AWS SDK that tests/servers pins (NODE_PATH); talks
// only to the PIXPIPE_TEST_* addresses, which are loopback.
//
//   node bucket.js put BUCKET PREFIX COUNT FILE   COUNT copies of FILE as
//                                                 PREFIX/NNNNNNN.jpg
//   node bucket.js queue NAME VISIBILITY_S        creates a queue, prints its URL
//   node bucket.js send URL BUCKET PREFIX COUNT   one ObjectCreated message per
//                                                 key PREFIX/NNNNNNN.jpg
//   node bucket.js left URL                       messages visible + in flight
'use strict';
const fs = require('fs');
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
const {
  SQSClient, CreateQueueCommand, SendMessageBatchCommand, GetQueueAttributesCommand,
} = require('@aws-sdk/client-sqs');

const credentials = {
  accessKeyId: process.env.PIXPIPE_TEST_AWS_ACCESS_KEY_ID,
  secretAccessKey: process.env.PIXPIPE_TEST_AWS_SECRET_ACCESS_KEY,
};
const region = process.env.PIXPIPE_TEST_AWS_REGION || 'us-east-1';

function loopback(url, name) {
  if (!url || !/^http:\/\/127\.0\.0\.1:\d+/.test(url)) {
    throw new Error(`${name} is not a loopback address: ${url}`);
  }
  return url;
}

function keyOf(prefix, i) {
  return `${prefix}/${String(i).padStart(7, '0')}.jpg`;
}

// Runs fn(i) for i in [0, count) with at most `width` at once.
async function each(count, width, fn) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) {
      const i = next++;
      await fn(i);
    }
  });
  await Promise.all(lanes);
}

async function put(bucket, prefix, count, file) {
  const s3 = new S3Client({
    endpoint: loopback(process.env.PIXPIPE_TEST_S3, 'PIXPIPE_TEST_S3'),
    forcePathStyle: true, region, credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const body = fs.readFileSync(file);
  await each(count, 32, (i) => s3.send(new PutObjectCommand({
    Bucket: bucket, Key: keyOf(prefix, i), Body: body, ContentType: 'image/jpeg',
  })));
}

function sqsClient() {
  return new SQSClient({
    endpoint: loopback(process.env.PIXPIPE_TEST_SQS, 'PIXPIPE_TEST_SQS'), region, credentials,
  });
}

async function queue(name, visibility) {
  const r = await sqsClient().send(new CreateQueueCommand({
    QueueName: name, Attributes: { VisibilityTimeout: String(visibility) },
  }));
  process.stdout.write(`${r.QueueUrl}\n`);
}

async function send(url, bucket, prefix, count) {
  const sqs = sqsClient();
  const batches = Math.ceil(count / 10);
  await each(batches, 8, async (b) => {
    const entries = [];
    for (let i = b * 10; i < Math.min(count, b * 10 + 10); i++) {
      const record = {
        eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket },
              object: { key: keyOf(prefix, i), sequencer: (i + 1).toString(16).toUpperCase() } },
      };
      entries.push({ Id: String(i), MessageBody: JSON.stringify({ Records: [record] }) });
    }
    const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    if (r.Failed && r.Failed.length) throw new Error(`send: ${JSON.stringify(r.Failed)}`);
  });
}

async function left(url) {
  const r = await sqsClient().send(new GetQueueAttributesCommand({
    QueueUrl: url,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  const a = r.Attributes || {};
  process.stdout.write(`${Number(a.ApproximateNumberOfMessages) +
    Number(a.ApproximateNumberOfMessagesNotVisible)}\n`);
}

const [cmd, ...args] = process.argv.slice(2);
const commands = {
  put: () => put(args[0], args[1], Number(args[2]), args[3]),
  queue: () => queue(args[0], Number(args[1])),
  send: () => send(args[0], args[1], args[2], Number(args[3])),
  left: () => left(args[0]),
};
if (!commands[cmd]) {
  process.stderr.write('usage: bucket.js put|queue|send|left ...\n');
  process.exit(2);
}
commands[cmd]().catch((e) => {
  process.stderr.write(`bucket.js ${cmd}: ${e.message}\n`);
  process.exit(1);
});
