import type { IncomingMessage } from 'node:http';
import { ErrorCode, TasklaneError } from '../../infra/errors.js';
import { findNonFinite, nonFinite } from '../../infra/finite.js';
import { HttpProblem } from './respond.js';

/**
 * The client went away before its upload was complete (closed the connection, or the
 * request was aborted). Not a fault of the server: logged at debug, never answered.
 *
 * @example
 * if (err instanceof ClientAbortError) log.debug({ url }, 'http: client aborted the upload');
 */
export class ClientAbortError extends TasklaneError {
  constructor(cause: unknown) {
    super(ErrorCode.ClientAborted, 'the client aborted the request before its body was complete', { cause });
    this.name = 'ClientAbortError';
  }
}

/**
 * Default request body limit: the queue's default payload limit, and a little room for the rest of a task.
 *
 * @example
 * createOperatorServer({ queue, bodyLimitBytes: 4 * DEFAULT_BODY_LIMIT_BYTES }); // room for batches
 */
export const DEFAULT_BODY_LIMIT_BYTES = (1 << 20) + 64 * 1024;

/**
 * Reads a JSON request body of at most `limit` bytes. A declared Content-Length over the
 * limit is refused before anything is read; a body that grows past it while streaming is
 * refused as soon as it does, so an endless upload costs at most `limit` bytes of memory.
 *
 * @example
 * const input = await readJsonBody(req, 1 << 20);
 */
export async function readJsonBody(req: IncomingMessage, limit: number, { optional = false }: { optional?: boolean } = {}): Promise<unknown> {
  checkEncoding(req.headers['content-encoding']);
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new HttpProblem(415, ErrorCode.UnsupportedMediaType, `Expected a JSON body (content-type: application/json), got content-type \`${type}\``);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof HttpProblem || req.complete) throw err;
    throw new ClientAbortError(err);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new HttpProblem(400, ErrorCode.InvalidJson, 'Expected a JSON body, got an empty one');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, ErrorCode.InvalidJson, `The body is not valid JSON: ${(err as Error).message}`);
  }
  // JSON.parse reads 1e309 as Infinity, which JSON.stringify would later write as null.
  const found = findNonFinite(body, Array.isArray(body) ? 'inputs' : '');
  if (found) throw nonFinite(found.path || 'body', found.value);
  return body;
}

/**
 * Only an unencoded body is read: a compressed one would otherwise be parsed as if it were
 * JSON text (and fail, or worse, pass). `identity` is no encoding at all.
 */
function checkEncoding(header: string | undefined): void {
  if (header === undefined) return;
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return;
  throw new HttpProblem(415, ErrorCode.UnsupportedEncoding, `Expected an unencoded body (content-encoding absent or \`identity\`), got content-encoding \`${header.slice(0, 100)}\``, { 'accept-encoding': 'identity' });
}

function tooLarge(limit: number): HttpProblem {
  // `connection: close` makes Node end the connection once the answer is out, rather than
  // reading (and discarding) the rest of an upload that may never end.
  return new HttpProblem(413, ErrorCode.BodyTooLarge, `The body is larger than the limit of ${limit} bytes`, { connection: 'close' });
}
