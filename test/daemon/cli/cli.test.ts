// The CLI in-process: what each command prints where, and its exit status (0 ok, 1 runtime, 2 usage/config).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../../daemon/cli/index.js';

const root = new URL('../../../', import.meta.url).pathname;

async function cli(args: string[], env: Record<string, string> = {}, cwd = root) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    cwd,
  });
  return { status, stdout, stderr };
}

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  const path = join(dir, 'config.yaml');
  await writeFile(path, text);
  return path;
}

describe('sluice validate', () => {
  test('prints "ok: <summary>" and exits 0 for a valid config', async () => {
    const result = await cli(['validate', '-c', 'examples/climate.yaml']);
    expect(result).toEqual({
      status: 0,
      stdout:
        'ok: gateway greenhouse-7, 1 receiver (climate: mqtt), 1 pipeline (climate-1m: 1m every 10s event time → archive), 1 sink (archive: file)\n',
      stderr: '',
    });
  });

  test('prints every error with file:line:column, key path and hint, and exits 2', async () => {
    const broken = readFileSync(join(root, 'examples/climate.yaml'), 'utf8')
      .replace('slide: 10s', 'slide: 7s')
      .replace('topics:', 'topic:');
    const path = await configFile(broken);
    const result = await cli(['validate', '--config', path]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe(`error[SLUICE_CONFIG_INVALID]: ${path}: 2 errors in the config`);
    expect(lines[1]).toBe(`  ${path}:8:5: receivers.climate.topic: unknown key "topic"`);
    expect(lines[2]).toMatch(/^ {4}hint: did you mean "topics"\?/);
    expect(lines[3]).toBe(
      `  ${path}:17:35: pipelines.climate-1m.window.slide: the slide (7s) does not divide the window length (1m)`,
    );
    expect(lines[4]).toBe('    hint: use a slide that divides 1m, e.g. 5s, 6s, 10s');
    expect(lines[5]).toBe(
      'hint: Fix the errors listed above, then check again with `sluice validate -c FILE`.',
    );
    expect(lines).toHaveLength(7);
  });

  test('substitutes from the environment it is given', async () => {
    const path = await configFile(
      readFileSync(join(root, 'examples/climate.yaml'), 'utf8').replace(
        'mqtt://127.0.0.1:1883',
        '${MQTT_URL}',
      ),
    );
    expect((await cli(['validate', '-c', path])).status).toBe(2);
    expect((await cli(['validate', '-c', path], { MQTT_URL: 'mqtt://broker:1883' })).status).toBe(0);
  });

  test('prints one JSON object with --json', async () => {
    const ok = await cli(['validate', '-c', 'examples/climate.yaml', '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, file: 'examples/climate.yaml' });
    const path = await configFile('gateway: { id: g }\nreceivers: {}\n');
    const bad = await cli(['validate', '-c', path, '--json']);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      code: 'SLUICE_CONFIG_INVALID',
      issues: [{ path: 'receivers', message: 'no receivers defined', line: 2, column: 12 }],
    });
  });

  test('reports a missing file with its code and exits 2', async () => {
    const result = await cli(['validate', '-c', 'nope.yaml']);
    expect(result).toMatchObject({ status: 2, stdout: '' });
    expect(result.stderr).toMatch(
      /^error\[SLUICE_CONFIG_NOT_FOUND\]: config file nope\.yaml does not exist\nhint: /,
    );
  });

  test('needs --config', async () => {
    const result = await cli(['validate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /error\[SLUICE_USAGE\]: missing --config\nhint: usage: sluice validate -c FILE/,
    );
  });
});

describe('sluice schema', () => {
  test('prints the JSON Schema of the config (draft-07 by default)', async () => {
    const result = await cli(['schema']);
    expect(result.status).toBe(0);
    const schema = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(schema).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Sluice configuration',
      additionalProperties: false,
      required: ['gateway', 'receivers'],
    });
  });

  test('prints draft 2020-12 on request and refuses unknown dialects', async () => {
    const modern = await cli(['schema', '--target', 'draft-2020-12']);
    expect(JSON.parse(modern.stdout)).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
    });
    const unknown = await cli(['schema', '--target', 'draft-04']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown --target draft-04\nhint: use draft-07 or draft-2020-12/);
  });
});

describe('the command line', () => {
  test('--help lists the commands and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.status).toBe(0);
    for (const command of ['run', 'validate', 'schema', 'help'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  test('<command> --help shows its options', async () => {
    const result = await cli(['validate', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/-c, --config FILE/);
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ status: 0, stdout: `sluice ${version}\n`, stderr: '' });
  });

  test('no arguments prints the help to stderr and exits 2', async () => {
    const result = await cli([]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^Usage: sluice <command>/m);
  });

  test('an unknown command suggests the closest one', async () => {
    const result = await cli(['validat', '-c', 'x']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown command "validat"\nhint: did you mean validate\?/);
  });

  test('an unknown option suggests the closest one', async () => {
    const result = await cli(['validate', '--conf', 'x']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--conf'\nhint: did you mean --config\?/);
  });

  test('run with a config file that does not exist exits 2 before starting anything', async () => {
    const result = await cli(['run', '-c', 'no/such/sluice.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^error\[SLUICE_CONFIG_NOT_FOUND\]: config file no\/such\/sluice.yaml does not exist\n/,
    );
  });

  test('the sluice executable passes the status to the process', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'daemon/main.ts', ...args], {
        cwd: root,
        encoding: 'utf8',
      });
    const ok = run(['validate', '-c', 'examples/climate.yaml']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^ok: /);
    const missing = run(['validate', '-c', 'nope.yaml']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/SLUICE_CONFIG_NOT_FOUND/);
  });
});
