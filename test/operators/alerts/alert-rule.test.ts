// Alert rules with a manual clock, as tables: input batches of keyed values at record times, the notifications
// expected per batch to the millisecond; and a restart (checkpoint, JSON, restore into a new graph) at every
// batch gives the same notifications as the uninterrupted run. Silences (by batch time) mute notifications,
// never the state machine.
import { describe, expect, test } from 'vitest';
import {
  alertRule,
  type AlertHistoryEntry,
  type AlertInput,
  type AlertRuleOptions,
  type AlertRuleView,
  type AlertNotification,
  type AlertRuleSpec,
} from '../../../operators/alerts/index.js';
import { ManualClock, StreamingContext, type Checkpoint } from '../../../operators/index.js';

const BATCH = 1000;

type Row = readonly [key: string, timeMs: number, values: Record<string, unknown>];
/** One batch's input rows; batch i runs at (i+1)·BATCH. */
type Batches = readonly (readonly Row[])[];

/** A notification, shortened to what a table states: status, key, startsAt, endsAt. */
type Short = string;

function short(n: AlertNotification): Short {
  return `${n.status} ${n.key} @${n.startsAt}${n.endsAt === undefined ? '' : `-${n.endsAt}`}`;
}

/** A silence over batch times [from, until), of one key or (without key) all. */
interface Silence {
  key?: string;
  from: number;
  until: number;
}

const silencedBy =
  (silences: readonly Silence[]) =>
  (key: string, atMs: number): boolean =>
    silences.some((s) => (s.key === undefined || s.key === key) && atMs >= s.from && atMs < s.until);

function build(rule: AlertRuleSpec, batches: Batches, from = 0, options: AlertRuleOptions = {}) {
  const ctx = new StreamingContext({ batchIntervalMs: BATCH, clock: new ManualClock(from * BATCH) });
  const input = ctx.inputStream<[string, AlertInput]>((t) =>
    (batches[t / BATCH - 1] ?? []).map(([key, timeMs, values]) => [key, { timeMs, values }]),
  );
  const out: AlertNotification[][] = [];
  let view: AlertRuleView | undefined;
  alertRule(input, rule, {
    ...options,
    expose: (v) => {
      view = v;
    },
  })
    .named(`alert/${rule.id}`)
    .foreachBatch((items) => {
      out.push([...items]);
    });
  if (view === undefined) throw new Error('alertRule did not expose its view');
  return { ctx, out, view };
}

/** Runs all batches; with restartAt, checkpoints after that many batches and continues in a fresh graph. */
async function runWithView(
  rule: AlertRuleSpec,
  batches: Batches,
  restartAt?: number,
  options: AlertRuleOptions = {},
): Promise<{ out: AlertNotification[][]; view: AlertRuleView }> {
  const first = build(rule, batches, 0, options);
  first.ctx.start({ zeroTimeMs: 0 });
  if (restartAt === undefined) {
    await first.ctx.runBatches(batches.length);
    return first;
  }
  await first.ctx.runBatches(restartAt);
  const saved = JSON.parse(JSON.stringify(first.ctx.checkpoint())) as Checkpoint;
  const second = build(rule, batches, restartAt, options);
  const report = second.ctx.restore(saved);
  expect(report.restored).toEqual([`alert/${rule.id}`]);
  await second.ctx.runBatches(batches.length - restartAt);
  return { out: [...first.out, ...second.out], view: second.view };
}

async function run(
  rule: AlertRuleSpec,
  batches: Batches,
  restartAt?: number,
  options: AlertRuleOptions = {},
): Promise<AlertNotification[][]> {
  return (await runWithView(rule, batches, restartAt, options)).out;
}

const base = { id: 'overheat', gateway: 'gw' } as const;
const hot = (k: string, t: number, temp: number): Row => [k, t, { temp_max: temp }];

interface Case {
  name: string;
  rule: Partial<AlertRuleSpec>;
  batches: Batches;
  expected: readonly (readonly Short[])[];
  /** Silences by batch time (batch i runs at (i+1)·BATCH). Default: none. */
  silences?: readonly Silence[];
}

