// Drives a running Tollgate gateway with the official openai npm SDK.
// Run by the Go e2e suite (e2e/node_test.go) with:
//   TOLLGATE_BASE_URL  the gateway's OpenAI base URL (http://127.0.0.1:PORT/v1)
//   TOLLGATE_TOKEN     a Tollgate token allowed to query the models below
//   TOLLGATE_CHAT_MODEL, TOLLGATE_EMBEDDINGS_MODEL, TOLLGATE_PRIVATE_MODEL  endpoint names
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.TOLLGATE_BASE_URL;
const apiKey = process.env.TOLLGATE_TOKEN;
const chatModel = process.env.TOLLGATE_CHAT_MODEL ?? 'chat';
const embeddingsModel = process.env.TOLLGATE_EMBEDDINGS_MODEL ?? 'embeddings';
const privateModel = process.env.TOLLGATE_PRIVATE_MODEL ?? 'private';
if (!baseURL || !apiKey) {
  throw new Error('set TOLLGATE_BASE_URL and TOLLGATE_TOKEN');
}

// Embeddings calls as sent and answered on the wire (a clone of each response).
const seen = [];
async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  if (String(url).endsWith('/embeddings')) {
    seen.push({ url: String(url), body: init?.body, response: response.clone() });
  }
  return response;
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000, fetch: recordingFetch });

test('unary chat completion', async () => {
  const { data: c, response } = await client.chat.completions
    .create({ model: chatModel, messages: [{ role: 'user', content: 'Hello from the Node SDK' }] })
    .withResponse();
  assert.ok(response.headers.get('x-request-id'), 'x-request-id header');
  assert.equal(c.object, 'chat.completion');
  assert.ok(c.id, 'id');
  assert.ok(c.created > 0, 'created');
  assert.ok(c.model, 'model');
  assert.equal(c.choices.length, 1);
  assert.ok(c.choices[0].message.content.length > 0, 'content');
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.ok(c.usage.prompt_tokens > 0 && c.usage.completion_tokens > 0 && c.usage.total_tokens > 0, 'usage');
});

test('streaming chat completion with usage', async () => {
  const messages = [{ role: 'user', content: 'Stream to the Node SDK' }];
  const unary = await client.chat.completions.create({ model: chatModel, messages });
  const stream = await client.chat.completions.create({
    model: chatModel,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    for (const choice of chunk.choices) text += choice.delta?.content ?? '';
    if (chunk.usage) {
      assert.equal(usage, null, 'one usage chunk');
      assert.equal(chunk.choices.length, 0, 'the usage chunk has no choices');
      usage = chunk.usage;
    }
  }
  assert.ok(chunks > 2, `several chunks, got ${chunks}`);
  assert.equal(text, unary.choices[0].message.content, 'streamed text equals the unary reply');
  assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0 && usage.total_tokens > 0, 'usage chunk');
});

test('embeddings: the default base64 encoding decodes to the float vectors', async () => {
  const input = ['alpha', 'beta'];
  const asFloat = await client.embeddings.create({ model: embeddingsModel, input, encoding_format: 'float' });
  const before = seen.length;
  const dflt = await client.embeddings.create({ model: embeddingsModel, input });

  // The SDK asked for base64 and the gateway answered with base64 strings.
  const call = seen[before];
  assert.ok(call, 'recorded the embeddings call');
  assert.equal(JSON.parse(call.body).encoding_format, 'base64');
  const wire = await call.response.json();
  assert.equal(typeof wire.data[0].embedding, 'string', 'base64 on the wire');

  assert.equal(dflt.data.length, input.length);
  for (let i = 0; i < input.length; i++) {
    const got = dflt.data[i].embedding;
    const want = asFloat.data[i].embedding;
    assert.ok(Array.isArray(got), 'decoded to an array');
    assert.ok(want.length > 0);
    assert.equal(got.length, want.length, 'decoded vector length');
    const bytes = Buffer.from(wire.data[i].embedding, 'base64');
    assert.equal(bytes.length, 4 * want.length, 'base64 holds float32s');
    for (let j = 0; j < want.length; j++) {
      assert.ok(Math.abs(got[j] - want[j]) <= 1e-6 * Math.max(1, Math.abs(want[j])), `component ${j}: ${got[j]} vs ${want[j]}`);
    }
  }
});

test('models list', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    ids.push(m.id);
  }
  assert.ok(ids.includes(chatModel), `${chatModel} listed: ${ids}`);
  assert.ok(ids.includes(embeddingsModel), `${embeddingsModel} listed: ${ids}`);
  assert.ok(ids.includes(privateModel), `${privateModel} listed for this token: ${ids}`);
});

test('a bad token is a 401 AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'tg-not-a-real-token', maxRetries: 0, timeout: 30_000 });
  await assert.rejects(
    bad.chat.completions.create({ model: chatModel, messages: [{ role: 'user', content: 'hi' }] }),
    (err) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, `AuthenticationError, got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 401);
      assert.ok(err.error?.message, 'error body has a message');
      assert.ok('type' in err.error && 'param' in err.error && 'code' in err.error, 'OpenAI error shape');
      assert.ok(err.headers?.get?.('x-request-id'), 'x-request-id on the error');
      return true;
    },
  );
});
