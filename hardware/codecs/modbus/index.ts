// Modbus RTU for the serial receiver's polling: CRC, read requests and responses, register values, poll plans.
export { crc16Modbus, crcOk, withCrc } from './crc.js';
export { decodePoll, planReads, type PlanOptions, type ReadBlock } from './poll.js';
export {
  rawRegisterValue,
  registerValue,
  registerWidth,
  type RegisterSpec,
  type RegisterType,
} from './registers.js';
export {
  checkReadRequest,
  decodeReadResponse,
  encodeReadRequest,
  expectedResponseLength,
  FUNCTION_CODE,
  isStrayFrame,
  MODBUS_EXCEPTIONS,
  modbusSilenceMs,
  responseLength,
  type ReadRequest,
  type ReadResponse,
  type RegisterTable,
} from './rtu.js';
