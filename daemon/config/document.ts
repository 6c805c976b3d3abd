// The YAML side of config loading: parse with source positions, expand `${…}` references in values, and map a
// key path back to a line:column, so that every error can point at the spot in the file.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { expand, typeLikeYaml, type SubstitutionOptions, type SubstitutionProblem } from './substitute.js';

export type KeyPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface ParsedYaml {
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  readonly text: string;
  /** Syntax errors, with positions; when there are any, the values are not to be trusted. */
  readonly syntaxErrors: readonly { readonly message: string; readonly position: Position }[];
}

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // uniqueKeys (default) makes a duplicated id an error; merge enables `<<: *defaults`; maxAliasCount (default
  // 100) guards against alias bombs. prettyErrors off: we print our own message with line:column.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  const syntaxErrors = doc.errors.map((error) => ({
    message: error.message.replace(/ at line \d+, column \d+.*$/s, ''),
    position: toPosition(lineCounter, error.pos[0]),
  }));
  return { doc, lineCounter, text, syntaxErrors };
}

function toPosition(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** A substitution problem at a key path. */
export interface LocatedProblem extends SubstitutionProblem {
  readonly path: KeyPath;
  readonly position?: Position;
}

export interface SubstitutionOutcome {
  readonly problems: readonly LocatedProblem[];
  /** Paths whose value came (partly) from a reference; errors there must not echo the value. */
  readonly substituted: ReadonlySet<string>;
  /** Paths whose reference could not be expanded; other errors there are noise and are dropped. */
  readonly failed: ReadonlySet<string>;
}

/** A stable string for a key path, for sets. */
export function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)));
}

/** Expands references in every value of the document, in place. */
export function substituteDocument(
  parsed: ParsedYaml,
  options: SubstitutionOptions = {},
): SubstitutionOutcome {
  const problems: LocatedProblem[] = [];
  const substituted = new Set<string>();
  const failed = new Set<string>();

  const visit = (node: unknown, path: KeyPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = keyText(pair.key);
        if (key.includes('${') && isScalar(pair.key)) {
          problems.push({
            path: [...path, key],
            message: 'references are expanded in values only, not in keys',
            hint: 'write the key literally',
            ...positionOf(parsed, pair.key),
          });
        }
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        visit(item, [...path, index]);
      });
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const expansion = expand(node.value, options);
      if (!expansion.ok) {
        failed.add(pathKey(path));
        for (const problem of expansion.problems)
          problems.push({ path, ...problem, ...positionOf(parsed, node) });
        return;
      }
      if (expansion.value === node.value && expansion.references === 0) return;
      if (expansion.references > 0) substituted.add(pathKey(path));
      node.value = expansion.whole && node.type === 'PLAIN' ? typeLikeYaml(expansion.value) : expansion.value;
    }
    // Aliases point at a node expanded where its anchor is defined.
  };

  visit(parsed.doc.contents, []);
  return { problems, substituted, failed };
}

function positionOf(parsed: ParsedYaml, node: Node): { position?: Position } {
  return node.range ? { position: toPosition(parsed.lineCounter, node.range[0]) } : {};
}

/**
 * Where a key path is in the file. `target: 'key'` points at the key itself (unknown keys, bad ids), `'value'`
 * at its value. A path that does not exist (a missing key) points at the deepest existing ancestor's key.
 * `expressionOffset` moves the column into a single-line scalar (the culprit inside a CEL expression).
 */
export function locate(
  parsed: ParsedYaml,
  path: readonly PropertyKey[],
  target: 'key' | 'value' = 'value',
  expressionOffset?: number,
): Position | undefined {
  let node: unknown = parsed.doc.contents;
  let keyNode: Node | undefined;
  let found = true;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(parsed.doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (pair === undefined) {
        found = false;
        break;
      }
      keyNode = isNode(pair.key) ? pair.key : keyNode;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
    } else {
      found = false;
      break;
    }
  }
  const valueNode = isNode(node) ? node : undefined;
  const anchor = !found || target === 'key' ? (keyNode ?? valueNode) : (valueNode ?? keyNode);
  if (anchor?.range == null) return undefined;
  const start = toPosition(parsed.lineCounter, anchor.range[0]);
  if (expressionOffset === undefined || !found || !isScalar(anchor) || anchor !== valueNode) return start;
  // Move into the expression when the scalar is written on one line without escapes, plain or quoted.
  const raw = parsed.text.slice(anchor.range[0], anchor.range[1]);
  const value = String(anchor.value);
  const shift = raw === value ? 0 : raw === `"${value}"` || raw === `'${value}'` ? 1 : undefined;
  return shift === undefined ? start : { line: start.line, column: start.column + shift + expressionOffset };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}
