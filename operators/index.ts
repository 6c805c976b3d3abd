// Public API of the pure micro-batch engine (Spark Streaming's DStream model): no I/O, no timers, time injected.
export { StreamingContext, type StreamingContextOptions, type StartOptions } from './context.js';
export { DStream, type Batch, type OperatorState } from './dstream.js';
export { ManualClock, type Clock } from './clock.js';
export { EngineError, type EngineErrorCode } from './engine-error.js';
export { KeyMap, keyId } from './keys.js';
export type { QueueStreamOptions } from './inputs/queue-stream.js';
export { StateSpec, State, type MappingFunction } from './state/state-spec.js';
export type { MapWithStateDStream } from './state/map-with-state.js';
export type { UpdateFunction, UpdateStateOptions } from './state/update-state-by-key.js';
export type { Checkpoint, OperatorSnapshot, RestoreReport } from './state/checkpoint.js';
export { MemoryStateStore, type StateStore } from './state/state-store.js';
export { collectList, reducing, type Aggregator } from './aggregator.js';
export type { EventTimeWindowOptions } from './event-time/event-time-window.js';
export type { SessionWindowOptions } from './event-time/session-window.js';
export type { EventWindowedDStream, WindowResult } from './event-time/window-result.js';
