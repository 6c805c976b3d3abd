// One framed line as the intake's RawMessage, shared by the line-reading receivers (file, tcp): a framing error
// (an overlong or cut-off line) keeps its raw bytes and becomes a dead letter with the reason.
import type { Frame } from '../../hardware/framing/types.js';
import type { RawMessage } from '../types.js';

/** Bytes of a dead-lettered piece shown, as hex, in its reason. */
const HEX_PREVIEW = 32;

export function frameMessage(frame: Frame, topic: string, arrivalMs: number): RawMessage {
  if (frame.kind === 'frame') return { payload: frame.data, topic, arrivalMs };
  const hex = frame.raw.subarray(0, HEX_PREVIEW).toString('hex');
  const more = frame.raw.length > HEX_PREVIEW ? '…' : '';
  return {
    payload: frame.raw,
    topic,
    arrivalMs,
    error: `line ${frame.code}: ${frame.reason} (${frame.raw.length} bytes: ${hex}${more})`,
  };
}
