import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../../infra/errors.js';
import { HttpProblem } from './respond.js';

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
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new HttpProblem(415, ErrorCode.UnsupportedMediaType, `Expected a JSON body (content-type: application/json), got content-type \`${type}\``);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpProblem(400, ErrorCode.InvalidJson, 'Expected a JSON body, got an empty one');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, ErrorCode.InvalidJson, `The body is not valid JSON: ${(err as Error).message}`);
  }
}

function tooLarge(limit: number): HttpProblem {
  // `connection: close` makes Node end the connection once the answer is out, rather than
  // reading (and discarding) the rest of an upload that may never end.
  return new HttpProblem(413, ErrorCode.BodyTooLarge, `The body is larger than the limit of ${limit} bytes`, { connection: 'close' });
}
