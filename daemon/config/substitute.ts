// `${ENV_VAR}`, `${ENV_VAR:-default}` and `${file:/path}` in config values, expanded on the parsed YAML values
// (never on the raw text: a secret containing `#`, `: ` or a newline cannot change the document's structure).
//
// Rules (documented in the config reference):
// - `${NAME}`: the variable's value; unset is an error naming the variable and the key. Set but empty is "".
// - `${NAME:-default}`: the default when NAME is unset or empty. The default may itself hold references.
// - `${file:/path}`: the file's content minus one trailing newline (systemd credentials, PEM files). The path
//   may hold variable references: `${file:${CREDENTIALS_DIRECTORY}/mqtt-password}`. Relative paths are resolved
//   from the working directory, like every other path in the config.
// - `$${` is a literal `${`. A `$` not followed by `{` is just a `$`.
// - Only values are expanded, never keys.
// - A plain (unquoted) value that is exactly one reference is typed as YAML would type the text: `port: ${PORT}`
//   with PORT=1883 is the number 1883, `true`/`false` are booleans. Quote it ("${PORT}") to keep a string.
// Substituted values never appear in messages: errors name the variable or file, never what it holds.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export interface SubstitutionOptions {
  /** Variables to expand. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file for `${file:…}`. Default: fs.readFileSync as UTF-8, refusing files over 1 MiB. */
  readonly readFile?: (path: string) => string;
  /** Directory relative `${file:…}` paths are resolved from. Default: process.cwd(). */
  readonly cwd?: string;
}

export interface SubstitutionProblem {
  readonly message: string;
  readonly hint: string;
}

export type Expansion =
  | { readonly ok: true; readonly value: string; readonly references: number; readonly whole: boolean }
  | { readonly ok: false; readonly problems: readonly SubstitutionProblem[] };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_FILE_BYTES = 1024 * 1024;
const REFERENCE_FORMS = 'write ${NAME}, ${NAME:-default} or ${file:/path}';

/** Reads a secret file, refusing anything that is not a small regular file. */
export function readSecretFile(path: string): string {
  const stats = statSync(path);
  if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
  if (stats.size > MAX_FILE_BYTES) throw Object.assign(new Error('file too large'), { code: 'EFBIG' });
  return readFileSync(path, 'utf8');
}

/**
 * Expands the references in one value. `whole` is true when the value is exactly one reference (used to type
 * plain scalars); `references` counts the references expanded (0: the value is unchanged, escapes aside).
 */
export function expand(text: string, options: SubstitutionOptions = {}): Expansion {
  const problems: SubstitutionProblem[] = [];
  let value = '';
  let references = 0;
  let whole = false;
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      value += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      value += text.charAt(i);
      i += 1;
      continue;
    }
    const end = closingBrace(text, i + 2);
    if (end === -1) {
      problems.push({
        message: 'a "${" has no closing "}"',
        hint: `close the reference, or write $\${ for a literal \${`,
      });
      break;
    }
    references += 1;
    whole = i === 0 && end === text.length - 1;
    const resolved = resolveReference(text.slice(i + 2, end), options);
    if (resolved.ok) value += resolved.value;
    else problems.push(...resolved.problems);
    i = end + 1;
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value, references, whole: whole && references === 1 };
}

/** Index of the `}` closing a reference whose body starts at `from`, honouring nested `${…}`; -1 if none. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text.startsWith('${', j)) {
      depth += 1;
      j += 1;
    } else if (text.charAt(j) === '}') {
      depth -= 1;
      if (depth === 0) return j;
    }
  }
  return -1;
}

type Resolved = { ok: true; value: string } | { ok: false; problems: readonly SubstitutionProblem[] };

function resolveReference(body: string, options: SubstitutionOptions): Resolved {
  if (body.startsWith('file:')) return resolveFile(body.slice('file:'.length), options);
  const separator = body.indexOf(':-');
  const name = separator === -1 ? body : body.slice(0, separator);
  if (!NAME.test(name)) {
    const hint =
      name === ''
        ? REFERENCE_FORMS
        : `${REFERENCE_FORMS}; names are letters, digits and _, not starting with a digit` +
          (body.includes(':') && separator === -1 ? ' (a default is written ${NAME:-default})' : '');
    return { ok: false, problems: [{ message: `"\${${body}}" is not a valid reference`, hint }] };
  }
  const env = options.env ?? process.env;
  const value = env[name];
  if (separator !== -1 && (value === undefined || value === '')) {
    return nested(body.slice(separator + 2), options);
  }
  if (value === undefined) {
    return {
      ok: false,
      problems: [
        {
          message: `environment variable ${name} is not set`,
          hint: `set ${name} in the daemon's environment (systemd: Environment= or EnvironmentFile=), or give a default: \${${name}:-value}`,
        },
      ],
    };
  }
  return { ok: true, value };
}

/** Expands references inside a default or a file path (`${file:${CREDENTIALS_DIRECTORY}/x}`). */
function nested(text: string, options: SubstitutionOptions): Resolved {
  const expanded = expand(text, options);
  return expanded.ok ? { ok: true, value: expanded.value } : expanded;
}

function resolveFile(pathText: string, options: SubstitutionOptions): Resolved {
  const expandedPath = nested(pathText, options);
  if (!expandedPath.ok) return expandedPath;
  if (expandedPath.value.trim() === '') {
    return {
      ok: false,
      problems: [{ message: '${file:} has no path', hint: 'write ${file:/path/to/secret}' }],
    };
  }
  const path = resolve(options.cwd ?? process.cwd(), expandedPath.value);
  let content: string;
  try {
    content = (options.readFile ?? readSecretFile)(path);
  } catch (error) {
    return { ok: false, problems: [fileProblem(path, error)] };
  }
  return { ok: true, value: content.replace(/\r?\n$/, '') };
}

function fileProblem(path: string, error: unknown): SubstitutionProblem {
  const code = (error as { code?: unknown } | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return {
        message: `file ${path} does not exist`,
        hint: 'check the path; for systemd credentials use ${file:${CREDENTIALS_DIRECTORY}/name} with LoadCredential=',
      };
    case 'EACCES':
      return {
        message: `file ${path} is not readable`,
        hint: 'let the user the daemon runs as read it (or use systemd LoadCredential=)',
      };
    case 'EISDIR':
      return { message: `${path} is not a regular file`, hint: 'point ${file:…} at a file' };
    case 'EFBIG':
      return {
        message: `file ${path} is larger than 1 MiB`,
        hint: '${file:…} is meant for secrets and certificates',
      };
    default:
      return { message: `cannot read file ${path}`, hint: 'check that the file exists and is readable' };
  }
}

/** How YAML's core schema would type a plain scalar with this text (numbers and booleans; the rest stays text). */
export function typeLikeYaml(text: string): string | number | boolean {
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?[0-9]+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return text;
}
