// Checks that span sections: a pipeline's `from` names receivers and its `to` names sinks that exist,
// processing-time windows fit the batch interval, a non-loopback API has a token. Each piece is parsed on its
// own, so these checks still run (and report) when an unrelated part of the config is invalid.
import type { z } from 'zod';
import type { RawIssue } from './issues.js';
import { apiSchema, batchSchema } from './schema.js';
import { idListSchema } from './common-schemas.js';
import { didYouMean } from './suggest.js';
import { conditionNames } from '../../operators/alerts/index.js';
import { declaredVariables } from '../../operators/expressions/index.js';
import { durationSchema, formatDuration } from './units.js';

export function crossCheck(input: unknown): RawIssue[] {
  const root = isRecord(input) ? input : {};
  const issues: RawIssue[] = [];
  const receiverIds = Object.keys(isRecord(root.receivers) ? root.receivers : {});
  const sinkIds = Object.keys(isRecord(root.sinks) ? root.sinks : {});
  const batch = parsed(batchSchema, root.batch ?? {});

  for (const [id, pipeline] of Object.entries(isRecord(root.pipelines) ? root.pipelines : {})) {
    if (!isRecord(pipeline)) continue;
    const base = ['pipelines', id];
    issues.push(...references([...base, 'from'], pipeline.from, receiverIds, 'receiver'));
    issues.push(...references([...base, 'to'], pipeline.to, sinkIds, 'sink'));
    issues.push(...batchMultiples([...base, 'window'], pipeline.window, batch?.interval));
  }

  const pipelines = isRecord(root.pipelines) ? root.pipelines : {};
  for (const [id, alert] of Object.entries(isRecord(root.alerts) ? root.alerts : {})) {
    if (isRecord(alert)) issues.push(...alertChecks(['alerts', id], alert, pipelines, receiverIds, sinkIds));
  }

  const api = parsed(apiSchema, root.api ?? {});
  if (api !== undefined && api.token === undefined && !isLoopback(api.bind)) {
    issues.push({
      code: 'SLUICE_CONFIG_INVALID',
      path: ['api', 'token'],
      message: 'an API reachable from the network needs a token',
      hint: 'add token: ${SLUICE_API_TOKEN} (a long random string), or bind to 127.0.0.1',
      target: 'key',
    });
  }
  return issues;
}

/**
 * Processing-time windows advance with the batches, so length and slide must be whole numbers of batches. Each
 * field is parsed on its own so that an unrelated window error does not hide this one.
 */
function batchMultiples(
  path: readonly PropertyKey[],
  window: unknown,
  interval: number | undefined,
): RawIssue[] {
  if (!isRecord(window) || window.time !== 'processing' || interval === undefined) return [];
  const length = parsed(durationSchema, window.length);
  const slide = window.slide === undefined ? length : parsed(durationSchema, window.slide);
  const issues: RawIssue[] = [];
  for (const [key, value] of [
    ['length', length],
    ['slide', window.slide === undefined ? undefined : slide],
  ] as const) {
    if (value === undefined || value <= 0 || value % interval === 0) continue;
    issues.push({
      code: 'SLUICE_CONFIG_INVALID',
      path: [...path, key],
      message: `a processing-time window ${key} must be a multiple of the batch interval (${formatDuration(interval)}); this one is ${formatDuration(value)}`,
      hint: `use e.g. ${formatDuration(nearestMultiple(value, interval, key === 'slide' ? length : undefined))}, or change batch.interval`,
    });
  }
  return issues;
}

/** The multiple of `interval` nearest to `value` that also divides `length` (when given and possible). */
function nearestMultiple(value: number, interval: number, length: number | undefined): number {
  const candidates: number[] = [];
  const middle = Math.max(1, Math.round(value / interval));
  for (let k = Math.max(1, middle - 100); k <= middle + 100; k++) {
    if (length === undefined || length % (k * interval) === 0) candidates.push(k * interval);
  }
  const pool = candidates.length > 0 ? candidates : [Math.max(1, Math.round(value / interval)) * interval];
  return pool.reduce((best, c) => (Math.abs(c - value) < Math.abs(best - value) ? c : best));
}

/** Checks each id in a `from`/`to` list against the ids defined; unparseable lists are the schema's to report. */
function references(
  path: readonly PropertyKey[],
  list: unknown,
  defined: readonly string[],
  kind: string,
): RawIssue[] {
  const ids = parsed(idListSchema, list);
  if (ids === undefined) return [];
  const issues: RawIssue[] = [];
  ids.forEach((id, index) => {
    if (ids.indexOf(id) !== index) {
      issues.push({
        code: 'SLUICE_CONFIG_INVALID',
        path: [...path, index],
        message: `${kind} listed twice`,
        hint: 'remove the repetition',
        got: id,
      });
      return;
    }
    if (defined.includes(id)) return;
    const suggestion = didYouMean(id, defined);
    const hint =
      defined.length === 0
        ? `define it under ${kind}s:`
        : `${suggestion === undefined ? '' : `did you mean ${suggestion}? `}${kind}s defined: ${defined.join(', ')}`;
    issues.push({
      code: 'SLUICE_CONFIG_INVALID',
      path: [...path, index],
      message: `no ${kind} with this id`,
      hint,
      got: id,
    });
  });
  return issues;
}

/**
 * An alert's `from` names a pipeline or a receiver, its `notify` names sinks, and for a pipeline its conditions
 * read only the pipeline's output names (window results have no other fields): a typo there is a config error.
 */
function alertChecks(
  path: readonly PropertyKey[],
  alert: Record<string, unknown>,
  pipelines: Record<string, unknown>,
  receiverIds: readonly string[],
  sinkIds: readonly string[],
): RawIssue[] {
  const issues = references([...path, 'notify'], alert.notify, sinkIds, 'sink');
  const from = typeof alert.from === 'string' ? alert.from : undefined;
  if (from === undefined) return issues;
  const pipelineIds = Object.keys(pipelines);
  if (!pipelineIds.includes(from) && !receiverIds.includes(from)) {
    const known = [...pipelineIds, ...receiverIds];
    const suggestion = didYouMean(from, known);
    issues.push({
      code: 'SLUICE_CONFIG_INVALID',
      path: [...path, 'from'],
      message: 'no pipeline or receiver with this id',
      hint:
        known.length === 0
          ? 'define a pipeline under pipelines: or a receiver under receivers:'
          : `${suggestion === undefined ? '' : `did you mean ${suggestion}? `}defined: ${known.join(', ')}`,
      got: from,
    });
    return issues;
  }
  const pipeline = pipelines[from];
  if (!isRecord(pipeline) || !isRecord(pipeline.aggregate)) return issues;
  const names = Object.keys(pipeline.aggregate);
  const inScope = new Set([...names, ...declaredVariables.map((v) => v.name)]);
  for (const key of ['when', 'clear'] as const) {
    const source = alert[key];
    if (typeof source !== 'string') continue;
    for (const { name, offset } of conditionNames(source)) {
      if (inScope.has(name)) continue;
      const suggestion = didYouMean(name, names);
      issues.push({
        code: 'SLUICE_EXPRESSION_INVALID',
        path: [...path, key],
        message: `pipeline ${from} has no value named ${name}`,
        hint: `${suggestion === undefined ? '' : `did you mean ${suggestion}? `}its values: ${names.join(', ')}`,
        expressionOffset: offset,
      });
    }
  }
  return issues;
}

function parsed<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** Loopback addresses: 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
