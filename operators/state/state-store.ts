// Where checkpoints live. The engine defines the interface and an in-memory store; the daemon's LevelDB store
// implements the same interface and writes a checkpoint in the same atomic batch as the outputs.
import type { Checkpoint } from './checkpoint.js';

export interface StateStore {
  /** Stores a checkpoint, replacing the previous one. */
  save(checkpoint: Checkpoint): Promise<void>;
  /** The last saved checkpoint, or undefined when there is none. */
  load(): Promise<Checkpoint | undefined>;
}

/** Keeps the checkpoint as JSON text, so a state that does not survive JSON fails here as it would on disk. */
export class MemoryStateStore implements StateStore {
  private text: string | undefined;

  save(checkpoint: Checkpoint): Promise<void> {
    this.text = JSON.stringify(checkpoint);
    return Promise.resolve();
  }

  load(): Promise<Checkpoint | undefined> {
    return Promise.resolve(this.text === undefined ? undefined : (JSON.parse(this.text) as Checkpoint));
  }
}
