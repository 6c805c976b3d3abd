// Durations and sizes in config: the accepted forms, the rejected ones with their hints, and exact round trips.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../../daemon/config/units.js';

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1s500ms', 1_500],
    ['1.5s', 1_500],
    [' 10s ', 10_000],
    [0, 0],
    ['0', 0],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: ms });
  });

  test.each([
    [10, /needs a unit/, /10s or 10ms/],
    ['10', /needs a unit/, /10s or 10ms/],
    ['10sec', /unknown duration unit "sec"/, /"s"/],
    ['10S', /unknown duration unit "S"/, /"s"/],
    ['5M', /unknown duration unit "M"/, /ambiguous/],
    ['2w', /unknown duration unit "w"/, /7d/],
    ['10 s', /not a duration/, /without a space/],
    ['-5s', /negative/, /positive/],
    ['30s1m', /largest to smallest/, /1h30m/],
    ['0.5ms', /whole number of milliseconds/, /1500ms/],
    ['soon', /not a duration/, /accepted forms/],
    [true, /expected a duration, got a boolean/, /500ms/],
  ])('rejects %j with a message and a hint', (input, message, hint) => {
    const parsed = parseDuration(input);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(message);
    expect(parsed.hint).toMatch(hint);
  });
});

describe('parseSize', () => {
  test.each([
    ['256MiB', 256 * 1024 ** 2],
    ['1GiB', 1024 ** 3],
    ['512KiB', 512 * 1024],
    ['100MB', 100_000_000],
    ['1.5KiB', 1536],
    ['10B', 10],
    [0, 0],
  ])('reads %j as %d bytes', (input, bytes) => {
    expect(parseSize(input)).toEqual({ ok: true, value: bytes });
  });

  test.each([
    [1024, /needs a unit/, /1024B/],
    ['256M', /unknown size unit "M"/, /256MiB \(×1024\) or 256MB \(×1000\)/],
    ['1k', /unknown size unit "k"/, /ambiguous/],
    ['256mib', /unknown size unit "mib"/, /"MiB"/],
    ['0.1B', /whole number of bytes/, /1.5KiB/],
    ['lots', /not a size/, /accepted forms/],
  ])('rejects %j with a message and a hint', (input, message, hint) => {
    const parsed = parseSize(input);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(message);
    expect(parsed.hint).toMatch(hint);
  });
});

describe('formatting', () => {
  test('formats durations exactly and compactly', () => {
    expect([0, 500, 10_000, 90_000, 3_600_000, 1_500].map(formatDuration)).toEqual([
      '0',
      '500ms',
      '10s',
      '1m30s',
      '1h',
      '1s500ms',
    ]);
  });

  test('formats sizes in the largest exact unit', () => {
    expect([0, 268_435_456, 100_000_000, 1536, 7].map(formatSize)).toEqual([
      '0',
      '256MiB',
      '100MB',
      '1536B',
      '7B',
    ]);
  });

  test('a formatted duration parses back to the same milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, value: ms });
      }),
    );
  });

  test('a formatted size parses back to the same bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (bytes) => {
        expect(parseSize(formatSize(bytes))).toEqual({ ok: true, value: bytes });
      }),
    );
  });
});
