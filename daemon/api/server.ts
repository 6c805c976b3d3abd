// The local REST API (fastify 5): health and readiness, status, pipelines and their latest results, dead
// letters, reload, server-sent events, Prometheus metrics and the OpenAPI document. Loopback by default; with a
// token every request but /healthz needs `Authorization: Bearer …`. Errors are JSON `{ error, message, hint }`
// and never carry a stack trace.
import { createHash, timingSafeEqual } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { Gateway } from '../app.js';
import { isLoopback } from '../config/cross-check.js';
import type { ApiConfig } from '../config/schema.js';
import { errorCatalog, isSluiceError, SluiceError, type SluiceErrorCode } from '../errors.js';
import { sluiceVersion } from '../cli/version.js';
import { DASHBOARD_PATHS, registerDashboard } from './dashboard.js';
import { EventStream } from './events.js';
import { createMetrics } from './metrics.js';
import { registerRoutes } from './routes.js';
import { ReceiverRates } from './status.js';

export interface ApiOptions {
  config: ApiConfig;
  /** The gateway to show; setGateway() replaces it after a reload. */
  gateway: Gateway;
  /** Reloads the config as SIGHUP does; resolves with the new gateway, rejects (SluiceError) when refused. */
  reload: () => Promise<Gateway>;
  log: Logger;
  /** Heartbeat of the event stream, ms (default 15 000). */
  heartbeatMs?: number;
  /** Largest request body, bytes (default 64 KiB). */
  bodyLimit?: number;
}

export interface ApiServer {
  /** Listens on api.bind:api.port; resolves with the URL (the real port when api.port is 0). */
  listen(): Promise<string>;
  /** Shows another gateway (after a reload): events and metrics follow it. */
  setGateway(gateway: Gateway): void;
  /** Ends event streams and stops listening. */
  close(): Promise<void>;
  readonly fastify: FastifyInstance;
  /** Event-stream clients connected now. */
  readonly eventClients: number;
}

const STATUS: Partial<Record<SluiceErrorCode, number>> = {
  SLUICE_API_BAD_REQUEST: 400,
  SLUICE_API_UNAUTHORIZED: 401,
  SLUICE_API_FORBIDDEN: 403,
  SLUICE_API_NOT_FOUND: 404,
  SLUICE_API_PAYLOAD_TOO_LARGE: 413,
  SLUICE_API_UNSUPPORTED_MEDIA_TYPE: 415,
  SLUICE_CONFIG_INVALID: 422,
  SLUICE_CONFIG_NOT_FOUND: 422,
  SLUICE_CONFIG_UNREADABLE: 422,
  SLUICE_CONFIG_SUBSTITUTION: 422,
  SLUICE_EXPRESSION_INVALID: 422,
  SLUICE_STATE_LOCKED: 409,
  SLUICE_STATE_IO: 409,
  SLUICE_API_UNAVAILABLE: 503,
};

interface ErrorReply {
  error: string;
  message: string;
  hint?: string;
  issues?: { path: string; message: string; hint?: string }[];
}

function catalogReply(code: SluiceErrorCode, message: string): ErrorReply {
  return { error: code, message, hint: errorCatalog[code].hint };
}

/** Maps anything thrown in a route to a status and a JSON body without internals. */
function toReply(err: FastifyError | SluiceError | Error, log: Logger): { status: number; body: ErrorReply } {
  if (isSluiceError(err)) {
    const status = STATUS[err.code] ?? 500;
    if (status === 500) {
      log.error({ err }, 'api request failed');
      return { status, body: catalogReply('SLUICE_INTERNAL', 'internal error') };
    }
    return {
      status,
      body: {
        error: err.code,
        message: err.message,
        hint: err.hint,
        ...(err.issues.length === 0
          ? {}
          : {
              issues: err.issues.map((i) => ({
                path: i.path,
                message: i.message,
                ...(i.hint === undefined ? {} : { hint: i.hint }),
              })),
            }),
      },
    };
  }
  const fe = err as FastifyError;
  if (fe.validation !== undefined)
    return { status: 400, body: catalogReply('SLUICE_API_BAD_REQUEST', fe.message) };
  if (fe.statusCode === 413) {
    return {
      status: 413,
      body: catalogReply('SLUICE_API_PAYLOAD_TOO_LARGE', 'the request body is too large'),
    };
  }
  if (fe.statusCode === 415) {
    return { status: 415, body: catalogReply('SLUICE_API_UNSUPPORTED_MEDIA_TYPE', fe.message) };
  }
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: catalogReply('SLUICE_API_BAD_REQUEST', fe.message) };
  }
  log.error({ err }, 'api request failed');
  return { status: 500, body: catalogReply('SLUICE_INTERNAL', 'internal error') };
}

