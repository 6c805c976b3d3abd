// Port discovery: a fake sysfs tree and /dev/serial/by-id give the port, its USB ids and its stable path; the
// real machine's listing and `sluice ports` run (they may find nothing in a container).
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { runCli } from '../../../daemon/cli/index.js';
import { formatPorts, listPorts } from '../../../hardware/discovery/index.js';

let root: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'sluice-ports-')));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

test('finds a USB adapter in sysfs with its vendor/product ids and by-id path', async () => {
  const usb = join(root, 'sys/devices/usb1/1-1');
  const iface = join(usb, '1-1:1.0/ttyUSB0');
  await mkdir(iface, { recursive: true });
  await writeFile(join(usb, 'idVendor'), '0403\n');
  await writeFile(join(usb, 'idProduct'), '6001\n');
  await writeFile(join(usb, 'manufacturer'), 'FTDI\n');
  await writeFile(join(usb, 'serial'), 'A50285BI\n');
  const tty = join(root, 'sys/class/tty');
  await mkdir(join(tty, 'ttyUSB0'), { recursive: true });
  await symlink(iface, join(tty, 'ttyUSB0', 'device'));
  await mkdir(join(tty, 'tty1'), { recursive: true }); // a console: not a serial port
  const dev = join(root, 'dev');
  await mkdir(dev);
  await writeFile(join(dev, 'ttyUSB0'), '');
  const byId = join(root, 'by-id');
  await mkdir(byId);
  const link = join(byId, 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0');
  await symlink('../dev/ttyUSB0', link);

  const ports = await listPorts({ sysClassTty: tty, devDir: dev, byIdDir: byId, useUdev: false });
  expect(ports).toEqual([
    {
      path: join(dev, 'ttyUSB0'),
      byId: [link],
      vendorId: '0403',
      productId: '6001',
      manufacturer: 'FTDI',
      serialNumber: 'A50285BI',
    },
  ]);
  expect(formatPorts(ports)).toBe(`${join(dev, 'ttyUSB0')}  0403:6001  FTDI, serial A50285BI\n  ${link}\n`);
});

test('says how to find an adapter when there is none', async () => {
  const ports = await listPorts({
    sysClassTty: join(root, 'none'),
    byIdDir: join(root, 'none'),
    useUdev: false,
  });
  expect(ports).toEqual([]);
  expect(formatPorts(ports)).toMatch(/no serial ports found.*by-id/);
});

test('sluice ports lists this machine’s ports (JSON and text) and exits 0', async () => {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (text: string) => (stdout += text),
    stderr: (text: string) => (stderr += text),
    env: {},
    cwd: root,
  };
  expect(await runCli(['ports', '--json'], io)).toBe(0);
  const listed = JSON.parse(stdout) as { path: string; byId: string[] }[];
  expect(Array.isArray(listed)).toBe(true);
  for (const port of listed) expect(port.path).toMatch(/^\/dev\//);
  stdout = '';
  expect(await runCli(['ports'], io)).toBe(0);
  expect(stdout).not.toBe('');
  expect(stderr).toBe('');
});
