// Drives a running Tollgate gateway with the official @google/genai SDK.
// Run by the Go e2e suite (e2e/gemini_clients_test.go) with:
//   TOLLGATE_GEMINI_BASE_URL  the gateway's Gemini base URL (http://127.0.0.1:PORT/gemini)
//   TOLLGATE_TOKEN            a Tollgate token allowed to query the models below
//   TOLLGATE_GEMINI_MODELS    chat endpoints to run every test against, comma-separated
//   TOLLGATE_GEMINI_EMBED_MODELS  embeddings endpoints, comma-separated
//   TOLLGATE_REPLY            the upstream's plain answer
//   TOLLGATE_READ_PREFIX      how the upstream's answer to a file-read result starts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, ApiError } from '@google/genai';

const baseUrl = process.env.TOLLGATE_GEMINI_BASE_URL;
const apiKey = process.env.TOLLGATE_TOKEN;
const models = (process.env.TOLLGATE_GEMINI_MODELS ?? '').split(',').filter(Boolean);
const embedModels = (process.env.TOLLGATE_GEMINI_EMBED_MODELS ?? '').split(',').filter(Boolean);
const reply = process.env.TOLLGATE_REPLY;
const readPrefix = process.env.TOLLGATE_READ_PREFIX;
if (!baseUrl || !apiKey || models.length === 0 || !reply || !readPrefix) {
  throw new Error('set TOLLGATE_GEMINI_BASE_URL, TOLLGATE_TOKEN, TOLLGATE_GEMINI_MODELS, TOLLGATE_REPLY and TOLLGATE_READ_PREFIX');
}

const client = (key) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl, timeout: 30_000 } });
const ai = client(apiKey);

const tools = [{
  functionDeclarations: [{
    name: 'read_file',
    description: 'Reads a file and returns its content.',
    parametersJsonSchema: {
      type: 'object',
      properties: { file_path: { type: 'string', description: 'The path of the file.' } },
      required: ['file_path'],
    },
  }],
}];

for (const model of models) {
  test(`${model}: generateContent`, async () => {
    const r = await ai.models.generateContent({
      model,
      contents: 'Hello from the genai SDK',
      config: { systemInstruction: 'Answer briefly.' },
    });
    assert.equal(r.text, reply);
    assert.equal(r.candidates.length, 1);
    assert.equal(r.candidates[0].finishReason, 'STOP');
    assert.equal(r.candidates[0].content.role, 'model');
    const u = r.usageMetadata;
    assert.ok(u.promptTokenCount > 0 && u.candidatesTokenCount > 0 && u.totalTokenCount >= u.promptTokenCount + u.candidatesTokenCount, 'usage');
    assert.ok(r.modelVersion, 'modelVersion');
  });

  test(`${model}: generateContentStream`, async () => {
    const stream = await ai.models.generateContentStream({ model, contents: 'Stream to the genai SDK' });
    let text = '';
    let chunks = 0;
    let last;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.text ?? '';
      last = chunk;
    }
    assert.equal(text, reply);
    assert.ok(chunks >= 2, `${chunks} chunks`);
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.ok(last.usageMetadata.totalTokenCount > 0, 'usage on the last chunk');
  });

  test(`${model}: function call round trip`, async () => {
    const ask = { role: 'user', parts: [{ text: 'Please read the file notes.txt.' }] };
    const first = await ai.models.generateContent({ model, contents: [ask], config: { tools } });
    const calls = first.functionCalls;
    assert.equal(calls?.length, 1, JSON.stringify(first.candidates));
    assert.equal(calls[0].name, 'read_file');
    assert.equal(calls[0].args.file_path, 'notes.txt');
    assert.ok(calls[0].id.includes('fake_read'), `call id ${calls[0].id}`);
    // The model turn goes back as the SDK got it (id and thoughtSignature included).
    const contents = [ask, first.candidates[0].content, {
      role: 'user',
      parts: [{ functionResponse: { id: calls[0].id, name: calls[0].name, response: { output: 'notes content 7' } } }],
    }];
    const stream = await ai.models.generateContentStream({ model, contents, config: { tools } });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    assert.equal(text, readPrefix + 'notes content 7');
  });

  test(`${model}: countTokens`, async () => {
    const r = await ai.models.countTokens({ model, contents: 'How many tokens is this sentence?' });
    assert.ok(r.totalTokens > 0, JSON.stringify(r));
  });
}

for (const model of embedModels) {
  test(`${model}: embedContent of two texts`, async () => {
    const r = await ai.models.embedContent({ model, contents: ['first text', 'second text'], config: { outputDimensionality: 4 } });
    assert.equal(r.embeddings.length, 2);
    for (const e of r.embeddings) {
      assert.equal(e.values.length, 4);
      assert.ok(e.values.every(Number.isFinite));
    }
    assert.notDeepEqual(r.embeddings[0].values, r.embeddings[1].values);
  });
}

test('errors are ApiErrors with the HTTP status', async () => {
  await assert.rejects(client('not-a-tollgate-key').models.generateContent({ model: models[0], contents: 'hi' }),
    (e) => e instanceof ApiError && e.status === 401);
  await assert.rejects(ai.models.generateContent({ model: 'no-such-endpoint', contents: 'hi' }),
    (e) => e instanceof ApiError && e.status === 404);
  await assert.rejects(
    (async () => { for await (const _ of await client('not-a-tollgate-key').models.generateContentStream({ model: models[0], contents: 'hi' })); })(),
    (e) => e instanceof ApiError && e.status === 401);
});
