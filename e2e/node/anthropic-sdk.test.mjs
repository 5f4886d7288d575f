// Drives a running Tollgate gateway with the official @anthropic-ai/sdk.
// Run by the Go e2e suite (e2e/dialects_node_test.go) with:
//   TOLLGATE_ANTHROPIC_BASE_URL  the gateway's Anthropic base URL (http://127.0.0.1:PORT/anthropic)
//   TOLLGATE_TOKEN               a Tollgate token allowed to query the models below
//   TOLLGATE_ANTHROPIC_MODEL     an endpoint served by an Anthropic upstream (passthrough)
//   TOLLGATE_TRANSLATED_MODEL    an endpoint served by an OpenAI-compatible upstream (translated)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

const baseURL = process.env.TOLLGATE_ANTHROPIC_BASE_URL;
const token = process.env.TOLLGATE_TOKEN;
const models = [process.env.TOLLGATE_ANTHROPIC_MODEL, process.env.TOLLGATE_TRANSLATED_MODEL];
if (!baseURL || !token || models.some((m) => !m)) {
  throw new Error('set TOLLGATE_ANTHROPIC_BASE_URL, TOLLGATE_TOKEN, TOLLGATE_ANTHROPIC_MODEL and TOLLGATE_TRANSLATED_MODEL');
}

const common = { baseURL, maxRetries: 0, timeout: 30_000 };
// SDK 1.x sends apiKey as Authorization: Bearer; older SDKs and Claude Code
// send x-api-key with anthropic-version 2023-06-01. Both must work.
const bearerClient = new Anthropic({ ...common, apiKey: token });
const xApiKeyClient = new Anthropic({
  ...common,
  apiKey: null,
  authToken: null,
  defaultHeaders: { 'x-api-key': token, 'anthropic-version': '2023-06-01' },
});

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

for (const [auth, client] of [['bearer', bearerClient], ['x-api-key', xApiKeyClient]]) {
  for (const model of models) {
    test(`messages.create (${auth}, ${model})`, async () => {
      const { data: m, response } = await client.messages
        .create({ model, max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }] })
        .withResponse();
      assert.ok(response.headers.get('x-request-id'), 'x-request-id header');
      assert.equal(m.type, 'message');
      assert.equal(m.role, 'assistant');
      assert.ok(m.id, 'id');
      assert.equal(m.stop_reason, 'end_turn');
      assert.equal(m.content[0].type, 'text');
      assert.ok(m.content[0].text.length > 0, 'text');
      assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0, 'usage');
    });
  }
}

for (const model of models) {
  test(`messages.stream with a tool round trip (${model})`, async () => {
    const messages = [{ role: 'user', content: "What's the weather in Paris?" }];
    const events = [];
    const stream = bearerClient.messages.stream({ model, max_tokens: 256, tools: [weatherTool], messages });
    stream.on('streamEvent', (e) => events.push(e.type));
    const first = await stream.finalMessage();
    assert.equal(events[0], 'message_start');
    assert.equal(events.at(-1), 'message_stop');
    assert.equal(first.stop_reason, 'tool_use');
    const call = first.content.find((b) => b.type === 'tool_use');
    assert.ok(call, `a tool_use block in ${JSON.stringify(first.content)}`);
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(call.input, { location: 'Paris' });
    assert.ok(call.id, 'tool_use id');

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny, 21C' }] });
    let text = '';
    const second = xApiKeyClient.messages.stream({ model, max_tokens: 256, tools: [weatherTool], messages });
    second.on('text', (t) => { text += t; });
    const final = await second.finalMessage();
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(text.length > 0, 'streamed text');
    assert.equal(final.content[0].text, text);
    assert.ok(final.usage.output_tokens > 0, 'usage');
  });
}

test('messages.countTokens', async () => {
  for (const client of [bearerClient, xApiKeyClient]) {
    const r = await client.messages.countTokens({ model: models[0], messages: [{ role: 'user', content: 'count these words please' }] });
    assert.ok(r.input_tokens > 0, `input_tokens ${r.input_tokens}`);
  }
});

test('models.list', async () => {
  const ids = [];
  for await (const m of bearerClient.models.list()) {
    assert.equal(m.type, 'model');
    ids.push(m.id);
  }
  for (const model of models) {
    assert.ok(ids.includes(model), `${model} listed in ${ids}`);
  }
});

test('errors are the SDK error classes', async () => {
  const bad = new Anthropic({ ...common, apiKey: 'not-a-tollgate-token' });
  await assert.rejects(
    bad.messages.create({ model: models[0], max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof Anthropic.AuthenticationError && e.status === 401 && e.error?.error?.type === 'authentication_error',
  );
  await assert.rejects(
    bearerClient.messages.create({ model: 'no-such-endpoint', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof Anthropic.NotFoundError && e.status === 404 && e.error?.error?.type === 'not_found_error',
  );
});
