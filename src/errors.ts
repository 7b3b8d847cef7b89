/**
 * An error meant for the person at the terminal: its message is one complete line, printed without a stack trace.
 * Any stage may throw it; the CLI prints `rdbscope: <message>` and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
