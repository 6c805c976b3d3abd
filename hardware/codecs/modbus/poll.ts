// One poll of a Modbus device: the register map is planned into as few read requests as the device allows, and
// the responses are decoded into one record. A poll is all or nothing: if any read fails (timeout, CRC, an
// exception from the slave) the poll is one dead letter with the reason, never a record with missing fields.
import type { DecodeResult } from '../text.js';
import { registerValue, registerWidth, type RegisterSpec } from './registers.js';
import { checkReadRequest, decodeReadResponse, encodeReadRequest, type ReadRequest } from './rtu.js';

export interface ReadBlock extends ReadRequest {
  /** The registers this read covers; each spec's address lies within [address, address + quantity). */
  specs: readonly RegisterSpec[];
  /** The request ADU, CRC included. */
  request: Buffer;
}

export interface PlanOptions {
  /**
   * Unused registers a read may span to merge two neighbours into one request. Default: 0, because many devices
   * answer "illegal data address" for a read that touches an undefined register.
   */
  maxGap?: number;
  /** Most registers per read. Default: 125 (the protocol's limit). */
  maxQuantity?: number;
}

/** Groups a register map into read requests, per table, in address order. Throws RangeError on a bad map. */
export function planReads(
  unitId: number,
  specs: readonly RegisterSpec[],
  options: PlanOptions = {},
): ReadBlock[] {
  const maxGap = options.maxGap ?? 0;
  const maxQuantity = Math.min(options.maxQuantity ?? 125, 125);
  const blocks: ReadBlock[] = [];
  for (const table of ['input', 'holding'] as const) {
    const sorted = specs
      .filter((s) => (s.table ?? 'holding') === table)
      .sort((a, b) => a.address - b.address);
    let current: { address: number; end: number; specs: RegisterSpec[] } | undefined;
    const close = () => {
      if (current === undefined) return;
      const request: ReadRequest = {
        unitId,
        table,
        address: current.address,
        quantity: current.end - current.address,
      };
      blocks.push({ ...request, specs: current.specs, request: encodeReadRequest(request) });
    };
    for (const spec of sorted) {
      const end = spec.address + registerWidth(spec.type);
      checkReadRequest({ unitId, table, address: spec.address, quantity: end - spec.address });
      if (current !== undefined && spec.address < current.end) {
        throw new RangeError(`register "${spec.name}" at ${spec.address} overlaps the one before it`);
      }
      if (
        current !== undefined &&
        spec.address - current.end <= maxGap &&
        end - current.address <= maxQuantity
      ) {
        current.end = end;
        current.specs.push(spec);
      } else {
        close();
        current = { address: spec.address, end, specs: [spec] };
      }
    }
    close();
  }
  return blocks;
}

/**
 * The record of one poll, from the response to each block (in plan order). A value that is not a finite number
 * (a float32 NaN: many meters send it for "not available") fails the poll with its register named.
 */
export function decodePoll(blocks: readonly ReadBlock[], responses: readonly Uint8Array[]): DecodeResult {
  if (responses.length !== blocks.length) {
    return { ok: false, reason: `${responses.length} responses for ${blocks.length} reads` };
  }
  const entries: [string, number][] = [];
  for (const [i, block] of blocks.entries()) {
    const response = decodeReadResponse(responses[i] as Uint8Array, block);
    if (!response.ok) return { ok: false, reason: response.reason };
    for (const spec of block.specs) {
      const value = registerValue(response.registers, spec.address - block.address, spec);
      if (!Number.isFinite(value)) {
        return { ok: false, reason: `register "${spec.name}" (${block.table} ${spec.address}) is ${value}` };
      }
      entries.push([spec.name, value]);
    }
  }
  return { ok: true, fields: Object.fromEntries(entries) };
}
