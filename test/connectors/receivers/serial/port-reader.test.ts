// The serial receiver's reader (port-reader.ts) over real ptys, in both of its ways of reading: polled reads on the
// event loop (Linux, macOS) and the binding's own read() (what other platforms use). Every byte arrives once and
// in order, and stays intact after later reads (frames are views of the chunks); pause holds reading back; a
// device that goes away is reported once; a stopped reader reports nothing when its port is closed.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SerialPort } from 'serialport';
import { PortReader, type PortReadMode } from '../../../../connectors/receivers/serial/port-reader.js';
import { startPtyPair, type PtyPair } from '../../../support/pty-pair.js';
import { waitFor } from '../../../support/wait.js';
import { closeDevice, openDevice, send } from './serial-host.js';

let pty: PtyPair;
let port: SerialPort | undefined;
let device: SerialPort | undefined;

beforeEach(async () => {
  pty = await startPtyPair();
  device = await openDevice(pty.simPath);
  port = await openDevice(pty.devPath);
});

afterEach(async () => {
  await closeDevice(device);
  await closeDevice(port);
  await pty.close();
});

interface Reading {
  reader: PortReader;
  chunks: Buffer[];
  errors: Error[];
  bytes(): number;
}

function read(mode: PortReadMode): Reading {
  const chunks: Buffer[] = [];
  const errors: Error[] = [];
  const reader = new PortReader(
    port as SerialPort,
    {
      data: (chunk) => {
        if (reader.paused) errors.push(new Error('data while paused'));
        chunks.push(chunk);
      },
      error: (err) => errors.push(err),
    },
    mode,
  );
  reader.start();
  return { reader, chunks, errors, bytes: () => chunks.reduce((n, c) => n + c.length, 0) };
}

/** Bytes that differ at every position, so a chunk overwritten by a later read shows. */
function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1_103_515_245 + 12_345) & 0x7fffffff;
    out[i] = x >>> 16;
  }
  return out;
}

test('reads by polling where the binding has a file descriptor and a poller', () => {
  const r = read('poll');
  r.reader.stop();
  expect(new PortReader(port as SerialPort, { data: () => undefined, error: () => undefined }).mode).toBe(
    'poll',
  );
});

describe.each(['poll', 'binding'] as const)('reading by %s', (mode) => {
  test('hands over every byte once, in order, and no chunk changes after later reads', async () => {
    const r = read(mode);
    // Well past one slab (64 KiB), in writes of several pty buffers each.
    const sent = pattern(300 * 1024, 7);
    for (let at = 0; at < sent.length; at += 16 * 1024) {
      await send(device as SerialPort, sent.subarray(at, at + 16 * 1024));
    }
    await waitFor('every byte', () => (r.bytes() >= sent.length ? true : undefined));
    expect(Buffer.concat(r.chunks).equals(sent)).toBe(true);
    expect(r.chunks.length).toBeGreaterThan(1);
    expect(r.errors).toEqual([]);
  });

  test('pause holds reading back; resume reads what waited', async () => {
    const r = read(mode);
    await send(device as SerialPort, 'first\n');
    await waitFor('the first line', () => (r.bytes() === 6 ? true : undefined));
    r.reader.pause();
    await send(device as SerialPort, 'held\n');
    // Nothing may arrive while paused (also checked in the data handler); a binding read already in flight
    // keeps its bytes until resume.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.bytes()).toBe(6);
    r.reader.resume();
    await waitFor('the held line', () => (r.bytes() === 11 ? true : undefined));
    expect(Buffer.concat(r.chunks).toString()).toBe('first\nheld\n');
    expect(r.errors).toEqual([]);
  });

  test('reports a device that goes away, once', async () => {
    const r = read(mode);
    await send(device as SerialPort, 'x\n');
    await waitFor('the line', () => (r.bytes() === 2 ? true : undefined));
    await closeDevice(device);
    device = undefined;
    await pty.stop();
    const [err] = await waitFor('the error', () => (r.errors.length > 0 ? r.errors : undefined));
    expect(err?.message).toMatch(/EIO|hung up|error/i);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.errors).toHaveLength(1);
  });

  test('a stopped reader reports nothing when its port is closed', async () => {
    const r = read(mode);
    r.reader.stop();
    await closeDevice(port);
    await send(device as SerialPort, 'after\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.errors).toEqual([]);
    expect(r.chunks).toEqual([]);
  });
});
