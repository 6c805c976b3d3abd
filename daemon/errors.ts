// The single error catalog of the daemon (as Fastify's lib/errors.js): every error a user can meet has a code,
// a message saying what is wrong, and a hint saying how to fix it. The CLI prints message + hint and exits with
// the code's exit status.

/** How the process should exit when an error of this kind reaches the CLI. */
export type ErrorKind = 'usage' | 'runtime' | 'operator';

interface CatalogEntry {
  /**
   * `usage` (bad arguments, bad config: exit 2), `runtime` (the daemon failed while working: exit 1), or
   * `operator` (the state needs a person, and starting again cannot help: exit 3; the systemd unit lists 2 and 3
   * in RestartPreventExitStatus, so neither becomes a restart loop).
   */
  readonly kind: ErrorKind;
  /** The hint used when the thrower has nothing more specific to say. */
  readonly hint: string;
}

/**
 * Every error code Sluice can produce. Add new codes here (never invent one at a throw site) so that the
 * documentation, the CLI and the API all know them.
 */
export const errorCatalog = {
  SLUICE_USAGE: {
    kind: 'usage',
    hint: 'Run `sluice --help` for the commands and options.',
  },
  SLUICE_CONFIG_NOT_FOUND: {
    kind: 'usage',
    hint: 'Check the path given with -c/--config; relative paths are resolved from the working directory.',
  },
  SLUICE_CONFIG_UNREADABLE: {
    kind: 'usage',
    hint: 'Check that the path is a regular file and readable by the user the daemon runs as.',
  },
  SLUICE_CONFIG_INVALID: {
    kind: 'usage',
    hint: 'Fix the errors listed above, then check again with `sluice validate -c FILE`.',
  },
  SLUICE_CONFIG_SUBSTITUTION: {
    kind: 'usage',
    hint: 'Set the variable in the environment (systemd: Environment= or EnvironmentFile=), give a default with ${NAME:-default}, or write $${ for a literal ${.',
  },
  SLUICE_EXPRESSION_INVALID: {
    kind: 'usage',
    hint: 'Expressions are CEL (https://cel.dev); record fields, topic, topicParts, receiver and ts are in scope.',
  },
  SLUICE_STATE_LOCKED: {
    kind: 'runtime',
    hint: 'Stop the other daemon first (systemctl stop sluice), or give this one its own state.dir.',
  },
  SLUICE_STATE_IO: {
    kind: 'runtime',
    hint: 'Check that state.dir exists, is writable by the daemon user and that the disk is healthy (dmesg).',
  },
  SLUICE_STATE_CORRUPT: {
    kind: 'operator',
    hint: 'Stop the daemon and run `sluice repair -c FILE` (it keeps a copy and prints what it could not recover), or move the state directory aside to start fresh (its outbox and unprocessed input are then lost).',
  },
  SLUICE_DISK_FULL: {
    kind: 'runtime',
    hint: "Free space on the state directory's filesystem; Sluice stops accepting input meanwhile and resumes on its own.",
  },
  SLUICE_API_LISTEN: {
    kind: 'runtime',
    hint: 'Another process may hold api.port (ss -ltnp); choose another port, or check that api.bind is an address of this host.',
  },
  SLUICE_API_BAD_REQUEST: {
    kind: 'usage',
    hint: 'Check the request against the OpenAPI document at /api/v1/openapi.json.',
  },
  SLUICE_API_UNAUTHORIZED: {
    kind: 'usage',
    hint: 'Send the token of api.token as `Authorization: Bearer <token>`.',
  },
  SLUICE_API_FORBIDDEN: {
    kind: 'usage',
    hint: 'A loopback API answers only requests addressed to localhost, 127.0.0.1 or [::1] (this stops DNS rebinding); bind to another address with a token to reach it by name.',
  },
  SLUICE_API_UNSUPPORTED_MEDIA_TYPE: {
    kind: 'usage',
    hint: "Send the body as JSON with `Content-Type: application/json` (e.g. curl -H 'content-type: application/json' -d '{}').",
  },
  SLUICE_API_NOT_FOUND: {
    kind: 'usage',
    hint: 'The routes are listed at /api/v1/openapi.json; ids are those of the running config.',
  },
  SLUICE_API_PAYLOAD_TOO_LARGE: {
    kind: 'usage',
    hint: 'Request bodies are limited to 64 KiB.',
  },
  SLUICE_API_UNAVAILABLE: {
    kind: 'runtime',
    hint: 'The gateway is starting, reloading or stopping; try again in a moment.',
  },
  SLUICE_NOT_IMPLEMENTED: {
    kind: 'runtime',
    hint: 'This command is not available in this build yet.',
  },
  SLUICE_INTERNAL: {
    kind: 'runtime',
    hint: 'This is a bug in Sluice: please report it with the command and the config that caused it.',
  },
} as const satisfies Record<string, CatalogEntry>;

export type SluiceErrorCode = keyof typeof errorCatalog;

/** The process exit statuses Sluice uses besides 0. */
export type ExitStatus = 1 | 2 | 3;

/** Exit status for each kind: 2 for usage and config errors, 1 for runtime failures, 3 for damaged state. */
export const exitStatus: Readonly<Record<ErrorKind, ExitStatus>> = { usage: 2, runtime: 1, operator: 3 };

/**
 * One problem inside a larger error, e.g. one config key among several that are wrong. `path` is the key path
 * (`pipelines.climate-1m.window.slide`); `line`/`column` are 1-based positions in the source file when known.
 */
export interface ErrorIssue {
  readonly code: SluiceErrorCode;
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export interface SluiceErrorOptions {
  /** How to fix it; default: the catalog's hint for the code. */
  readonly hint?: string;
  readonly cause?: unknown;
  /** The individual problems, for errors that collect several (config validation); default: none. */
  readonly issues?: readonly ErrorIssue[];
}

/** An error with a catalog code, a message (what is wrong) and a hint (how to fix it). */
export class SluiceError extends Error {
  override readonly name = 'SluiceError';
  readonly code: SluiceErrorCode;
  readonly hint: string;
  readonly issues: readonly ErrorIssue[];

  constructor(code: SluiceErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint ?? errorCatalog[code].hint;
    this.issues = options.issues ?? [];
  }

  /** The process exit status this error calls for (2 for usage/config, 1 for runtime, 3 for damaged state). */
  get exitCode(): ExitStatus {
    return exitStatus[errorCatalog[this.code].kind];
  }
}

export function isSluiceError(value: unknown): value is SluiceError {
  return value instanceof SluiceError;
}

/** The exit status for anything thrown: a SluiceError's own, 1 for everything else (an unexpected failure). */
export function exitCodeOf(error: unknown): ExitStatus {
  return isSluiceError(error) ? error.exitCode : 1;
}
