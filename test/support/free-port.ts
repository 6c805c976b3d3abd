// A TCP port on 127.0.0.1 that nothing listens on right now, for services a test starts itself.
// The kernel picks it (listen on port 0), so parallel test files get different ports; a service that still loses
// the race to another process should be restarted on a fresh port by its harness.
import { createServer } from 'node:net';

/** Resolves with a port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      server.close(() => {
        resolve(address.port);
      });
    });
  });
}
