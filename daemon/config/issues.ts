// Turns zod's validation issues into config issues a person can act on: the key path, what is wrong, how to
// fix it ("did you mean"), where in the file. Messages never contain config values: a value that may be shown
// travels in `got`, and the loader drops it when the value came from a ${…} reference (it may be a secret).
import type { z } from 'zod';
import type { SluiceErrorCode } from '../errors.js';
import { allowedKeysAt, descriptionAt } from './schema-walk.js';
import { didYouMean } from './suggest.js';

/** An issue before it is located in the file. */
export interface RawIssue {
  readonly code: SluiceErrorCode;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly hint?: string;
  /** The offending value, shown as "(got …)" unless it came from a ${…} reference. */
  readonly got?: unknown;
  /** Point at the key rather than the value (unknown keys, bad ids, missing keys). */
  readonly target?: 'key' | 'value';
  /** Column offset of the culprit inside a CEL expression. */
  readonly expressionOffset?: number;
  /** Replaces `hint` when the value came from a ${…} reference. */
  readonly substitutedHint?: string;
  /** For an unknown key: the allowed key it probably meant (a "missing" issue for that key is then dropped). */
  readonly meant?: string;
  /** For a missing required key: its name. */
  readonly missing?: string;
}

const QUOTE_HINT =
  'the value comes from a ${…} reference and YAML typed it (a number or true/false): quote the reference, e.g. "${NAME}"';

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
  null: 'null',
};

/** A short name for the kind of a value (never the value itself). */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  if (typeof value === 'boolean') return 'true/false';
  return `a ${typeof value}`;
}

const EXAMPLES: Readonly<Record<string, string>> = {
  array: 'write a list, e.g. [a, b] or one "- item" per line',
  object: 'write a map: "key: value" lines indented below, or { key: value }',
  record: 'write a map: "id:" lines indented below, each with its settings',
  number: 'write a number without quotes',
  int: 'write a whole number without quotes',
  boolean: 'write true or false without quotes',
  string: 'write text; quote it if it starts with a special character',
};

