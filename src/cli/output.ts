/**
 * How the CLI prints: one JSON document on stdout with `--json`, tidy lines and tables
 * for people otherwise. Errors always go to stderr; with `--json` stdout also gets
 * `{"error":{code,message,field?}}`, so a script that reads stdout sees every outcome.
 */
import { errorBody } from '../infra/errors.js';

/** Where the CLI writes; process streams in production, buffers in a test. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * The printer a command gets.
 *
 * @example
 * out.result(stats, () => `dead ${stats.dead}`);
 */
export class Output {
  readonly json: boolean;
  readonly #io: Io;

  constructor(io: Io, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** Prints a command's result: `value` as JSON, or the lines `human()` makes. */
  result(value: unknown, human: () => string): void {
    this.#io.stdout.write(this.json ? `${JSON.stringify(value)}\n` : ensureNewline(human()));
  }

  /** Prints a failure: the message on stderr, and with `--json` an error document on stdout. */
  error(err: { code?: unknown; message: string }): void {
    const body = errorBody(err);
    this.#io.stderr.write(`tasklane: ${body.error.code}: ${body.error.message}\n`);
    if (this.json) this.#io.stdout.write(`${JSON.stringify(body)}\n`);
  }

  /** A note for people (warnings, hints); never on stdout, so `--json` stays one document. */
  note(text: string): void {
    this.#io.stderr.write(ensureNewline(text));
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * `label  value` lines with the values aligned; rows whose value is undefined are left out.
 *
 * @example
 * fields([['id', 'a'], ['owner', undefined]]) // 'id     a\n'
 */
export function fields(rows: ReadonlyArray<readonly [string, string | number | undefined]>): string {
  const shown = rows.filter((row): row is readonly [string, string | number] => row[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length)) + 2;
  return shown.map(([label, value]) => `${label.padEnd(width)}${value}\n`).join('');
}

/**
 * A table with a header row and columns padded to their widest cell; the last column is not padded.
 *
 * @example
 * table(['ID', 'LANE'], [['a', 'short']]) // 'ID  LANE\na   short\n'
 */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/**
 * A server-clock millisecond time as ISO 8601, or undefined.
 *
 * @example
 * time(0) // '1970-01-01T00:00:00.000Z'
 */
export function time(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * Shortens text for a table cell, on one line.
 *
 * @example
 * clip('a\nb', 10) // 'a b'
 */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
