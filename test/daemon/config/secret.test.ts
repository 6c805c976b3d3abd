// Secrets print as [redacted] wherever a config may end up: JSON (pino), util.inspect, string templates.
import { inspect } from 'node:util';
import { expect, test } from 'vitest';
import { Secret, secretSchema } from '../../../daemon/config/secret.js';

test('a secret never shows its value when serialized, inspected or interpolated', () => {
  const config = { password: secretSchema.parse('hunter2') };
  expect(JSON.stringify(config)).toBe('{"password":"[redacted]"}');
  expect(inspect(config)).not.toContain('hunter2');
  expect(String(config.password)).toBe('[redacted]');
  expect(config.password.reveal()).toBe('hunter2');
});

test('secrets compare without revealing', () => {
  expect(new Secret('a').equals(new Secret('a'))).toBe(true);
  expect(new Secret('a').equals(new Secret('b'))).toBe(false);
  expect(new Secret('a').equals(undefined)).toBe(false);
});

test('an empty secret or a number is rejected', () => {
  expect(secretSchema.safeParse('').success).toBe(false);
  expect(secretSchema.safeParse(7).success).toBe(false);
});
