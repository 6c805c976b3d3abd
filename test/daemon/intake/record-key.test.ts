// The record builder answers the common key expressions (topicParts[N], topic, a field name) without the CEL
// interpreter. Checked against CEL itself over a table of topics and payloads: the same key, or the same error.
import { expect, it } from 'vitest';
import { recordBuilder } from '../../../daemon/intake/record.js';
import { compileKey, evaluateKey } from '../../../operators/expressions/index.js';

const EXPRESSIONS = [
  'topicParts[0]',
  'topicParts[1]',
  ' topicParts [ 2 ] ',
  'topicParts[5]',
  'topic',
  'id',
  'name',
  'flag',
  'empty',
  'big',
  'missing',
  'nested',
  'ts', // a declared variable, not the field of that name: always CEL
  'topicParts[1] + "-" + name', // anything else: CEL
];
const TOPICS = ['sensors/s1/telemetry', 'a//c', 'a', '', 'a/b/', '/x'];
const PAYLOADS = [
  { id: 17, name: 'n1', flag: true, empty: '', big: 1e21, nested: { a: 1 }, ts: 5 },
  { id: 2.5, name: '', big: -0 },
  {},
];

it('gives exactly what CEL gives for every expression, topic and payload', () => {
  for (const source of EXPRESSIONS) {
    const key = compileKey(source);
    if (!key.ok) throw new Error(`${source}: ${key.error.message}`);
    const build = recordBuilder({ receiver: 'r', format: 'json', key: key.value, timeFormat: 'auto' });
    for (const topic of TOPICS) {
      for (const fields of PAYLOADS) {
        const arrivalMs = 1_000;
        const cel = evaluateKey(key.value, {
          fields,
          topic,
          topicParts: topic.split('/'),
          receiver: 'r',
          ts: arrivalMs,
        });
        const built = build({ payload: Buffer.from(JSON.stringify(fields)), topic, arrivalMs });
        const got = built.ok ? { key: built.record?.key } : { reason: built.reason };
        const want = cel.ok ? { key: cel.key } : { reason: `key expression: ${cel.message}` };
        expect(got, `${source} on ${JSON.stringify(topic)} ${JSON.stringify(fields)}`).toEqual(want);
      }
    }
  }
});
