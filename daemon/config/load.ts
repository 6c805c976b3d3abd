// Loads a config file: YAML → ${…} substitution → schema → cross-section checks, collecting every problem
// (not just the first) with its key path, a hint and the line:column in the file. Values that came from ${…}
// are never echoed in messages.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError, type ErrorIssue, type SluiceErrorCode } from '../errors.js';
import { crossCheck } from './cross-check.js';
import { locate, parseYaml, pathKey, substituteDocument } from './document.js';
import { fromZodIssue, type RawIssue } from './issues.js';
import { configSchema, type Config } from './schema.js';
import type { SubstitutionOptions } from './substitute.js';

export type LoadOptions = SubstitutionOptions;

export type ConfigCheck =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly issues: readonly ErrorIssue[] };

/**
 * Validates config text. `file` is only used to name the file in issues. Never throws for a bad config: the
 * result lists every issue, sorted by position.
 */
export function checkConfigText(text: string, file?: string, options: LoadOptions = {}): ConfigCheck {
  const parsed = parseYaml(text);
  const where = file === undefined ? {} : { file };
  if (parsed.syntaxErrors.length > 0) {
    // The values are not trustworthy past a syntax error, and later syntax errors are mostly its echoes:
    // report the first one alone.
    return {
      ok: false,
      issues: parsed.syntaxErrors.slice(0, 1).map((error) => ({
        code: 'SLUICE_CONFIG_INVALID',
        path: '',
        message: `YAML syntax: ${lowerFirst(error.message)}`,
        hint: syntaxHint(text, error.position.line),
        ...where,
        ...error.position,
      })),
    };
  }

  const substitution = substituteDocument(parsed, options);
  const raw: RawIssue[] = substitution.problems.map((problem) => ({
    code: 'SLUICE_CONFIG_SUBSTITUTION',
    path: problem.path,
    message: problem.message,
    hint: problem.hint,
  }));

  let input: unknown;
  try {
    input = parsed.doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : 'cannot read the document';
    return {
      ok: false,
      issues: [
        { code: 'SLUICE_CONFIG_INVALID', path: '', message, hint: 'use fewer aliases (*name)', ...where },
      ],
    };
  }

  const result = configSchema.safeParse(input, { reportInput: true });
  if (!result.success)
    raw.push(...result.error.issues.flatMap((issue) => fromZodIssue(issue, configSchema, input)));
  raw.push(...crossCheck(input));

  const issues = finalize(raw, parsed, substitution, where);
  if (issues.length > 0 || !result.success) return { ok: false, issues };
  return { ok: true, config: deepFreeze(result.data) };
}

/**
 * Reads, validates and returns the config at `path` (relative to `options.cwd`, default the working directory);
 * throws a SluiceError listing every issue, naming the file as `path` was given.
 */
export async function loadConfig(path: string, options: LoadOptions = {}): Promise<Config> {
  let text: string;
  try {
    text = await readFile(resolve(options.cwd ?? process.cwd(), path), 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw new SluiceError('SLUICE_CONFIG_NOT_FOUND', `config file ${path} does not exist`, {
        cause: error,
      });
    }
    throw new SluiceError('SLUICE_CONFIG_UNREADABLE', `cannot read config file ${path} (${String(code)})`, {
      cause: error,
    });
  }
  const checked = checkConfigText(text, path, options);
  if (checked.ok) return checked.config;
  throw configError(path, checked.issues);
}

/** The error for a config with issues: SLUICE_CONFIG_SUBSTITUTION when substitution is all that failed. */
export function configError(file: string, issues: readonly ErrorIssue[]): SluiceError {
  const code: SluiceErrorCode = issues.every((issue) => issue.code === 'SLUICE_CONFIG_SUBSTITUTION')
    ? 'SLUICE_CONFIG_SUBSTITUTION'
    : 'SLUICE_CONFIG_INVALID';
  const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
  return new SluiceError(code, `${file}: ${count} in the config`, { issues });
}

function finalize(
  raw: readonly RawIssue[],
  parsed: ReturnType<typeof parseYaml>,
  substitution: ReturnType<typeof substituteDocument>,
  where: { file?: string },
): ErrorIssue[] {
  const underAny = (path: readonly PropertyKey[], set: ReadonlySet<string>): boolean =>
    path.some((_, i) => set.has(pathKey(path.slice(0, i + 1)))) || set.has(pathKey([]));
  const seen = new Set<string>();
  const issues: ErrorIssue[] = [];
  // "missing topics" next to "unknown key topic (did you mean topics?)" says the same thing twice.
  const meant = new Set(
    raw.flatMap((issue) =>
      issue.meant === undefined ? [] : [pathKey([...issue.path.slice(0, -1), issue.meant])],
    ),
  );
  for (const issue of raw) {
    if (issue.missing !== undefined && meant.has(pathKey(issue.path))) continue;
    // A value whose ${…} failed is reported once, by the substitution; schema errors there are noise.
    if (issue.code !== 'SLUICE_CONFIG_SUBSTITUTION' && underAny(issue.path, substitution.failed)) continue;
    const secret = underAny(issue.path, substitution.substituted);
    const shown = secret ? undefined : render(issue.got);
    const message = shown === undefined ? issue.message : `${issue.message} (got ${shown})`;
    const hint = secret && issue.substitutedHint !== undefined ? issue.substitutedHint : issue.hint;
    const path = formatPath(issue.path);
    const identity = `${path}\u0000${message}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    const position = locate(parsed, issue.path, issue.target ?? 'value', issue.expressionOffset) ?? {
      line: 1,
      column: 1,
    };
    issues.push({
      code: issue.code,
      path,
      message,
      ...(hint === undefined ? {} : { hint }),
      ...where,
      ...position,
    });
  }
  return issues.sort(
    (a, b) =>
      (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || a.path.localeCompare(b.path),
  );
}

/** `pipelines.climate-1m.window.slide`, `receivers.climate.topics[0]`, `sinks["odd key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z0-9_-]+$/.test(segment))
      text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

function render(value: unknown): string | undefined {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function syntaxHint(text: string, line: number): string {
  const lines = text.split('\n');
  // `{ path: ${OUT} }` or `[${N}]`: in flow collections, { and } are YAML syntax, so a reference must be quoted.
  const nearby = lines.slice(Math.max(0, line - 2), line).join('\n');
  if (/[[{][^\n]*\$\{/.test(nearby)) {
    return 'inside [ ] or { }, quote ${…} references: { path: "${OUT_DIR}/x.jsonl" }';
  }
  return 'check the indentation (spaces, not tabs) and the quoting around this spot';
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
