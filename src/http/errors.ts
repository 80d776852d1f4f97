import { WorkflowError, type ErrorCode } from '../core/errors.js';

const BODY_MAX = 2000;

const HINTS: Partial<Record<ErrorCode, string>> = {
  auth: 'Check the API key in the server configuration.',
  forbidden: 'Check the API key and its permissions in the server configuration.',
  not_found: 'Check the ids; list the tools or runs again.',
  conflict: 'The request does not fit the current state; read the run again before retrying.',
  invalid: 'Fix the arguments named above and call again.',
  rate_limited: 'The platform is rate limiting; wait a little and try again.',
  upstream: 'The platform had a problem; try again later.',
  timeout: 'The platform was too slow to answer; try again later.',
  connection: 'The platform could not be reached; check the network and its base URL.',
};

function statusCode(status: number): ErrorCode {
  if (status === 400 || status === 413 || status === 422) return 'invalid';
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  return 'upstream';
}

/** The platform's own words, from the usual places in an error body. */
function platformMessage(body: string): string | null {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    for (const key of ['message', 'error', 'detail', 'error_description']) {
      const v = json[key];
      if (typeof v === 'string' && v.trim()) return `${v.trim()}${issuesOf(json['errors'])}`.slice(0, 600);
      if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return String((v as { message: string }).message).slice(0, 300);
    }
  } catch {
    // not JSON: fall through
  }
  const text = body.trim();
  return text && text.length <= 300 && !text.startsWith('<') ? text : null;
}

/** Field-level issues (`[{path, message}]`, zod style) as "; a.b: message", at most five. */
function issuesOf(errors: unknown): string {
  if (!Array.isArray(errors)) return '';
  const lines = errors.slice(0, 5).flatMap((e) => {
    if (!e || typeof e !== 'object' || typeof (e as { message?: unknown }).message !== 'string') return [];
    const path = (e as { path?: unknown }).path;
    const where = Array.isArray(path) && path.length ? `${path.join('.')}: ` : '';
    return [`${where}${(e as { message: string }).message}`];
  });
  return lines.length ? ` (${lines.join('; ')})` : '';
}

/** An HTTP failure of one platform: status → stable code in exactly one place. */
export class ProviderError extends WorkflowError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly provider: string,
    readonly status: number | null,
    readonly requestId: string | null,
    detail: string | undefined,
  ) {
    super(code, message, detail === undefined ? {} : { detail });
    this.name = 'ProviderError';
  }

  static fromResponse(provider: string, status: number, headers: Record<string, string | string[] | undefined>, body: string, what: string): ProviderError {
    const code = statusCode(status);
    const said = platformMessage(body);
    const requestId = [headers['x-request-id'], headers['x-amzn-requestid'], headers['request-id']].find((v) => typeof v === 'string') as string | undefined;
    const message = `${provider} answered ${status} to ${what}${said ? `: ${said}` : ''}. ${HINTS[code] ?? ''}`.trim();
    return new ProviderError(code, message, provider, status, requestId ?? null, `body: ${body.slice(0, BODY_MAX)}`);
  }

  static transport(provider: string, code: 'connection' | 'timeout' | 'aborted' | 'outcome_unknown' | 'bad_response', message: string, detail?: string): ProviderError {
    const hint = code === 'outcome_unknown' ? '' : ` ${HINTS[code] ?? ''}`;
    return new ProviderError(code, `${message}${hint}`.trim(), provider, null, null, detail);
  }
}
