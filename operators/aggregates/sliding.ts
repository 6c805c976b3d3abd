// A FIFO of pane states whose combined aggregate costs amortized O(1) merges per push, evict and query, however
// many panes a sliding window spans: the two-stacks algorithm, which needs merge only (no inverse function).

import { describeValue, type Json, type Mergeable } from './aggregate.js';

/**
 * Sliding-window aggregation over panes, oldest first. Holds the newer panes as they came (`back`, with their
 * running merge) and the older ones as suffix merges (`front`, its top being the merge of every front pane),
 * so `query` is one merge; when `front` runs out, `evict` turns `back` into suffix merges, one merge per pane.
 * Per operation: push 1 merge, query 1, evict 1 amortized. Panes are merged oldest on the left, so
 * order-dependent aggregates (first/last ties) see records in arrival order.
 */
export class SlidingAggregator<P> {
  // A stack: front[i] merges the front.length − i newest panes of front, so its top merges all of them.
  private front: P[] = [];
  private back: P[] = [];
  private backMerged: P;

  constructor(private readonly agg: Mergeable<P>) {
    this.backMerged = agg.init();
  }

  /** How many panes the window holds. */
  get size(): number {
    return this.front.length + this.back.length;
  }

  /** Appends the newest pane. The aggregator owns `pane` from now on: do not mutate it (no more `add`). */
  push(pane: P): void {
    this.back.push(pane);
    this.backMerged = this.agg.merge(this.backMerged, pane);
  }

  /** Drops the oldest pane; throws when there is none. */
  evict(): void {
    if (this.front.length === 0) this.flip();
    if (this.front.pop() === undefined) throw new Error('SlidingAggregator.evict: the window holds no pane');
  }

  /** A NEW state merging every pane, oldest first (`init()` when there is none); the caller may mutate it. */
  query(): P {
    return this.agg.merge(this.front.at(-1) ?? this.agg.init(), this.backMerged);
  }

  /** `{ v: 1, front: [...], back: [...] }`: the stacks as they are, so restoring costs no re-merging of front. */
  toJSON(): Json {
    return {
      v: 1,
      front: this.front.map((p) => this.agg.toJSON(p)),
      back: this.back.map((p) => this.agg.toJSON(p)),
    };
  }

  /** Inverse of `toJSON` for the same aggregate; throws naming what is wrong. */
  static fromJSON<P>(agg: Mergeable<P>, j: unknown): SlidingAggregator<P> {
    const o = typeof j === 'object' && j !== null ? (j as Record<string, unknown>) : {};
    if (o.v !== 1 || !Array.isArray(o.front) || !Array.isArray(o.back)) {
      throw new Error(
        `sliding window state: expected { v: 1, front: [...], back: [...] }, got ${describeValue(j)}`,
      );
    }
    const out = new SlidingAggregator(agg);
    out.front = (o.front as unknown[]).map((p) => agg.fromJSON(p));
    for (const p of o.back as unknown[]) out.push(agg.fromJSON(p));
    return out;
  }

  // Moves every back pane to front as suffix merges, newest first, leaving the oldest on top.
  private flip(): void {
    let acc: P | undefined;
    for (let i = this.back.length - 1; i >= 0; i--) {
      const pane = this.back[i] as P;
      acc = acc === undefined ? pane : this.agg.merge(pane, acc);
      this.front.push(acc);
    }
    this.back = [];
    this.backMerged = this.agg.init();
  }
}