/** `Authorization: Bearer <token>` against the token, in constant time (equal-length SHA-256 digests). */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  return timingSafeEqual(given, expected) && match !== null;
}

/** Host header names a loopback address (DNS-rebinding guard for a loopback API without a token). */
function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  return isLoopback(name.toLowerCase());
}

export async function createApiServer(options: ApiOptions): Promise<ApiServer> {
  const { config, log } = options;
  let gateway = options.gateway;
  const rates = new ReceiverRates();
  const events = new EventStream(options.heartbeatMs);
  const metrics = createMetrics(() => gateway);
  const follow = (g: Gateway): (() => void) =>
    g.subscribe((event) => {
      if (event.type === 'batch') {
        metrics.observeBatch(event.batch);
        rates.sample(g);
      }
      events.publish(event);
    });
  let unsubscribe = follow(gateway);

  const apiLog: FastifyBaseLogger = log.child({ component: 'api' });
  const app = Fastify({
    loggerInstance: apiLog,
    // Scrapes and polls every few seconds would flood the journal; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Reject what the schemas do not allow instead of silently dropping it.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    // Ids in URLs are plain (the schemas' pattern); anything else is a 400, never a file path.
    routerOptions: { maxParamLength: 200 },
  });

  const token = config.token?.reveal();
  const expected = token === undefined ? undefined : createHash('sha256').update(token).digest();
  const guardHost = isLoopback(config.bind);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url === '/healthz') return;
    // The dashboard's static files carry no data: a browser must load them before it can ask for the token.
    const open = DASHBOARD_PATHS.has(request.routeOptions.url ?? '');
    if (!open && expected !== undefined && !bearerMatches(request.headers.authorization, expected)) {
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="sluice"')
        .send(catalogReply('SLUICE_API_UNAUTHORIZED', 'a valid bearer token is required'));
      return reply;
    }
    if (guardHost && !loopbackHost(request.headers.host)) {
      void reply
        .code(403)
        .send(catalogReply('SLUICE_API_FORBIDDEN', 'this API answers only to a loopback host name'));
      return reply;
    }
    return undefined;
  });
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    const { status, body } = toReply(err, log);
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(
        catalogReply('SLUICE_API_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`),
      );
  });
  app.addHook('preClose', (done) => {
    events.close();
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sluice gateway API',
        version: sluiceVersion(),
        description: 'Status, metrics and control of one Sluice gateway.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(token === undefined ? {} : { security: [{ bearer: [] }] }),
    },
  });
  registerDashboard(app, { tokenRequired: expected !== undefined });
  registerRoutes(app, {
    gateway: () => gateway,
    reload: options.reload,
    rates,
    events,
    metrics,
  });

  return {
    fastify: app,
    get eventClients() {
      return events.size;
    },
    async listen() {
      try {
        return await app.listen({ host: config.bind, port: config.port });
      } catch (err) {
        throw new SluiceError('SLUICE_API_LISTEN', `the API cannot listen on ${config.bind}:${config.port}`, {
          cause: err,
        });
      }
    },
    setGateway(next) {
      unsubscribe();
      gateway = next;
      rates.reset();
      unsubscribe = follow(next);
    },
    async close() {
      unsubscribe();
      await app.close();
    },
  };
}
