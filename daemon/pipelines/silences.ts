// Silences: "do not notify about this alert (or this key of it) until then". Kept in the state store's meta
// sublevel, so a restart or a reload keeps them; they expire by the daemon's clock. A silence mutes
// notifications only: the rule's state machine runs on (see operators/alerts, `silenced`).
import { randomUUID } from 'node:crypto';
import { SluiceError } from '../errors.js';
import type { Store } from '../store/store.js';

export interface Silence {
  /** A UUID, made here. */
  id: string;
  /** The alert rule's id. */
  alert: string;
  /** One key of the rule, or null for all its keys. */
  key: string | null;
  comment: string | null;
  /** When it was made, epoch ms: it applies to batches from then on. */
  createdMs: number;
  /** When it ends, epoch ms (exclusive). */
  expiresMs: number;
}

export interface SilenceSpec {
  alert: string;
  key?: string | undefined;
  comment?: string | undefined;
  durationMs: number;
}

const PREFIX = 'silence/';
export const SILENCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isSilence(value: unknown): value is Silence {
  const s = value as Partial<Silence> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.id === 'string' &&
    SILENCE_ID.test(s.id) &&
    typeof s.alert === 'string' &&
    (s.key === null || typeof s.key === 'string') &&
    (s.comment === null || typeof s.comment === 'string') &&
    typeof s.createdMs === 'number' &&
    typeof s.expiresMs === 'number'
  );
}

export class Silences {
  private readonly byId = new Map<string, Silence>();
  /** Notifications each silence held back since start (in memory: a count for people, not for replay). */
  private readonly held = new Map<string, number>();
  private store: Store | undefined;

  /** now: the daemon's clock (epoch ms). Default: Date.now. */
  constructor(private readonly now: () => number = Date.now) {}

  /** Loads the stored silences; expired ones are deleted. */
  async open(store: Store): Promise<void> {
    this.store = store;
    const expired: string[] = [];
    for await (const [key, value] of store.meta.iterator({ gte: PREFIX, lt: `${PREFIX}~` })) {
      // Something this version cannot read is dropped rather than trusted.
      if (!isSilence(value) || value.expiresMs <= this.now()) expired.push(key);
      else this.byId.set(value.id, value);
    }
    if (expired.length > 0) {
      await store.write(expired.map((key) => ({ type: 'del' as const, sublevel: store.meta, key })));
    }
  }

  /** Makes a silence and stores it durably before it resolves. */
  async add(spec: SilenceSpec): Promise<Silence> {
    const createdMs = this.now();
    const silence: Silence = {
      id: randomUUID(),
      alert: spec.alert,
      key: spec.key ?? null,
      comment: spec.comment ?? null,
      createdMs,
      expiresMs: createdMs + spec.durationMs,
    };
    await this.write([{ type: 'put', key: PREFIX + silence.id, value: silence }]);
    this.byId.set(silence.id, silence);
    return silence;
  }

  /** Deletes a silence; undefined when there is none with that id (or it expired). */
  async remove(id: string): Promise<Silence | undefined> {
    const silence = this.byId.get(id);
    if (silence === undefined || silence.expiresMs <= this.now()) return undefined;
    await this.write([{ type: 'del', key: PREFIX + id }]);
    this.byId.delete(id);
    this.held.delete(id);
    return silence;
  }

  /** The silences in force now, soonest to expire first. */
  active(): (Silence & { suppressed: number })[] {
    const now = this.now();
    return [...this.byId.values()]
      .filter((s) => s.expiresMs > now)
      .sort((a, b) => a.expiresMs - b.expiresMs || a.createdMs - b.createdMs)
      .map((s) => ({ ...s, suppressed: this.held.get(s.id) ?? 0 }));
  }

  /** The silence covering a key of an alert at batch time atMs (the longest-lasting one), if any. */
  match(alert: string, key: string, atMs: number): Silence | undefined {
    let found: Silence | undefined;
    for (const s of this.byId.values()) {
      if (s.alert !== alert || (s.key !== null && s.key !== key)) continue;
      if (atMs < s.createdMs || atMs >= s.expiresMs) continue;
      if (found === undefined || s.expiresMs > found.expiresMs) found = s;
    }
    return found;
  }

  /** When the silence covering a key of an alert now ends, or null when none does. */
  silencedUntil(alert: string, key: string): number | null {
    return this.match(alert, key, this.now())?.expiresMs ?? null;
  }

  /** Counts a notification a silence held back. */
  count(id: string): void {
    this.held.set(id, (this.held.get(id) ?? 0) + 1);
  }

  /** Deletes the silences that have expired; returns them. */
  async prune(): Promise<Silence[]> {
    const now = this.now();
    const expired = [...this.byId.values()].filter((s) => s.expiresMs <= now);
    if (expired.length === 0) return [];
    for (const s of expired) {
      this.byId.delete(s.id);
      this.held.delete(s.id);
    }
    await this.write(expired.map((s) => ({ type: 'del' as const, key: PREFIX + s.id })));
    return expired;
  }

  private async write(
    ops: ({ type: 'put'; key: string; value: Silence } | { type: 'del'; key: string })[],
  ): Promise<void> {
    const store = this.store;
    if (store === undefined) {
      throw new SluiceError(
        'SLUICE_API_UNAVAILABLE',
        'the gateway is still starting: silences are not loaded yet',
      );
    }
    await store.write(ops.map((op) => ({ ...op, sublevel: store.meta })));
  }
}
