// Command-line flags of the benchmarks and the soak: `--name=value` (or `--name value`).

/** The value of `--name=value` or `--name value`, or undefined when the flag is absent. */
export function textFlag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
    if (a === `--${name}` && argv[i + 1] !== undefined) return argv[i + 1];
  }
  return undefined;
}

/** A numeric flag, or fallback when it is absent. */
export function numberFlag(argv: readonly string[], name: string, fallback: number): number {
  const text = textFlag(argv, name);
  return text === undefined ? fallback : Number(text);
}
