// How errors look on the terminal: the code and message, every issue as `file:line:column: key.path: what` with
// its hint below (the file:line:column prefix is clickable in editors and terminals), then the general hint.
import { isSluiceError, type ErrorIssue } from '../errors.js';

export function formatIssue(issue: ErrorIssue): string {
  const where =
    issue.file === undefined
      ? ''
      : `${issue.file}${issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`}: `;
  const path = issue.path === '' ? '' : `${issue.path}: `;
  const hint = issue.hint === undefined ? '' : `\n    hint: ${issue.hint}`;
  return `  ${where}${path}${issue.message}${hint}\n`;
}

/** The text the CLI prints for a thrown error. Unknown errors are reported as internal errors (a bug). */
export function formatError(error: unknown): string {
  if (isSluiceError(error)) {
    const issues = error.issues.map(formatIssue).join('');
    return `error[${error.code}]: ${error.message}\n${issues}hint: ${error.hint}\n`;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `error[SLUICE_INTERNAL]: ${message}\nhint: This is a bug in Sluice: please report it with the command and the config that caused it.\n`;
}
