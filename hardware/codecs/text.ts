// Text helpers every payload codec shares: strict UTF-8, numbers written as numbers, a printable preview of bad
// input for dead-letter reasons, and the result type of a decode.

export type DecodeResult =
  | { readonly ok: true; readonly fields: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as strict UTF-8 text, or undefined when it is not valid UTF-8. */
export function utf8Text(payload: Uint8Array): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

export const NOT_UTF8 = 'payload is not valid UTF-8';

/** Decodes the payload as strict UTF-8 and hands the text on; invalid UTF-8 is a reason, not an exception. */
export function withText(payload: Buffer, decode: (text: string) => DecodeResult): DecodeResult {
  const text = utf8Text(payload);
  return text === undefined ? { ok: false, reason: NOT_UTF8 } : decode(text);
}

/** A finite number written as a number ("21.5", "-3", "1e3"); undefined otherwise (including ""). */
export function parseNumber(text: string): number | undefined {
  if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A short printable preview of bad input for a dead-letter reason. */
export function preview(text: string, max = 60): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}
