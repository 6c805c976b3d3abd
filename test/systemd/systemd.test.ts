// The systemd unit and the installer: `systemd-analyze verify` and `security --offline` on the unit as
// install.sh writes it, the directives the service depends on, the example config it installs, and install.sh
// against a scratch root (install, upgrade, idempotence, --uninstall, --purge, a too-old node).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../daemon/config/load.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const installSh = path.join(repo, 'systemd', 'install.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 127;
      resolve({ code, stdout, stderr });
    });
  });
}

let work: string;
let source: string;

/** A scratch root as Debian has it: root, and a dialout group. */
async function scratchRoot(): Promise<string> {
  const root = await mkdtemp(path.join(work, 'root-'));
  await mkdir(path.join(root, 'etc'));
  await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\ndialout:x:20:\n');
  return root;
}

const install = (root: string, ...args: string[]): Promise<Run> =>
  run(installSh, ['--root', root, '--source', source, '--node', process.execPath, ...args]);

beforeAll(async () => {
  for (const tool of ['systemd-analyze', 'systemd-sysusers', 'systemctl']) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) {
      throw new Error(`${tool} is missing: install it with: apt-get install -y systemd`);
    }
  }
  work = await mkdtemp(path.join(tmpdir(), 'sluice-systemd-'));
  // A built checkout, as install.sh expects one (npm ci && npm run build): the real systemd/ and dashboard
  // files, a stand-in for dist/ and node_modules/.
  source = path.join(work, 'source');
  await cp(path.join(repo, 'systemd'), path.join(source, 'systemd'), { recursive: true });
  await cp(path.join(repo, 'daemon', 'api', 'dashboard'), path.join(source, 'daemon', 'api', 'dashboard'), {
    recursive: true,
  });
  await cp(path.join(repo, 'package.json'), path.join(source, 'package.json'));
  await mkdir(path.join(source, 'dist', 'daemon'), { recursive: true });
  await writeFile(path.join(source, 'dist', 'daemon', 'main.js'), '// release 1\n');
  await mkdir(path.join(source, 'node_modules', 'level'), { recursive: true });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('sluice.service', () => {
  test('passes systemd-analyze verify as install.sh writes it, with nothing to warn about', async () => {
    const root = await scratchRoot();
    expect((await install(root, '--no-enable')).code).toBe(0);
    const unit = path.join(root, 'etc', 'systemd', 'system', 'sluice.service');
    const verify = await run('systemd-analyze', ['verify', unit]);
    // verify exits 0 on unknown keys and bad values too: they are warnings on stderr.
    expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
  });

  test('rates its exposure OK in systemd-analyze security', async () => {
    const unit = path.join(repo, 'systemd', 'sluice.service');
    const security = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=30', unit]);
    expect(security.code, security.stdout + security.stderr).toBe(0);
    const exposure = /Overall exposure level for sluice\.service: ([\d.]+)/.exec(security.stdout);
    expect(Number(exposure?.[1])).toBeLessThanOrEqual(3);
  });

  test.each([
    ['Type', 'notify'],
    ['NotifyAccess', 'all'],
    ['WatchdogSec', '30'],
    ['Restart', 'on-failure'],
    ['ExecReload', '/bin/kill -HUP $MAINPID'],
    ['StateDirectory', 'sluice'],
    ['ConfigurationDirectory', 'sluice'],
    ['User', 'sluice'],
    ['SupplementaryGroups', 'dialout'],
    ['LoadCredential', 'api-token:/etc/sluice/credentials/api-token'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['NoNewPrivileges', 'yes'],
    ['PrivateTmp', 'yes'],
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6 AF_NETLINK'],
    ['DevicePolicy', 'closed'],
    ['DeviceAllow', 'char-ttyUSB rw'],
    ['DeviceAllow', 'char-ttyACM rw'],
    ['DeviceAllow', 'char-ttyAMA rw'],
    ['DeviceAllow', 'char-ttyS rw'],
    ['MemoryMax', '400M'],
  ])('sets %s=%s', async (key, value) => {
    const unit = await readFile(path.join(repo, 'systemd', 'sluice.service'), 'utf8');
    expect(unit.split('\n')).toContain(`${key}=${value}`);
  });

  test('caps the V8 heap well inside MemoryMax, and keeps serial ports reachable', async () => {
    const unit = await readFile(path.join(repo, 'systemd', 'sluice.service'), 'utf8');
    const heap = Number(/--max-old-space-size=(\d+)/.exec(unit)?.[1]);
    expect(heap).toBeGreaterThan(64);
    expect(heap).toBeLessThanOrEqual(400 / 2);
    // Either would hide /dev/tty* or the dialout group from the service.
    expect(unit).not.toMatch(/^PrivateDevices=yes/m);
    expect(unit).not.toMatch(/^PrivateUsers=yes/m);
  });

  test('installs an example config that validates, reading the API token from the credentials', async () => {
    const creds = await mkdtemp(path.join(work, 'creds-'));
    await writeFile(path.join(creds, 'api-token'), 'a-generated-token-0123456789\n');
    const config = await loadConfig(path.join(repo, 'systemd', 'sluice.example.yaml'), {
      env: { CREDENTIALS_DIRECTORY: creds },
    });
    expect(config.state.dir).toBe('/var/lib/sluice');
    expect(config.api.token?.reveal()).toBe('a-generated-token-0123456789');
  });
});

describe('install.sh', () => {
  test('installs the program, user, config, token and unit into a scratch root, and enables it', async () => {
    const root = await scratchRoot();
    const first = await install(root);
    expect(first.code, first.stderr).toBe(0);
    const at = (...p: string[]): string => path.join(root, ...p);
    expect(await readFile(at('opt', 'sluice', 'dist', 'daemon', 'main.js'), 'utf8')).toBe('// release 1\n');
    expect(existsSync(at('opt', 'sluice', 'daemon', 'api', 'dashboard', 'index.html'))).toBe(true);
    expect(await readFile(at('etc', 'passwd'), 'utf8')).toMatch(
      /^sluice:x:\d+:\d+:Sluice gateway:\/var\/lib\/sluice:\/usr\/sbin\/nologin$/m,
    );
    expect(await readFile(at('etc', 'group'), 'utf8')).toMatch(/^dialout:x:20:sluice$/m);
    const unit = await readFile(at('etc', 'systemd', 'system', 'sluice.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} --max-old-space-size=`);
    expect(
      await readlink(at('etc', 'systemd', 'system', 'multi-user.target.wants', 'sluice.service')),
    ).toMatch(/sluice\.service$/);
    const token = await readFile(at('etc', 'sluice', 'credentials', 'api-token'), 'utf8');
    expect(token).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect((await stat(at('etc', 'sluice', 'credentials', 'api-token'))).mode & 0o077).toBe(0);
    expect((await stat(at('etc', 'sluice', 'credentials'))).mode & 0o777).toBe(0o700);
    expect(await readFile(at('etc', 'sluice', 'sluice.yaml'), 'utf8')).toBe(
      await readFile(path.join(repo, 'systemd', 'sluice.example.yaml'), 'utf8'),
    );
  });

  test('upgrades in place: keeps the edited config and the token, keeps the previous release', async () => {
    const root = await scratchRoot();
    expect((await install(root)).code).toBe(0);
    const at = (...p: string[]): string => path.join(root, ...p);
    const token = await readFile(at('etc', 'sluice', 'credentials', 'api-token'), 'utf8');
    await writeFile(at('etc', 'sluice', 'sluice.yaml'), 'gateway: { id: edited }\n');
    const passwd = await readFile(at('etc', 'passwd'), 'utf8');

    await writeFile(path.join(source, 'dist', 'daemon', 'main.js'), '// release 2\n');
    try {
      const again = await install(root);
      expect(again.code, again.stderr).toBe(0);
    } finally {
      await writeFile(path.join(source, 'dist', 'daemon', 'main.js'), '// release 1\n');
    }
    expect(await readFile(at('opt', 'sluice', 'dist', 'daemon', 'main.js'), 'utf8')).toBe('// release 2\n');
    expect(await readFile(at('opt', 'sluice.prev', 'dist', 'daemon', 'main.js'), 'utf8')).toBe(
      '// release 1\n',
    );
    expect(await readFile(at('etc', 'sluice', 'sluice.yaml'), 'utf8')).toBe('gateway: { id: edited }\n');
    expect(await readFile(at('etc', 'sluice', 'credentials', 'api-token'), 'utf8')).toBe(token);
    // The user is not created twice.
    expect(await readFile(at('etc', 'passwd'), 'utf8')).toBe(passwd);
  });

  test('--uninstall removes the program and unit but keeps config and state; --purge removes those too', async () => {
    const root = await scratchRoot();
    expect((await install(root)).code).toBe(0);
    const at = (...p: string[]): string => path.join(root, ...p);
    await mkdir(at('var', 'lib', 'sluice'), { recursive: true });
    await writeFile(at('var', 'lib', 'sluice', 'LOCK'), '');

    const removed = await install(root, '--uninstall');
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(at('opt', 'sluice'))).toBe(false);
    expect(existsSync(at('etc', 'systemd', 'system', 'sluice.service'))).toBe(false);
    expect(existsSync(at('etc', 'systemd', 'system', 'multi-user.target.wants', 'sluice.service'))).toBe(
      false,
    );
    expect(existsSync(at('etc', 'sluice', 'sluice.yaml'))).toBe(true);
    expect(existsSync(at('var', 'lib', 'sluice', 'LOCK'))).toBe(true);
    // Twice is fine.
    expect((await install(root, '--uninstall')).code).toBe(0);

    const purged = await install(root, '--uninstall', '--purge');
    expect(purged.code, purged.stderr).toBe(0);
    expect(existsSync(at('etc', 'sluice'))).toBe(false);
    expect(existsSync(at('var', 'lib', 'sluice'))).toBe(false);
    expect(await readFile(at('etc', 'passwd'), 'utf8')).not.toMatch(/^sluice:/m);
    expect(await readFile(at('etc', 'group'), 'utf8')).toMatch(/^dialout:x:20:$/m);
  });

  test('refuses a node older than the package needs, and a checkout that is not built', async () => {
    const root = await scratchRoot();
    const old = path.join(work, 'old-node');
    await writeFile(old, '#!/bin/sh\ncase "$1" in -p) echo 18.19.0 ;; *) exit 1 ;; esac\n');
    await chmod(old, 0o755);
    const tooOld = await run(installSh, ['--root', root, '--source', source, '--node', old]);
    expect(tooOld.code).not.toBe(0);
    expect(tooOld.stderr).toContain('node 18.19.0 is too old: Sluice needs Node.js >= 20.19');
    expect(existsSync(path.join(root, 'opt', 'sluice'))).toBe(false);

    const unbuilt = await mkdtemp(path.join(work, 'unbuilt-'));
    await writeFile(path.join(unbuilt, 'package.json'), '{}');
    const noDist = await run(installSh, ['--root', root, '--source', unbuilt, '--node', process.execPath]);
    expect(noDist.code).not.toBe(0);
    expect(noDist.stderr).toContain('run npm ci && npm run build first');
  });
});
