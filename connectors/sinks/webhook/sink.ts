// The webhook sink: one signed POST per outbox entry, in order (Standard Webhooks: webhook-id, webhook-timestamp,
// webhook-signature = v1,base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))). 2xx acknowledges; 5xx, 429,
// timeouts, network errors and redirects leave the entry for a retry; any other 4xx is a permanent failure.
import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  PermanentSinkError,
  SinkSendError,
  type OutboxEntry,
  type Sink,
  type SinkHost,
} from '../../types.js';
import type { WebhookSinkConfig } from './config.js';

/** Longest Retry-After honoured; a longer one is cut to this. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_`, or else the secret's UTF-8 bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** The `webhook-signature` header value for one message. */
export function sign(key: Buffer, id: string, timestampS: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

/**
 * The request body for a record: the record itself (json), or a Slack-compatible `{"text"}` summary: an alert
 * notification as `[critical] overheat firing: t-17 on greenhouse-7 (temp_max=41.3)`, any other record as its id
 * and values.
 */
export function bodyOf(format: 'json' | 'slack', value: string): string {
  if (format === 'json') return value;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return JSON.stringify({ text: value });
  }
  const values = record.values;
  const shown =
    typeof values === 'object' && values !== null
      ? Object.entries(values)
          .map(([name, v]) => `${name}=${JSON.stringify(v)}`)
          .join(', ')
      : '';
  const text =
    typeof record.alert === 'string'
      ? `[${String(record.severity)}] ${record.alert} ${String(record.status)}: ${String(record.key)} on ${String(record.gateway)}${shown === '' ? '' : ` (${shown})`}`
      : `${String(record.id)}${shown === '' ? '' : `: ${shown}`}`;
  return JSON.stringify({ text });
}

/** Retry-After as delay-seconds or an HTTP date, in ms from nowMs; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - nowMs;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : undefined;
}

export class WebhookSink implements Sink {
  private readonly key: Buffer;
  private closing = new AbortController();
  /** Epoch ms before which the far side asked not to be called (Retry-After). */
  private notBeforeMs = 0;
  /** Between connect() and close(): send() before connect() rejects, as every sink's does. */
  private connected = false;
  /** The entry being retried: its id and when it first failed in this run (the outbox keeps the time across
   * restarts as the entry's firstFailedMs; the earlier of the two counts). */
  private failing: { id: string; sinceMs: number } | undefined;

  constructor(
    readonly id: string,
    private readonly config: WebhookSinkConfig,
    private readonly host: SinkHost,
    private readonly now: () => number = Date.now,
  ) {
    this.key = signingKey(config.secret.reveal());
  }

  /** Nothing to open; waits out a Retry-After the last failure asked for. */
  async connect(): Promise<void> {
    if (this.closing.signal.aborted) this.closing = new AbortController();
    const wait = this.notBeforeMs - this.now();
    if (wait > 0) await delay(wait, undefined, { signal: this.closing.signal });
    this.connected = true;
  }

  async send(entries: readonly OutboxEntry[]): Promise<void> {
    if (!this.connected) throw new SinkSendError(`webhook sink ${this.id} is not connected`, 0);
    for (const [index, entry] of entries.entries()) {
      try {
        await this.post(entry, index);
      } catch (err) {
        throw this.giveUpAfterRetryFor(err, entry, index);
      }
      if (this.failing?.id === entry.id) this.failing = undefined;
    }
  }

  /** A retryable failure of an entry that has failed for longer than retryFor becomes a permanent one. */
  private giveUpAfterRetryFor(err: unknown, entry: OutboxEntry, index: number): unknown {
    if (!(err instanceof SinkSendError)) return err;
    const now = this.now();
    if (this.failing?.id !== entry.id) this.failing = { id: entry.id, sinceMs: now };
    const sinceMs = Math.min(this.failing.sinceMs, entry.firstFailedMs ?? now);
    if (now - sinceMs < this.config.retryFor) return err;
    this.failing = undefined;
    return new PermanentSinkError(
      `${err.message}; gave up after ${this.config.retryFor} ms of retries`,
      index,
      {
        cause: err,
      },
    );
  }

  close(): Promise<void> {
    this.connected = false;
    this.closing.abort(new Error(`webhook sink ${this.id} closed`));
    return Promise.resolve();
  }

  private async post(entry: OutboxEntry, index: number): Promise<void> {
    const timestampS = Math.floor(this.now() / 1000);
    const body = bodyOf(this.config.format, entry.value);
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.config.timeout)]);
    let response: Response;
    try {
      response = await fetch(this.config.url, {
        method: 'POST',
        redirect: 'manual',
        signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'sluice-webhook',
          'webhook-id': entry.id,
          'webhook-timestamp': String(timestampS),
          'webhook-signature': sign(this.key, entry.id, timestampS, body),
        },
        body,
      });
      // Read the body so the connection can be reused; its content does not matter.
      await response.arrayBuffer();
    } catch (err) {
      const timedOut = (err as { name?: string }).name === 'TimeoutError';
      throw new SinkSendError(
        timedOut ? `no answer within ${this.config.timeout} ms` : 'request failed',
        index,
        undefined,
        { cause: err },
      );
    }
    const status = response.status;
    if (status >= 200 && status < 300) return;
    const reason = `HTTP ${status}`;
    if (status >= 300 && status < 400) {
      this.host.log.warn({ sink: this.id, status }, 'webhook answered with a redirect; not followed');
      throw new SinkSendError(`${reason}: redirects are not followed, fix the url`, index);
    }
    if (status === 429 || status >= 500) {
      const after = retryAfterMs(response.headers.get('retry-after'), this.now());
      if (after !== undefined) this.notBeforeMs = this.now() + after;
      throw new SinkSendError(reason, index, after);
    }
    throw new PermanentSinkError(reason, index);
  }
}
