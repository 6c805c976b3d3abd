// Renders the config reference (docs/config-reference.md) from the JSON Schema of the config and the connector
// registry, so the docs cannot drift from what `sluice validate` accepts. Output is Markdown, not yet
// prettier-formatted (scripts/config-reference.ts formats and writes it; a test compares).
import { z } from 'zod';
import { receivers, sinks, type ConnectorEntry } from '../../connectors/registry.js';
import { declaredVariables } from '../../operators/expressions/index.js';
import { AGGREGATE_FNS } from '../../operators/aggregates/index.js';
import { configJsonSchema } from './json-schema.js';

type Json = Readonly<Record<string, unknown>>;

interface Row {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const code = (text: string): string => `\`${text}\``;
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Prose outside code spans: `<id>` would otherwise be read as an HTML tag. */
const prose = (text: string): string => text.replace(/</g, '&lt;').replace(/>/g, '&gt;');

function literal(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function typeOf(node: Json): string {
  if (typeof node.title === 'string') return node.title;
  if ('const' in node) return code(literal(node.const));
  if (Array.isArray(node.enum)) return node.enum.map((value) => code(literal(value))).join(' | ');
  const items = node.items;
  const values = node.additionalProperties;
  switch (node.type) {
    case 'array':
      return isJson(items) ? `list of ${typeOf(items)}` : 'list';
    case 'object':
      if (isJson(values))
        return Array.isArray(values.oneOf)
          ? 'map of id → (see below)'
          : `map of ${recordKey(node)} → ${typeOf(values)}`;
      return 'map';
    case 'integer':
      return 'integer';
    default:
      return typeof node.type === 'string' ? node.type : 'any';
  }
}

function recordKey(node: Json): string {
  const names = node.propertyNames;
  return isJson(names) && typeof names.title === 'string' ? names.title : 'name';
}

/** Splits "… Default: X." off a description, so the default goes to its own column. */
function splitDefault(description: string): { text: string; stated?: string } {
  const match = /\s*Default: (.+?)\.?$/.exec(description);
  return match === null
    ? { text: description }
    : { text: description.slice(0, match.index), stated: match[1] ?? '' };
}

function row(key: string, node: Json, required: boolean): Row {
  const { text, stated } = splitDefault(typeof node.description === 'string' ? node.description : '');
  let fallback = required ? '**required**' : 'optional';
  if (stated !== undefined) fallback = prose(stated);
  const defaultValue = node.default;
  const shown =
    defaultValue === undefined
      ? fallback
      : isJson(defaultValue) && Object.keys(defaultValue).length === 0
        ? 'the defaults below'
        : code(literal(defaultValue));
  return { key: code(key), type: typeOf(node), default: shown, description: prose(text) };
}

function rows(node: Json, prefix: string): Row[] {
  const properties = isJson(node.properties) ? node.properties : {};
  const required = Array.isArray(node.required) ? node.required : [];
  const result: Row[] = [];
  for (const [key, child] of Object.entries(properties)) {
    if (!isJson(child)) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    result.push(row(path, child, required.includes(key)));
    if (isJson(child.properties)) result.push(...rows(child, path));
    const values = child.additionalProperties;
    if (isJson(values) && isJson(values.properties))
      result.push(...rows(values, `${path}.<${recordKey(child)}>`));
  }
  return result;
}

function table(list: readonly Row[]): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const r of list)
    lines.push(`| ${cell(r.key)} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
  return lines.join('\n');
}

function connectorSection(kind: 'receivers' | 'sinks', entry: ConnectorEntry): string {
  const schema = z.toJSONSchema(entry.configSchema, {
    io: 'input',
    target: 'draft-07',
    unrepresentable: 'any',
  }) as Json;
  return [
    `### ${code(`type: ${entry.type}`)}`,
    '',
    entry.summary,
    '',
    table(rows(schema, `${kind}.<id>`)),
  ].join('\n');
}

