// The alert routes: the rules with their live instances and recent history, silences (make, list, delete),
// and the recent batches the dashboard's charts start from.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseDuration } from '../config/units.js';
import { SluiceError } from '../errors.js';
import type { RouteContext } from './routes.js';
import {
  alertsBody,
  alertsQuery,
  batchesBody,
  errorBody,
  idParam,
  jsonSchema,
  silenceBody,
  silenceIdParam,
  silenceResult,
  silencesBody,
} from './schemas.js';

type AlertsBody = z.infer<typeof alertsBody>;

const batchesQuery = z.object({
  limit: z.number().int().min(1).max(1000).default(100).describe('At most this many, newest. Default: 100.'),
});

const errors = { '4xx': jsonSchema(errorBody), '5xx': jsonSchema(errorBody) };
const MAX_SILENCE_MS = 90 * 24 * 3600 * 1000;

export function registerAlertRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: z.infer<typeof alertsQuery> }>(
    '/api/v1/alerts',
    {
      schema: {
        summary: 'Every alert rule with its pending and firing keys, its recent history, and the silences.',
        tags: ['alerts'],
        querystring: jsonSchema(alertsQuery, 'input'),
        response: { 200: jsonSchema(alertsBody), ...errors },
      },
    },
    (request): AlertsBody => {
      const gateway = ctx.gateway();
      const board = gateway.alertBoard;
      const silences = board.silences.active();
      const alerts = Object.entries(gateway.config.alerts).map(([id, rule]) => {
        const view = board.view(id);
        const instances = (view?.instances() ?? [])
          .map((i) => ({ ...i, silencedUntilMs: board.silences.silencedUntil(id, i.key) }))
          .sort((a, b) => (a.state === b.state ? a.sinceMs - b.sinceMs : a.state === 'firing' ? -1 : 1));
        const limit = request.query.history;
        const history = limit === 0 ? [] : (view?.history() ?? []).slice(-limit).reverse();
        return {
          id,
          from: rule.from,
          severity: rule.severity,
          when: rule.when ?? null,
          clear: rule.clear ?? null,
          forMs: rule.for ?? null,
          absentMs: rule.absent ?? null,
          repeatMs: rule.repeat ?? null,
          notify: rule.notify,
          labels: { ...(gateway.config.gateway.labels ?? {}), ...(rule.labels ?? {}) },
          firing: instances.filter((i) => i.state === 'firing').length,
          pending: instances.filter((i) => i.state === 'pending').length,
          suppressed: view?.suppressed() ?? 0,
          instances,
          history: history.map(({ alert: _alert, ...entry }) => entry),
        };
      });
      return { alerts, silences };
    },
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof silenceBody> }>(
    '/api/v1/alerts/:id/silence',
    {
      schema: {
        summary:
          'Silences an alert (or one key of it) for a duration: its notifications are held back, its state still changes.',
        tags: ['alerts'],
        params: {
          type: 'object',
          properties: { id: jsonSchema(idParam, 'input') },
          required: ['id'],
        },
        body: jsonSchema(silenceBody, 'input'),
        response: { 201: jsonSchema(silenceResult), ...errors },
      },
    },
    async (request, reply) => {
      const gateway = ctx.gateway();
      const { id } = request.params;
      if (!Object.hasOwn(gateway.config.alerts, id)) {
        const known = Object.keys(gateway.config.alerts);
        throw new SluiceError('SLUICE_API_NOT_FOUND', `no alert ${id}`, {
          hint: known.length === 0 ? 'this config has no alerts' : `alerts: ${known.join(', ')}`,
        });
      }
      const { duration, key, comment } = request.body;
      const parsed = parseDuration(duration);
      if (!parsed.ok) {
        throw new SluiceError('SLUICE_API_BAD_REQUEST', `duration: ${parsed.message}`, { hint: parsed.hint });
      }
      if (parsed.value <= 0 || parsed.value > MAX_SILENCE_MS) {
        throw new SluiceError('SLUICE_API_BAD_REQUEST', 'duration: must be longer than 0 and at most 90d', {
          hint: 'e.g. 30m, 2h or 1d',
        });
      }
      const made = await gateway.alertBoard.silences.add({
        alert: id,
        key,
        comment,
        durationMs: parsed.value,
      });
      gateway.silenceChanged('created', made);
      return reply.code(201).send({ silence: { ...made, suppressed: 0 } });
    },
  );

  app.get(
    '/api/v1/silences',
    {
      schema: {
        summary: 'The silences in force, soonest to expire first.',
        tags: ['alerts'],
        response: { 200: jsonSchema(silencesBody), ...errors },
      },
    },
    () => ({ silences: ctx.gateway().alertBoard.silences.active() }),
  );

  app.delete<{ Params: { silenceId: string } }>(
    '/api/v1/silences/:silenceId',
    {
      schema: {
        summary: 'Ends a silence now.',
        tags: ['alerts'],
        params: {
          type: 'object',
          properties: { silenceId: jsonSchema(silenceIdParam, 'input') },
          required: ['silenceId'],
        },
        response: { 200: jsonSchema(silenceResult), ...errors },
      },
    },
    async (request) => {
      const gateway = ctx.gateway();
      const { silenceId } = request.params;
      const removed = await gateway.alertBoard.silences.remove(silenceId);
      if (removed === undefined) {
        throw new SluiceError('SLUICE_API_NOT_FOUND', `no silence ${silenceId}`, {
          hint: 'it may have expired: GET /api/v1/silences lists those in force',
        });
      }
      gateway.silenceChanged('deleted', removed);
      return { silence: { ...removed, suppressed: 0 } };
    },
  );

  app.get<{ Querystring: z.infer<typeof batchesQuery> }>(
    '/api/v1/batches',
    {
      schema: {
        summary: 'The last batches’ statistics, oldest first: what the dashboard’s charts start from.',
        tags: ['status'],
        querystring: jsonSchema(batchesQuery, 'input'),
        response: { 200: jsonSchema(batchesBody), ...errors },
      },
    },
    (request) => {
      const gateway = ctx.gateway();
      return {
        intervalMs: gateway.config.batch.interval,
        batches: gateway.status().batches.slice(-request.query.limit),
      };
    },
  );
}
