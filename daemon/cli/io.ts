// What a CLI command may touch of the process: output streams, environment, working directory. Injected so
// tests run commands in-process and read what they printed.

export interface CliIo {
  /** Writes to standard output (results: `ok: …`, the JSON Schema). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error (errors, hints, usage). */
  readonly stderr: (text: string) => void;
  /** Environment for ${…} substitution. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved from. */
  readonly cwd: string;
}

/** The real process's streams, environment and working directory. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}
