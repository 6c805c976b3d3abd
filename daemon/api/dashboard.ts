// The dashboard (GET /): one static page, a small ES module and a stylesheet from daemon/api/dashboard/, plus
// uPlot's dist files from node_modules. No build step. The page holds no data: it reads the API with the token
// the user typed (sessionStorage), so its files are served without one (DASHBOARD_PATHS).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

interface Asset {
  file: string;
  type: string;
}

/** Where the page's files live: beside this module in the source tree, or under the package's daemon/api/. */
function dashboardDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'dashboard')];
  // Compiled to dist/daemon/api/: the files stay in the package's daemon/api/dashboard/ (package.json "files").
  let dir = here;
  for (let i = 0; i < 5; i++) {
    dir = path.dirname(dir);
    candidates.push(path.join(dir, 'daemon', 'api', 'dashboard'));
  }
  for (const c of candidates) {
    try {
      readFileSync(path.join(c, 'index.html'));
      return c;
    } catch {
      // Try the next one.
    }
  }
  throw new Error(`the dashboard files are missing (looked in ${candidates.join(', ')})`);
}

function assets(dir = dashboardDir()): Record<string, Asset> {
  const uplot = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  return {
    '/': { file: path.join(dir, 'index.html'), type: 'text/html; charset=utf-8' },
    '/dashboard/app.js': { file: path.join(dir, 'app.js'), type: 'text/javascript; charset=utf-8' },
    '/dashboard/alerts.js': { file: path.join(dir, 'alerts.js'), type: 'text/javascript; charset=utf-8' },
    '/dashboard/style.css': { file: path.join(dir, 'style.css'), type: 'text/css; charset=utf-8' },
    '/dashboard/uplot.js': { file: path.join(uplot, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
    '/dashboard/uplot.css': { file: path.join(uplot, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  };
}

/** Paths that need no token: static files with no gateway data in them. */
export const DASHBOARD_PATHS: ReadonlySet<string> = new Set([
  '/',
  '/dashboard/app.js',
  '/dashboard/alerts.js',
  '/dashboard/style.css',
  '/dashboard/uplot.js',
  '/dashboard/uplot.css',
]);

// Same-origin scripts and styles only; no framing (clickjacking), no referrer, no sniffing.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface DashboardOptions {
  /** Where index.html, app.js and style.css are. Default: beside this module or in the package. */
  dir?: string;
  /** Whether the API needs a token: the page then asks for it before its first request. Default: false. */
  tokenRequired?: boolean;
}

export function registerDashboard(app: FastifyInstance, options: DashboardOptions = {}): void {
  // Read once at start: a few tens of KiB, and no file path ever comes from a request.
  let files: { url: string; type: string; body: Buffer }[];
  try {
    files = Object.entries(assets(options.dir)).map(([url, a]) => ({
      url,
      type: a.type,
      body: readFileSync(a.file),
    }));
  } catch (err) {
    // An incomplete install loses the page, never the API: GET / says what is missing.
    app.log.error({ err }, 'dashboard not served');
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply.code(503).send({
        error: 'SLUICE_API_UNAVAILABLE',
        message: 'the dashboard files are missing from this installation',
        hint: 'reinstall Sluice (daemon/api/dashboard/ and node_modules/uplot must be present); the API under /api/v1 works',
      }),
    );
    return;
  }
  if (options.tokenRequired === true) {
    const page = files.find((f) => f.url === '/');
    if (page !== undefined) {
      page.body = Buffer.from(
        page.body
          .toString('utf8')
          .replace(
            '<meta name="sluice-auth" content="none" />',
            '<meta name="sluice-auth" content="bearer" />',
          ),
      );
    }
  }
  for (const { url, type, body } of files) {
    app.get(url, { schema: { hide: true } }, (_request, reply) =>
      reply.type(type).headers(SECURITY_HEADERS).send(body),
    );
  }
}
