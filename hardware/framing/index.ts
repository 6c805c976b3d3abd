// Serial framing: pure state machines that cut a byte stream into frames, one per framing type.
export { createFramer, framingSchema, type FramingConfig } from './config.js';
export { delimiterFramer, type DelimiterFramerOptions } from './delimiter.js';
export { interByteTimeoutFramer, type InterByteTimeoutFramerOptions } from './inter-byte-timeout.js';
export { lengthFramer, type LengthFramerOptions } from './length.js';
export { lineFramer, type LineEnding, type LineFramerOptions } from './line.js';
export { slipEncode, slipFramer, type SlipFramerOptions } from './slip.js';
export { DEFAULT_MAX_LENGTH, type Frame, type FrameErrorCode, type Framer } from './types.js';