const cases: Case[] = [
  {
    name: 'fires at once without for, resolves when the condition stops holding',
    rule: { when: 'temp_max > 40.0' },
    batches: [[hot('a', 500, 39)], [hot('a', 1500, 41)], [hot('a', 2500, 42)], [hot('a', 3500, 30)]],
    expected: [[], ['firing a @1500'], [], ['resolved a @1500-3500']],
  },
  {
    name: 'fires only once the condition has held for `for`, measured in record time',
    rule: { when: 'temp_max > 40.0', forMs: 2000 },
    batches: [[hot('a', 1000, 41)], [hot('a', 2000, 41)], [hot('a', 3000, 41)], [hot('a', 4000, 41)]],
    expected: [[], [], ['firing a @3000'], []],
  },
  {
    name: 'a pending alert that stops holding goes back to inactive, and `for` starts over',
    rule: { when: 'temp_max > 40.0', forMs: 2000 },
    batches: [
      [hot('a', 1000, 41)],
      [hot('a', 2000, 41)],
      [hot('a', 2500, 35)],
      [hot('a', 3500, 41)],
      [hot('a', 4500, 41)],
      [hot('a', 5500, 41)],
    ],
    expected: [[], [], [], [], [], ['firing a @5500']],
  },
  {
    name: 'hysteresis: stays firing between clear and when, resolves on clear',
    rule: { when: 'temp_max > 40.0', clear: 'temp_max < 38.0' },
    batches: [[hot('a', 1000, 41)], [hot('a', 2000, 39)], [hot('a', 3000, 40.5)], [hot('a', 4000, 37)]],
    expected: [['firing a @1000'], [], [], ['resolved a @1000-4000']],
  },
  {
    name: 'repeat re-notifies while firing, with the same startsAt',
    rule: { when: 'temp_max > 40.0', repeatMs: 2000 },
    batches: [
      [hot('a', 1000, 41)],
      [hot('a', 2000, 41)],
      [hot('a', 3000, 41)],
      [hot('a', 4000, 41)],
      [hot('a', 5000, 41)],
      [hot('a', 6000, 20)],
    ],
    expected: [['firing a @1000'], [], ['firing a @1000'], [], ['firing a @1000'], ['resolved a @1000-6000']],
  },
  {
    name: 'keys are independent, and a batch is taken in record time order',
    rule: { when: 'temp_max > 40.0' },
    batches: [[hot('b', 900, 41), hot('a', 800, 41), hot('a', 700, 10)], [hot('b', 1900, 10)]],
    expected: [['firing a @800', 'firing b @900'], ['resolved b @900-1900']],
  },
  {
    name: 'a value the condition cannot read (null) changes nothing',
    rule: { when: 'temp_max > 40.0' },
    batches: [[hot('a', 1000, 41)], [['a', 2000, { temp_max: null }]], [hot('a', 3000, 10)]],
    expected: [['firing a @1000'], [], ['resolved a @1000-3000']],
  },
  {
    name: 'absent: a key silent for `absent` (batch time) fires, and resolves when it sends again',
    rule: { absentMs: 2000 },
    batches: [[hot('a', 100, 20), hot('b', 200, 20)], [hot('b', 1200, 20)], [], [], [hot('a', 4500, 20)], []],
    expected: [[], [], ['firing a @3000'], ['firing b @4000'], ['resolved a @3000-5000'], []],
  },
  {
    name: 'absent with repeat re-notifies while silent; never-seen keys do not fire',
    rule: { absentMs: 1000, repeatMs: 2000 },
    batches: [[hot('a', 100, 20)], [], [], [], [], [hot('a', 5100, 20)]],
    expected: [[], ['firing a @2000'], [], ['firing a @2000'], [], ['resolved a @2000-6000']],
  },
  {
    name: 'silenced: a firing that was never sent resolves without a notification',
    rule: { when: 'temp_max > 40.0' },
    silences: [{ key: 'a', from: 0, until: 10_000 }],
    batches: [
      [hot('a', 500, 41), hot('b', 600, 41)],
      [hot('a', 1500, 30), hot('b', 1600, 30)],
    ],
    expected: [['firing b @600'], ['resolved b @600-1600']],
  },
  {
    name: 'silenced: the state machine runs on, and a firing alert is notified once the silence ends',
    rule: { when: 'temp_max > 40.0', forMs: 1000 },
    silences: [{ from: 1000, until: 3000 }],
    batches: [[hot('a', 500, 41)], [hot('a', 1500, 41)], [hot('a', 2500, 41)], [hot('a', 3500, 30)]],
    expected: [[], [], ['firing a @1500'], ['resolved a @1500-3500']],
  },
  {
    name: 'silenced: repeats are muted, and the resolve of a firing that was sent still goes out',
    rule: { when: 'temp_max > 40.0', repeatMs: 1000 },
    silences: [{ key: 'a', from: 2000, until: 10_000 }],
    batches: [[hot('a', 500, 41)], [hot('a', 1500, 41)], [hot('a', 2500, 41)], [hot('a', 3500, 30)]],
    expected: [['firing a @500'], [], [], ['resolved a @500-3500']],
  },
  {
    name: 'silenced: an absence fires silently and is notified when the silence ends',
    rule: { absentMs: 1000 },
    silences: [{ key: 'a', from: 0, until: 4000 }],
    batches: [[hot('a', 100, 20)], [], [], [], []],
    expected: [[], [], [], ['firing a @2000'], []],
  },
];

