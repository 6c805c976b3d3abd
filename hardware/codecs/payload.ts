// Payload decoders shared by every receiver: one message (an MQTT payload, one framed serial line) into the
// record's fields, or a reason it cannot be decoded (the caller dead-letters it). CSV is csv.ts's parser.
import { decodeCsvPayload } from './csv.js';
import { parseNumber, preview, withText, type DecodeResult } from './text.js';

export { decodeCsvLine } from './csv.js';
export { NOT_UTF8, parseNumber, preview, utf8Text, withText, type DecodeResult } from './text.js';

export type PayloadFormat = 'json' | 'csv' | 'text' | 'number';

export interface PayloadDecoderOptions {
  format: PayloadFormat;
  /** CSV column names, in order (required for csv). */
  columns?: readonly string[];
}

/** Builds a decoder for one receiver's format. */
export function payloadDecoder(options: PayloadDecoderOptions): (payload: Buffer) => DecodeResult {
  switch (options.format) {
    case 'json':
      return (payload) => withText(payload, decodeJson);
    case 'text':
      return (payload) => withText(payload, (text) => ({ ok: true, fields: { value: text } }));
    case 'number':
      return (payload) =>
        withText(payload, (text) => {
          const value = parseNumber(text.trim());
          return value === undefined
            ? { ok: false, reason: `not a number: ${preview(text)}` }
            : { ok: true, fields: { value } };
        });
    case 'csv': {
      const columns = options.columns ?? [];
      return (payload) => decodeCsvPayload(payload, columns);
    }
  }
}

function decodeJson(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      reason: `JSON payload must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    };
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
    return { ok: false, reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  return { ok: true, fields: value as Record<string, unknown> };
}

/**
 * Deepest nesting a JSON payload may have. JSON.parse takes any depth, but a record's fields are serialised
 * again later (the WAL's field encoding, a dead letter of a record a pipeline rejects: JSON.stringify), which
 * recurses: a payload nested some thousands deep once overflowed the stack in the WAL write, the whole write
 * failed, and the broker redelivered the message forever (a poison message that stopped the receiver).
 */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed value nests objects/arrays deeper than limit (iterative: no recursion on hostile input). A
 * flat object, what sensors send, is one pass over its values with nothing allocated. */
function nestedDeeperThan(value: object, limit: number): boolean {
  let stack: [object, number][] | undefined;
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object') continue;
    if (2 > limit) return true;
    (stack ??= []).push([child, 2]);
  }
  if (stack === undefined) return false;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    for (const key in node) {
      const child = (node as Record<string, unknown>)[key];
      if (child === null || typeof child !== 'object') continue;
      if (depth + 1 > limit) return true;
      stack.push([child, depth + 1]);
    }
  }
  return false;
}
