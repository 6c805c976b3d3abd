// The API's routes. Every route declares its schemas (from schemas.ts): fastify validates requests with them,
// serializes responses from them, and @fastify/swagger turns them into the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Gateway } from '../app.js';
import { SluiceError } from '../errors.js';
import { registerAlertRoutes } from './alerts.js';
import type { EventStream } from './events.js';
import type { Metrics } from './metrics.js';
import {
  deadLettersBody,
  deadLettersQuery,
  errorBody,
  healthBody,
  idParam,
  jsonSchema,
  limitQuery,
  pipelinesBody,
  readyBody,
  reloadBody,
  reloadResult,
  resultsBody,
  statusBody,
} from './schemas.js';
import { buildStatus, type ReceiverRates } from './status.js';

export interface RouteContext {
  gateway: () => Gateway;
  reload: () => Promise<Gateway>;
  rates: ReceiverRates;
  events: EventStream;
  metrics: Metrics;
}

const errors = { '4xx': jsonSchema(errorBody), '5xx': jsonSchema(errorBody) };
const idParams = { type: 'object', properties: { id: jsonSchema(idParam, 'input') }, required: ['id'] };

function notFound(what: string, id: string, known: readonly string[]): SluiceError {
  return new SluiceError('SLUICE_API_NOT_FOUND', `no ${what} ${id}`, {
    hint: known.length === 0 ? `this config has no ${what}s` : `${what}s: ${known.join(', ')}`,
  });
}

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'The process is alive (no token needed).',
        tags: ['health'],
        security: [],
        response: { 200: jsonSchema(healthBody), ...errors },
      },
    },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary:
          'Ready: state recovered, receivers started, commits succeeding; 503 with the reason otherwise.',
        tags: ['health'],
        response: { 200: jsonSchema(readyBody), 503: jsonSchema(readyBody), ...errors },
      },
    },
    async (_request, reply) => {
      const s = ctx.gateway().status();
      let reason: string | undefined;
      if (s.phase !== 'ready')
        reason =
          s.phase === 'starting' ? 'recovering state and starting receivers' : `the gateway is ${s.phase}`;
      else if (s.commitError !== null) reason = `commits are failing: ${s.commitError}`;
      else if (s.intake.lastError !== null) reason = `the intake cannot write: ${s.intake.lastError}`;
      return reply
        .code(reason === undefined ? 200 : 503)
        .send({ ready: reason === undefined, phase: s.phase, ...(reason === undefined ? {} : { reason }) });
    },
  );

  app.get(
    '/api/v1/status',
    {
      schema: {
        summary: 'Gateway status: batches, receivers, sinks, intake, disk.',
        tags: ['status'],
        response: { 200: jsonSchema(statusBody), ...errors },
      },
    },
    () => buildStatus(ctx.gateway(), ctx.rates),
  );

  app.get(
    '/api/v1/pipelines',
    {
      schema: {
        summary: 'The pipelines of the running config.',
        tags: ['pipelines'],
        response: { 200: jsonSchema(pipelinesBody), ...errors },
      },
    },
    () => {
      const gateway = ctx.gateway();
      return {
        pipelines: Object.entries(gateway.config.pipelines).map(([id, p]) => ({
          id,
          from: p.from,
          to: p.to,
          where: p.where ?? null,
          key: p.key ?? null,
          window: {
            lengthMs: p.window.length,
            slideMs: p.window.slide,
            latenessMs: p.window.lateness,
            time: p.window.time,
          },
          aggregates: Object.keys(p.aggregate),
          resultsKept: gateway.results(id, Number.MAX_SAFE_INTEGER).length,
        })),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: z.infer<typeof limitQuery> }>(
    '/api/v1/pipelines/:id/results',
    {
      schema: {
        summary: 'A pipeline’s latest committed window results, newest first.',
        tags: ['pipelines'],
        params: idParams,
        querystring: jsonSchema(limitQuery, 'input'),
        response: { 200: jsonSchema(resultsBody), ...errors },
      },
    },
    (request) => {
      const gateway = ctx.gateway();
      const { id } = request.params;
      if (!Object.hasOwn(gateway.config.pipelines, id)) {
        throw notFound('pipeline', id, Object.keys(gateway.config.pipelines));
      }
      return { pipeline: id, results: gateway.results(id, request.query.limit) };
    },
  );

  app.get<{ Querystring: z.infer<typeof deadLettersQuery> }>(
    '/api/v1/dead-letters',
    {
      schema: {
        summary: 'Messages that could not become records, newest first.',
        tags: ['receivers'],
        querystring: jsonSchema(deadLettersQuery, 'input'),
        response: { 200: jsonSchema(deadLettersBody), ...errors },
      },
    },
    async (request) => {
      const gateway = ctx.gateway();
      const { receiver, limit } = request.query;
      if (receiver !== undefined && !Object.hasOwn(gateway.config.receivers, receiver)) {
        throw notFound('receiver', receiver, Object.keys(gateway.config.receivers));
      }
      return {
        deadLetters: await gateway.deadLetters({ ...(receiver === undefined ? {} : { receiver }), limit }),
      };
    },
  );

  app.post(
    '/api/v1/reload',
    {
      schema: {
        summary:
          'Reloads the config file, as SIGHUP does; an invalid config is refused (422) and the running one kept.',
        tags: ['control'],
        body: jsonSchema(reloadBody, 'input'),
        response: { 200: jsonSchema(reloadResult), ...errors },
      },
    },
    async () => {
      const next = await ctx.reload();
      return { reloaded: true, gateway: next.status().gateway };
    },
  );

  app.get(
    '/api/v1/events',
    {
      schema: {
        summary:
          'Server-sent events: hello, batch, receiver, sink, phase, alert (a transition, sent or silenced), silence (created, deleted, expired), heartbeat.',
        tags: ['status'],
        produces: ['text/event-stream'],
        response: {
          200: { type: 'string', description: 'An text/event-stream; each data line is JSON.' },
          ...errors,
        },
      },
    },
    (_request, reply) => {
      reply.hijack();
      ctx.events.add(reply.raw);
    },
  );

  registerAlertRoutes(app, ctx);

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format).',
        tags: ['status'],
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, ...errors },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/api/v1/openapi.json',
    {
      schema: {
        summary: 'This document (OpenAPI 3.1), generated from the route schemas.',
        tags: ['meta'],
        response: { 200: { type: 'object', additionalProperties: true }, ...errors },
      },
    },
    () => app.swagger(),
  );
}
