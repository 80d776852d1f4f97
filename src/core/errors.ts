/**
 * Errors with two audiences: `message` is safe to show the model and ends with a recovery hint;
 * `detail` is internal and goes to logs only. `code` is stable so callers branch on it, not on text.
 */
export type ErrorCode =
  | 'invalid_arguments'
  | 'unknown_tool'
  | 'tool_vanished'
  | 'not_found'
  | 'config'
  | 'usage'
  | 'workflow_load'
  | 'run_failed'
  | 'cancelled'
  | 'timeout'
  | 'unsupported'
  | 'auth'
  | 'forbidden'
  | 'conflict'
  | 'invalid'
  | 'rate_limited'
  | 'upstream'
  | 'connection'
  | 'aborted'
  | 'bad_response'
  | 'outcome_unknown'
  | 'internal';

export class WorkflowError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, options: { detail?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkflowError';
    this.code = code;
    this.detail = options.detail;
  }
}

export function isWorkflowError(err: unknown): err is WorkflowError {
  return err instanceof WorkflowError;
}

/** A message fit for the model: our own errors as they are, anything else as an internal failure. */
export function publicMessage(err: unknown): string {
  if (isWorkflowError(err)) return err.message;
  return 'Internal error in workflows-mcp; the server log has the details. Try again, or report it if it persists.';
}

/** Everything we know, for the log (redact before writing). */
export function internalDetail(err: unknown): string {
  if (isWorkflowError(err)) return [err.code, err.message, err.detail].filter(Boolean).join(' | ');
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
