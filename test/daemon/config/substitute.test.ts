// ${ENV}, ${ENV:-default}, ${file:/path} and $${ in config values: what they expand to, how they fail, and
// that values are typed and located like the YAML around them.
import { describe, expect, test } from 'vitest';
import { parseYaml, substituteDocument } from '../../../daemon/config/document.js';
import { expand, type SubstitutionOptions } from '../../../daemon/config/substitute.js';

const files: Record<string, string> = {
  '/run/credentials/sluice.service/mqtt-password': 's3cret\n',
  '/etc/sluice/ca.pem': '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n',
  '/etc/sluice/two-newlines': 'value\n\n',
};

const options: SubstitutionOptions = {
  env: { HOST: 'broker.local', EMPTY: '', CREDENTIALS_DIRECTORY: '/run/credentials/sluice.service' },
  cwd: '/etc/sluice',
  readFile: (path) => {
    const content = files[path];
    if (content === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return content;
  },
};

describe('expand', () => {
  test.each([
    ['mqtt://${HOST}:1883', 'mqtt://broker.local:1883'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY}', ''],
    ['${MISSING:-${HOST}}', 'broker.local'],
    ['${file:${CREDENTIALS_DIRECTORY}/mqtt-password}', 's3cret'],
    ['${file:ca.pem}', '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----'],
    ['${file:/etc/sluice/two-newlines}', 'value\n'],
    ['cost: $${price} and $5', 'cost: ${price} and $5'],
    ['no references', 'no references'],
  ])('expands %j to %j', (text, value) => {
    expect(expand(text, options)).toMatchObject({ ok: true, value });
  });

  test.each([
    ['${MQTT_URL}', /environment variable MQTT_URL is not set/, /\$\{MQTT_URL:-value\}/],
    ['${file:/etc/sluice/missing}', /file \/etc\/sluice\/missing does not exist/, /CREDENTIALS_DIRECTORY/],
    ['${HOST', /has no closing/, /\$\$\{/],
    ['${1HOST}', /not a valid reference/, /letters, digits and _/],
    ['${HOST:default}', /not a valid reference/, /\$\{NAME:-default\}/],
    ['${}', /not a valid reference/, /\$\{NAME\}/],
    ['${file:}', /has no path/, /\$\{file:\/path/],
  ])('rejects %j with a message and a hint', (text, message, hint) => {
    const expansion = expand(text, options);
    expect(expansion.ok).toBe(false);
    if (expansion.ok) return;
    expect(expansion.problems[0]?.message).toMatch(message);
    expect(expansion.problems[0]?.hint).toMatch(hint);
  });

  test('reports every unset variable in a value, not just the first', () => {
    const expansion = expand('${A}:${B}', options);
    expect(expansion.ok ? [] : expansion.problems.map((p) => p.message)).toEqual([
      'environment variable A is not set',
      'environment variable B is not set',
    ]);
  });
});

describe('substituteDocument', () => {
  function substitute(yaml: string, env: Record<string, string>) {
    const parsed = parseYaml(yaml);
    const outcome = substituteDocument(parsed, { ...options, env });
    return { value: parsed.doc.toJS() as unknown, outcome };
  }

  test('types a plain whole reference as YAML would, and keeps quoted or partial references strings', () => {
    const { value } = substitute(
      'a: ${N}\nb: "${N}"\nc: ${N}s\nd: ${T}\ne:\n  - ${N}\n  - "${N}"\nf: ${S}\n',
      {
        N: '1883',
        T: 'true',
        S: 'null',
      },
    );
    expect(value).toEqual({ a: 1883, b: '1883', c: '1883s', d: true, e: [1883, '1883'], f: 'null' });
  });

  test('does not let a value change the document structure', () => {
    const { value } = substitute('password: ${P}\nafter: 1\n', { P: 'x # not a comment\nafter: 2' });
    expect(value).toEqual({ password: 'x # not a comment\nafter: 2', after: 1 });
  });

  test('locates a failed reference by key path and line:column', () => {
    const { outcome } = substitute('receivers:\n  climate:\n    url: ${MQTT_URL}\n', {});
    expect(outcome.problems).toEqual([
      expect.objectContaining({
        path: ['receivers', 'climate', 'url'],
        message: 'environment variable MQTT_URL is not set',
        position: { line: 3, column: 10 },
      }),
    ]);
  });

  test('records which paths were substituted and which failed', () => {
    const { outcome } = substitute('a: ${X}\nb:\n  - x\n  - ${MISSING}\nc: plain $ sign\n', { X: '1' });
    expect([...outcome.substituted]).toEqual(['["a"]']);
    expect([...outcome.failed]).toEqual(['["b",1]']);
  });

  test('refuses references in keys', () => {
    const { outcome } = substitute('${KEY}: 1\n', { KEY: 'a' });
    expect(outcome.problems.map((p) => p.message)).toEqual([
      'references are expanded in values only, not in keys',
    ]);
  });
});
