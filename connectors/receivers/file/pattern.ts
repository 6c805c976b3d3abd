// File-name globs for the file receiver: `*`, `?`, `[abc]`/`[!a-z]` and `{csv,txt}`, matched against a whole
// name (no `/`). Leading dots are special as in a shell: `*` does not match `.hidden`.

export type NamePattern = { ok: true; test: (name: string) => boolean } | { ok: false; message: string };

/** Compiles a glob on file names. */
export function namePattern(glob: string): NamePattern {
  if (glob.includes('/'))
    return { ok: false, message: 'a pattern matches file names: it cannot contain "/"' };
  let source = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) return { ok: false, message: `"[" at ${i} has no closing "]"` };
      let set = glob.slice(i + 1, end);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      source += `[${set.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      braces++;
      source += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (c === ',' && braces > 0) source += '|';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  if (braces > 0) return { ok: false, message: '"{" has no closing "}"' };
  let regex: RegExp;
  try {
    regex = new RegExp(`^${source}$`, 'u');
  } catch (err) {
    return { ok: false, message: `not a valid pattern: ${(err as Error).message}` };
  }
  const dotOk = glob.startsWith('.');
  return { ok: true, test: (name) => (dotOk || !name.startsWith('.')) && regex.test(name) };
}
