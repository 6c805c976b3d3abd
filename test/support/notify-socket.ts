// The manager's end of systemd's notify protocol for tests: a real unix datagram socket (bound by a small Python
// program, since Node has no unix datagram sockets) that records what the real `systemd-notify` sends to it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'notify-socket.py');

export interface NotifySocket {
  /** The socket's path, for NOTIFY_SOCKET. */
  readonly path: string;
  /** Messages received so far, each as its assignments joined by "|" (BARRIER=1 messages left out). */
  messages(): string[];
  close(): void;
}

/** Binds a notify socket at socketPath (which must not exist yet). */
export async function listenNotifySocket(socketPath: string): Promise<NotifySocket> {
  const child = spawn('python3', ['-u', script, socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const spawnError = new Promise<never>((_resolve, reject) =>
    child.once('error', (e) => {
      reject(new Error(`cannot run python3 for the notify socket (apt-get install python3): ${e.message}`));
    }),
  );
  await Promise.race([
    spawnError,
    waitFor('the notify socket to listen', () => {
      if (err !== '') throw new Error(err.trim());
      return out.startsWith('listening\n') ? true : undefined;
    }),
  ]);
  return {
    path: socketPath,
    messages: () =>
      out
        .split('\n')
        .slice(1)
        .filter((l) => l !== '' && l !== 'BARRIER=1'),
    close: () => child.kill('SIGKILL'),
  };
}
