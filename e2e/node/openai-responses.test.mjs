// Drives a running Tollgate gateway's Responses API with the official openai
// npm SDK. Run by the Go e2e suite (e2e/dialects_node_test.go) with:
//   TOLLGATE_BASE_URL          the gateway's OpenAI base URL (http://127.0.0.1:PORT/v1)
//   TOLLGATE_TOKEN             a Tollgate token allowed to query the models below
//   TOLLGATE_RESPONSES_MODELS  comma-separated endpoints to drive (Responses, Anthropic and Chat upstreams)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.TOLLGATE_BASE_URL;
const apiKey = process.env.TOLLGATE_TOKEN;
const models = (process.env.TOLLGATE_RESPONSES_MODELS ?? '').split(',').filter(Boolean);
if (!baseURL || !apiKey || models.length === 0) {
  throw new Error('set TOLLGATE_BASE_URL, TOLLGATE_TOKEN and TOLLGATE_RESPONSES_MODELS');
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

const weatherTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
  strict: false,
};

for (const model of models) {
  test(`responses.create (${model})`, async () => {
    const { data: r, response } = await client.responses
      .create({ model, instructions: 'Be brief.', input: 'Hello from the Node SDK' })
      .withResponse();
    assert.ok(response.headers.get('x-request-id'), 'x-request-id header');
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.ok(r.id, 'id');
    assert.ok(r.output_text.length > 0, 'output_text');
    assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0, 'usage');
  });

  test(`responses.stream with a tool round trip (${model})`, async () => {
    const input = [{ role: 'user', content: "What's the weather in Paris?" }];
    const events = [];
    const stream = client.responses.stream({ model, input, tools: [weatherTool] });
    for await (const e of stream) {
      events.push(e.type);
    }
    const first = await stream.finalResponse();
    assert.equal(events[0], 'response.created');
    assert.equal(events.at(-1), 'response.completed');
    const call = first.output.find((item) => item.type === 'function_call');
    assert.ok(call, `a function_call in ${JSON.stringify(first.output)}`);
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { location: 'Paris' });
    assert.ok(call.call_id, 'call_id');

    input.push({ type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments });
    input.push({ type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21C' });
    let text = '';
    const second = client.responses.stream({ model, input, tools: [weatherTool] });
    second.on('response.output_text.delta', (e) => { text += e.delta; });
    const final = await second.finalResponse();
    assert.equal(final.status, 'completed');
    assert.ok(text.length > 0, 'streamed text');
    const message = final.output.find((item) => item.type === 'message');
    assert.equal(message?.content?.[0]?.text, text);
    assert.ok(final.usage.output_tokens > 0, 'usage');
  });
}

test('errors are the SDK error classes', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'not-a-tollgate-token', maxRetries: 0 });
  await assert.rejects(bad.responses.create({ model: models[0], input: 'hi' }), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(client.responses.create({ model: 'no-such-endpoint', input: 'hi' }), (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
});
