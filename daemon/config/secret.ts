// Secrets in config (passwords, tokens, private keys): a wrapper that prints as [redacted] everywhere (JSON,
// pino, util.inspect, string templates) so a logged config never leaks one. Read it with reveal().
import { inspect } from 'node:util';
import { z } from 'zod';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself: call it only where it is handed to the library that needs it. */
  reveal(): string {
    return this.#value;
  }

  /** Compares without revealing (for config reload: did the secret change?). */
  equals(other: Secret | undefined): boolean {
    return other !== undefined && other.#value === this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

/**
 * A secret config value: a non-empty string, usually `${ENV_VAR}` or `${file:/run/credentials/...}`, parsed to
 * a Secret. Numbers are not accepted (a password `007` would silently become 7): quote the reference instead.
 */
export const secretSchema = z
  .string()
  .min(1, { error: 'a secret cannot be empty' })
  .transform((value) => new Secret(value))
  .meta({ title: 'secret', writeOnly: true });