describe('alertRule', () => {
  test.each(cases)('$name', async ({ rule, batches, expected, silences = [] }) => {
    const out = await run({ ...base, ...rule }, batches, undefined, { silenced: silencedBy(silences) });
    expect(out.map((batch) => batch.map(short))).toEqual(expected);
  });

  test.each(cases)(
    'a restart at any batch gives the same notifications and history: $name',
    async ({ rule, batches, silences = [] }) => {
      const spec = { ...base, ...rule };
      const options = { silenced: silencedBy(silences) };
      const straight = await runWithView(spec, batches, undefined, options);
      for (let at = 1; at < batches.length; at++) {
        const restarted = await runWithView(spec, batches, at, options);
        expect(restarted.out, `restart after batch ${at}`).toEqual(straight.out);
        expect(restarted.view.history(), `history, restart after batch ${at}`).toEqual(
          straight.view.history(),
        );
        expect(restarted.view.suppressed()).toBe(straight.view.suppressed());
      }
    },
  );

  test('keeps a bounded history of what it decided, silenced or sent, and counts the silenced', async () => {
    const entries: AlertHistoryEntry[] = [];
    const { view } = await runWithView(
      { ...base, when: 'temp_max > 40.0', repeatMs: 1000 },
      [[hot('a', 500, 41)], [hot('a', 1500, 42)], [hot('a', 2500, 43)], [hot('a', 3500, 30)]],
      undefined,
      {
        silenced: silencedBy([{ from: 2000, until: 3000 }]),
        historyKept: 3,
        onTransition: (e) => entries.push(e),
      },
    );
    const brief = (e: AlertHistoryEntry): string => `${e.reason} ${e.status} ${e.key} silenced=${e.silenced}`;
    expect(entries.map(brief)).toEqual([
      'transition firing a silenced=false',
      'repeat firing a silenced=true',
      'repeat firing a silenced=false',
      'transition resolved a silenced=false',
    ]);
    expect(entries[1]).toMatchObject({
      id: 'gw/overheat/a/500/firing/1500',
      atMs: 2000,
      startsAt: 500,
      values: { temp_max: 42 },
    });
    expect(view.history().map(brief)).toEqual(entries.slice(1).map(brief));
    expect(view.suppressed()).toBe(1);
    expect(view.instances()).toEqual([]);
  });

  test('shows pending and firing keys with their values, and whether the firing was notified', async () => {
    const { view } = await runWithView(
      { ...base, when: 'temp_max > 40.0', forMs: 1000 },
      [[hot('a', 500, 41), hot('b', 600, 41)], [hot('a', 1500, 45)]],
      undefined,
      { silenced: silencedBy([{ key: 'a', from: 0, until: 10_000 }]) },
    );
    expect(view.instances()).toEqual([
      { key: 'a', state: 'firing', sinceMs: 1500, values: { temp_max: 45 }, notified: false, suppressed: 1 },
      { key: 'b', state: 'pending', sinceMs: 600, values: { temp_max: 41 }, notified: false, suppressed: 0 },
    ]);
  });

  test('restores a checkpoint written before silences: what was firing counts as notified', async () => {
    const rule = { ...base, when: 'temp_max > 40.0' };
    const batches: Batches = [[hot('a', 500, 41)], [hot('a', 1500, 30)]];
    const first = build(rule, batches);
    first.ctx.start({ zeroTimeMs: 0 });
    await first.ctx.runBatches(1);
    const saved = JSON.parse(JSON.stringify(first.ctx.checkpoint())) as Checkpoint;
    // Strip what silences added, as an older version wrote it.
    for (const op of Object.values(saved.operators) as { state: Record<string, unknown> }[]) {
      const snap = op.state as { conditions: [string, Record<string, unknown>][] };
      delete op.state.history;
      delete op.state.suppressed;
      for (const [, c] of snap.conditions) {
        delete c.values;
        delete c.delivered;
        delete c.suppressed;
      }
    }
    const second = build(rule, batches, 1);
    second.ctx.restore(saved);
    await second.ctx.runBatches(1);
    expect(second.out.flat().map(short)).toEqual(['resolved a @500-1500']);
    expect(second.view.history().map((e) => e.status)).toEqual(['resolved']);
  });

  test('notifications carry deterministic ids, severity, labels and the values that caused them', async () => {
    const out = await run(
      {
        ...base,
        when: 'temp_max > 40.0',
        repeatMs: 1000,
        severity: 'critical',
        labels: { site: 'greenhouse-7' },
      },
      [[hot('t-1', 1000, 41)], [hot('t-1', 2000, 42)], [hot('t-1', 3000, 20)]],
    );
    expect(out.flat()).toEqual([
      {
        id: 'gw/overheat/t-1/1000/firing',
        alert: 'overheat',
        status: 'firing',
        severity: 'critical',
        key: 't-1',
        labels: { site: 'greenhouse-7' },
        values: { temp_max: 41 },
        startsAt: 1000,
        gateway: 'gw',
      },
      expect.objectContaining({ id: 'gw/overheat/t-1/1000/firing/2000', values: { temp_max: 42 } }),
      expect.objectContaining({
        id: 'gw/overheat/t-1/1000/resolved',
        status: 'resolved',
        startsAt: 1000,
        endsAt: 3000,
        values: { temp_max: 20 },
      }),
    ]);
  });

  test('a restart in the middle of pending keeps the time the condition started holding', async () => {
    const rule = { ...base, when: 'temp_max > 40.0', forMs: 3000 };
    const batches: Batches = [
      [hot('a', 1000, 41)],
      [hot('a', 2000, 41)],
      [hot('a', 3000, 41)],
      [hot('a', 4000, 41)],
    ];
    const out = await run(rule, batches, 2);
    expect(out.map((b) => b.map(short))).toEqual([[], [], [], ['firing a @4000']]);
  });

  test('a rule needs exactly one of when and absent, and a condition that compiles', () => {
    const ctx = new StreamingContext({ batchIntervalMs: BATCH });
    const input = ctx.inputStream<[string, AlertInput]>(() => []);
    expect(() => alertRule(input, { ...base })).toThrow(/either a condition/);
    expect(() => alertRule(input, { ...base, when: 'a > 1.0', absentMs: 1000 })).toThrow(/not both/);
    expect(() => alertRule(input, { ...base, when: 'temp_max = 40' })).toThrow(/alert overheat/);
  });
});
