// Public API of the pure micro-batch engine (Spark Streaming's DStream model): no I/O, no timers, time injected.
export {};
