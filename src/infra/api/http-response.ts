import type { Dispatcher } from 'undici';

/** What the `http` handler resolves with; it becomes the task's stored result. */
export interface HttpResult {
  status: number;
  /** Parsed JSON when the response says it is JSON, else the text; `null` when empty. */
  body: unknown;
}

type Body = Dispatcher.ResponseData['body'];

const JSON_TYPE = /^(?:application|text)\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * 408 and 429 say "not now", 5xx says "not my fault": all worth another try. Every other
 * non-2xx (most 4xx, and 3xx, which a POST to an API is not meant to get) is a verdict on
 * the request itself and repeating it cannot help.
 *
 * @example
 * isRetryableStatus(503) // true
 * isRetryableStatus(422) // false
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Reads a whole 2xx body and decodes it by content-type.
 *
 * @example
 * const res = await pool.request({ path: '/', method: 'POST' });
 * await readResult(res) // { status: 200, body: { ok: true } }
 */
export async function readResult(res: Dispatcher.ResponseData): Promise<HttpResult> {
  const text = await res.body.text();
  if (text === '') return { status: res.statusCode, body: null };
  const type = res.headers['content-type'];
  if (typeof type === 'string' && JSON_TYPE.test(type)) {
    try {
      return { status: res.statusCode, body: JSON.parse(text) };
    } catch {
      // The call succeeded and its side effect happened; a retry would only replay the same
      // stored response. Keeping the text makes the result inspectable instead of failing the task.
    }
  }
  return { status: res.statusCode, body: text };
}

/**
 * Reads the start of a body as one line of text, at most `maxBytes` of it, and drains the
 * rest. Draining matters: a body left unread pins the keep-alive connection, so the pool
 * would open a new one for every failed call.
 *
 * @example
 * await readExcerpt(res.body, 200) // 'field `email` is required'
 */
export async function readExcerpt(body: Body, maxBytes: number): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (keptBytes < maxBytes) {
      const part = chunk.subarray(0, maxBytes - keptBytes);
      kept.push(part);
      keptBytes += part.length;
      if (part.length < chunk.length) truncated = true;
    } else if (chunk.length > 0) {
      truncated = true;
    }
  }
  // A cut through a multi-byte character decodes to U+FFFD; drop it rather than show it.
  let text = Buffer.concat(kept).toString('utf8').replace(/\uFFFD$/, '');
  text = text.replace(/\s+/g, ' ').trim();
  return truncated && text ? `${text}…` : text;
}
