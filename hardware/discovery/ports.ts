// Serial port discovery for `sluice ports`: the ports of this machine with their USB vendor/product ids and the
// stable /dev/serial/by-id paths that point at them (the path to put in config: it survives replugging into
// another USB socket, /dev/ttyUSB0 does not).
//
// serialport's SerialPort.list() runs `udevadm info -e` on Linux and crashes the process with an unhandled
// 'error' event when udevadm is missing (bindings-cpp 13, linux-list.js spawns it without an error listener), as
// in minimal containers. So it is called only when udevadm is on PATH; otherwise the same facts are read from
// sysfs (/sys/class/tty/<name>/device, walking up to the USB device's idVendor/idProduct).
import { constants as fsConstants } from 'node:fs';
import { access, readdir, readFile, realpath } from 'node:fs/promises';
import { basename, delimiter, dirname, join } from 'node:path';

export interface PortInfo {
  /** The device node, e.g. /dev/ttyUSB0. */
  path: string;
  /** The /dev/serial/by-id links that point at it (empty for on-board UARTs). */
  byId: string[];
  /** USB vendor id, 4 hex digits, when it is a USB device. */
  vendorId?: string;
  /** USB product id, 4 hex digits. */
  productId?: string;
  manufacturer?: string;
  serialNumber?: string;
}

export interface ListPortsOptions {
  /** Default: /dev/serial/by-id. */
  byIdDir?: string;
  /** Default: /sys/class/tty. */
  sysClassTty?: string;
  /** Default: /dev. */
  devDir?: string;
  /** Use SerialPort.list() (udev) when udevadm is available. Default: true. */
  useUdev?: boolean;
}

/** Device names that are serial ports (as serialport's own Linux list filters them). */
const SERIAL_NAME = /^(ttyS|ttyWCH|ttyACM|ttyUSB|ttyAMA|ttyMFD|ttyO|ttyXRUSB|rfcomm)\d*/;

async function exists(path: string, mode = fsConstants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && (await exists(join(dir, name), fsConstants.X_OK))) return true;
  }
  return false;
}

/** /dev/serial/by-id links by the device they resolve to. */
async function byIdLinks(dir: string): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return links; // no USB serial device plugged in: udev has not made the directory
  }
  for (const name of names.sort()) {
    const link = join(dir, name);
    const target = await realpath(link).catch(() => undefined);
    if (target === undefined) continue;
    links.set(target, [...(links.get(target) ?? []), link]);
  }
  return links;
}

async function readTrimmed(path: string): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const trimmed = text?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Ports from sysfs: every tty with a device behind it; the USB ids from the nearest USB device above it. */
async function sysfsPorts(sysClassTty: string, devDir: string): Promise<PortInfo[]> {
  let names: string[];
  try {
    names = await readdir(sysClassTty);
  } catch {
    return [];
  }
  const ports: PortInfo[] = [];
  for (const name of names.filter((n) => SERIAL_NAME.test(n)).sort()) {
    const device = await realpath(join(sysClassTty, name, 'device')).catch(() => undefined);
    if (device === undefined) continue; // virtual: no hardware behind it
    const driver = await realpath(join(device, 'driver')).catch(() => undefined);
    // The 8250 driver registers placeholder ttyS ports whether or not a UART is there.
    if (driver !== undefined && basename(driver) === 'serial8250') continue;
    const port: PortInfo = { path: join(devDir, name), byId: [] };
    for (let dir = device; dir !== dirname(dir); dir = dirname(dir)) {
      const vendorId = await readTrimmed(join(dir, 'idVendor'));
      if (vendorId === undefined) continue;
      port.vendorId = vendorId;
      const productId = await readTrimmed(join(dir, 'idProduct'));
      const manufacturer = await readTrimmed(join(dir, 'manufacturer'));
      const serialNumber = await readTrimmed(join(dir, 'serial'));
      if (productId !== undefined) port.productId = productId;
      if (manufacturer !== undefined) port.manufacturer = manufacturer;
      if (serialNumber !== undefined) port.serialNumber = serialNumber;
      break;
    }
    ports.push(port);
  }
  return ports;
}

async function udevPorts(): Promise<PortInfo[]> {
  const { SerialPort } = await import('serialport');
  const listed = await SerialPort.list();
  return listed.map((p) => ({
    path: p.path,
    byId: [],
    ...(p.vendorId === undefined ? {} : { vendorId: p.vendorId }),
    ...(p.productId === undefined ? {} : { productId: p.productId }),
    ...(p.manufacturer === undefined ? {} : { manufacturer: p.manufacturer }),
    ...(p.serialNumber === undefined ? {} : { serialNumber: p.serialNumber }),
  }));
}

/** The serial ports of this machine, with their by-id links, sorted by path. */
export async function listPorts(options: ListPortsOptions = {}): Promise<PortInfo[]> {
  const useUdev = (options.useUdev ?? true) && (await onPath('udevadm'));
  const ports = useUdev
    ? await udevPorts()
    : await sysfsPorts(options.sysClassTty ?? '/sys/class/tty', options.devDir ?? '/dev');
  const links = await byIdLinks(options.byIdDir ?? '/dev/serial/by-id');
  const byPath = new Map(ports.map((p) => [p.path, p]));
  for (const [target, paths] of links) {
    const port = byPath.get(target);
    if (port !== undefined) port.byId = paths;
    else byPath.set(target, { path: target, byId: paths }); // a by-id link is a port even if the scan missed it
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** The listing as a table for people: one port a line, its by-id paths under it. */
export function formatPorts(ports: readonly PortInfo[]): string {
  if (ports.length === 0) {
    return 'no serial ports found (plug a USB serial adapter in; its path appears under /dev/serial/by-id/)\n';
  }
  const lines: string[] = [];
  for (const port of ports) {
    const ids = port.vendorId === undefined ? '' : `  ${port.vendorId}:${port.productId ?? '????'}`;
    const about = [
      port.manufacturer,
      port.serialNumber === undefined ? undefined : `serial ${port.serialNumber}`,
    ]
      .filter((t) => t !== undefined)
      .join(', ');
    lines.push(`${port.path}${ids}${about === '' ? '' : `  ${about}`}`);
    for (const link of port.byId) lines.push(`  ${link}`);
  }
  return `${lines.join('\n')}\n`;
}