/** Maps one zod issue (parsed with reportInput) to config issues; `root` and `input` give "did you mean". */
export function fromZodIssue(issue: z.core.$ZodIssue, root: z.ZodType, input: unknown): RawIssue[] {
  const path = issue.path;
  const last = path.at(-1);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) {
        if (path.length === 0) return [emptyConfig];
        const description = descriptionAt(root, path, input);
        return [
          {
            code: 'SLUICE_CONFIG_INVALID',
            path,
            message: `missing required key "${String(last)}"`,
            hint: `add ${String(last)}:${description === undefined ? '' : ` (${description})`}`,
            target: 'key',
            missing: String(last),
          },
        ];
      }
      if (path.length === 0 && issue.input === null) return [emptyConfig];
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return [
        {
          code: 'SLUICE_CONFIG_INVALID',
          path,
          message:
            path.length === 0
              ? 'the config must be a map of sections'
              : `expected ${expected}, got ${kindOf(issue.input)}`,
          hint: EXAMPLES[issue.expected] ?? `write ${expected}`,
          substitutedHint: QUOTE_HINT,
        },
      ];
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(root, path, input);
      return issue.keys.map((key) => {
        const meant = meantKey(key, allowed);
        return {
          code: 'SLUICE_CONFIG_INVALID' as const,
          path: [...path, key],
          message: `unknown key "${key}"`,
          hint: unknownKeyHint(key, meant, allowed),
          target: 'key' as const,
          ...(meant === undefined ? {} : { meant }),
        };
      });
    }
    case 'invalid_value': {
      const options = issue.values.map((value) => JSON.stringify(value));
      const suggestion =
        typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : undefined;
      return [
        {
          code: 'SLUICE_CONFIG_INVALID',
          path,
          message:
            options.length === 1 ? `must be ${options.join('')}` : `must be one of ${options.join(', ')}`,
          ...(suggestion === undefined ? {} : { hint: `did you mean ${JSON.stringify(suggestion)}?` }),
          got: issue.input,
        },
      ];
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue) {
        const known = issue.options.map(String);
        const given = isRecord(issue.input) ? issue.input[issue.discriminator] : undefined;
        const section = String(path[0] ?? '').replace(/s$/, '');
        if (given === undefined) {
          return [
            {
              code: 'SLUICE_CONFIG_INVALID',
              path,
              message: `missing "${issue.discriminator}"`,
              hint: `add ${issue.discriminator}: one of ${known.join(', ')}`,
              target: 'key',
            },
          ];
        }
        const suggestion = typeof given === 'string' ? didYouMean(given, known) : undefined;
        return [
          {
            code: 'SLUICE_CONFIG_INVALID',
            path,
            message: `unknown ${section} type`,
            hint: `${suggestion === undefined ? '' : `did you mean ${suggestion}? `}available ${section} types: ${known.join(', ')}`,
            got: given,
          },
        ];
      }
      return [{ code: 'SLUICE_CONFIG_INVALID', path, message: issue.message, got: issue.input }];
    }
    case 'invalid_key': {
      // A map key (an id) that fails its schema: report the key's own issue, pointing at the key.
      return issue.issues.flatMap((inner) =>
        fromZodIssue({ ...inner, path: [] }, root, input).map((raw) => ({
          ...raw,
          path,
          target: 'key' as const,
          got: last,
        })),
      );
    }
    case 'too_small':
    case 'too_big':
      return [{ code: 'SLUICE_CONFIG_INVALID', path, ...boundMessage(issue), got: issue.input }];
    case 'custom': {
      const params = issue.params ?? {};
      const hint: unknown = params.hint;
      const code: unknown = params.code;
      const offset: unknown = params.expressionOffset;
      return [
        {
          code: code === 'SLUICE_EXPRESSION_INVALID' ? code : 'SLUICE_CONFIG_INVALID',
          path,
          message: issue.message,
          ...(typeof hint === 'string' ? { hint } : {}),
          ...(typeof offset === 'number' ? { expressionOffset: offset } : {}),
          got: issue.input,
        },
      ];
    }
    default:
      return [{ code: 'SLUICE_CONFIG_INVALID', path, message: issue.message, got: issue.input }];
  }
}

const emptyConfig: RawIssue = {
  code: 'SLUICE_CONFIG_INVALID',
  path: [],
  message: 'the config is empty',
  hint: 'start from examples/climate.yaml',
};

/** The allowed key an unknown key was probably meant to be: its camelCase form, or the closest spelling. */
function meantKey(key: string, allowed: readonly string[]): string | undefined {
  const camel = key.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && allowed.includes(camel)) return camel;
  return didYouMean(key, allowed);
}

function unknownKeyHint(key: string, meant: string | undefined, allowed: readonly string[]): string {
  if (meant !== undefined && meant.toLowerCase() === key.replace(/[-_]/g, '').toLowerCase()) {
    return `keys are camelCase: write "${meant}"`;
  }
  const list = allowed.length === 0 ? '' : `allowed here: ${allowed.join(', ')}`;
  if (meant !== undefined) return `did you mean "${meant}"? ${list}`.trim();
  return list === '' ? 'remove it' : `remove it, or use one of the keys allowed here: ${allowed.join(', ')}`;
}

function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): {
  message: string;
  hint?: string;
} {
  // Our schemas give their own messages for some bounds; zod's defaults start with "Too small"/"Too big".
  if (!/^Too (small|big)/.test(issue.message)) return { message: issue.message };
  const small = issue.code === 'too_small';
  const bound = small ? issue.minimum : issue.maximum;
  switch (issue.origin) {
    case 'array':
      return {
        message: small
          ? `the list needs at least ${bound} item(s)`
          : `the list takes at most ${bound} item(s)`,
      };
    case 'string':
      return small && bound === 1
        ? { message: 'cannot be empty' }
        : { message: `${small ? 'at least' : 'at most'} ${bound} characters` };
    default: {
      const comparison = small
        ? issue.inclusive === false
          ? 'greater than'
          : 'at least'
        : issue.inclusive === false
          ? 'less than'
          : 'at most';
      return { message: `must be ${comparison} ${bound}` };
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
