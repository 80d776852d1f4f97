import type { Dispatcher, FormData } from 'undici';

/** An answer read whole: the status, the headers and the body as text. */
export interface BufferedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Why a buffered request failed: the error, whether the deadline passed, and the status if the answer had begun. */
export class BufferedFailure {
  /** `status`: the answer's status once it had begun (0 before). */
  constructor(readonly error: unknown, readonly timedOut: boolean, readonly status: number) {}
}

export interface BufferedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  /** JSON text, or a multipart form (undici streams its parts and sets the content type). */
  body?: string | FormData;
  /** The whole attempt — the answer and its body — must end within this. */
  deadlineMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * One request whose answer is read whole, through undici's dispatcher directly: no body stream,
 * no AbortController, no listener on a signal of our own — `request()` + `body.text()` built all
 * three on every call, about 40 % of the client-side CPU of a small JSON request. Resolves with
 * the answer (any status) or rejects with a BufferedFailure; the body is decoded as undici's
 * `text()` does (UTF-8, a leading BOM skipped).
 */
export function bufferedRequest(dispatcher: Dispatcher, r: BufferedRequest): Promise<BufferedAnswer> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let abortReason: unknown = null;
    let timedOut = false;
    let status = 0;
    let headers: BufferedAnswer['headers'] = {};
    const chunks: Buffer[] = [];
    let length = 0;
    const abort = (reason: unknown): void => {
      if (controller) controller.abort(reason as Error);
      else abortReason ??= reason; // still queued for a connection: aborted once it gets one
    };
    const onOuter = (): void => abort(r.signal!.reason);
    const timer = setTimeout(() => {
      timedOut = true;
      abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, r.deadlineMs);
    timer.unref();
    const settle = (): void => {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onOuter);
    };
    if (r.signal?.aborted) abortReason = r.signal.reason;
    else r.signal?.addEventListener('abort', onOuter, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (abortReason !== null) c.abort(abortReason as Error);
      },
      onResponseStart(_c, statusCode, h) {
        status = statusCode;
        headers = h as BufferedAnswer['headers'];
      },
      onResponseData(_c, chunk) {
        chunks.push(chunk);
        length += chunk.length;
      },
      onResponseEnd() {
        settle();
        resolve({ status, headers, text: decode(chunks, length) });
      },
      onResponseError(_c, err) {
        settle();
        reject(new BufferedFailure(err, timedOut, status));
      },
    };
    const { origin, pathname, search } = r.url;
    dispatcher.dispatch({ origin, path: pathname + search, method: r.method as Dispatcher.HttpMethod, headers: r.headers, ...(r.body === undefined ? {} : { body: r.body }) }, handler);
  });
}

function decode(chunks: Buffer[], length: number): string {
  if (length === 0) return '';
  const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  const bom = buf.length > 2 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  return buf.toString('utf8', bom ? 3 : 0);
}