const FORMATS = `## Value formats

**Durations** carry their unit: \`500ms\`, \`10s\`, \`2m\`, \`1h\`, \`7d\`, or combined largest first: \`1h30m\`.
Decimals are fine when the result is whole milliseconds (\`1.5s\`). A bare number is rejected (is \`10\` seconds or
milliseconds?), except \`0\`.

**Sizes** carry their unit: \`B\`, \`KiB\`, \`MiB\`, \`GiB\`, \`TiB\` (powers of 1024) or \`KB\`, \`MB\`, \`GB\`, \`TB\`
(powers of 1000): \`256MiB\`, \`100MB\`. \`M\` or \`K\` alone is rejected as ambiguous; a bare number too, except \`0\`.

**Ids** (receivers, pipelines, sinks, the gateway) are lowercase letters, digits, \`-\` and \`_\`, starting with a
letter or digit, at most 64 characters: they name checkpoints, metrics and output ids.

**Keys** are camelCase and checked strictly: an unknown key (a typo such as \`topic:\` for \`topics:\`) is an error.

**Paths** (\`state.dir\`, file sinks, \`\${file:…}\`) are relative to the daemon's working directory.

## Substitution and secrets

Values (never keys) may hold references, expanded after YAML parsing, so a value cannot change the file's
structure:

| Form | Meaning |
| --- | --- |
| \`\${NAME}\` | The environment variable; unset is an error naming the variable and the key. |
| \`\${NAME:-default}\` | The default when NAME is unset or empty; the default may hold references. |
| \`\${file:/path}\` | The file's content without its trailing newline, e.g. \`\${file:\${CREDENTIALS_DIRECTORY}/mqtt-password}\` with systemd \`LoadCredential=\`. |
| \`$\${\` | A literal \`\${\`. |

An unquoted value that is exactly one reference is typed as YAML types the text (\`port: \${PORT}\` is a number); quote
it (\`"\${PORT}"\`) to keep a string. Secret fields (passwords, keys, tokens) print as \`[redacted]\` in logs and JSON,
and no error message repeats a substituted value.
`;

function expressionsSection(): string {
  const variables = declaredVariables.map(
    (v) => `| ${code(v.name)} | ${code(v.type)} | ${cell(v.description)} |`,
  );
  const functions = AGGREGATE_FNS.map((fn) =>
    code(fn === 'count' ? 'count()' : fn === 'quantile' ? 'quantile(field, q)' : `${fn}(field)`),
  );
  return [
    '## Expressions',
    '',
    '`key` and `where` are [CEL](https://cel.dev) expressions, compiled and type-checked by `sluice validate`. The',
    "record's fields are variables (`temp`); these are declared too (and shadow fields of the same name):",
    '',
    '| Variable | Type | Meaning |',
    '| --- | --- | --- |',
    ...variables,
    '',
    'A field missing from a record makes the expression fail for that record, which then goes to the dead letters',
    'with the reason: guard with `has(record.temp) && temp > 0`. Fields named like CEL keywords (`in`, `as`, …) or',
    'with dashes are read as `record["in"]`. JSON numbers are CEL doubles: compare freely (`temp > 40`), but write',
    '`temp * 2.0` in arithmetic. A `where` that gives something other than a bool, or a `key` that gives something',
    'other than a string or number, dead-letters the record too.',
    '',
    '## Aggregates',
    '',
    `The values of a pipeline's \`aggregate\` map: ${functions.join(', ')}; \`q\` is from 0 to 1. \`count(field)\``,
    'counts the records where the field is a number. A field with an odd name is quoted: `avg("temp 1")`.',
  ].join('\n');
}

/** The whole reference, as Markdown. */
export function renderConfigReference(): string {
  const root = configJsonSchema('draft-07') as Json;
  return [
    '# Config reference',
    '',
    '<!-- Generated from the config schema by `node --import tsx scripts/config-reference.ts`; do not edit. -->',
    '',
    'A config file is YAML; `sluice validate -c FILE` checks it and `sluice schema` prints its JSON Schema for',
    'editors. [examples/climate.yaml](../examples/climate.yaml) is a complete example.',
    '',
    'For completion and checks while editing (VS Code with the YAML extension, or any editor using the YAML',
    'language server), save the schema with `sluice schema > sluice.schema.json` and start the config with',
    '`# yaml-language-server: $schema=./sluice.schema.json`. Only `sluice validate` checks CEL types and the',
    'references between sections.',
    '',
    '## Top level',
    '',
    table(rows(root, '')),
    '',
    '## Receivers',
    '',
    'Each entry under `receivers` has a `type`:',
    '',
    ...receivers.map((entry) => `${connectorSection('receivers', entry)}\n`),
    '## Sinks',
    '',
    'Each entry under `sinks` has a `type`:',
    '',
    ...sinks.map((entry) => `${connectorSection('sinks', entry)}\n`),
    FORMATS,
    expressionsSection(),
    '',
  ].join('\n');
}
