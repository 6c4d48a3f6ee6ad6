/**
 * What a configuration file's syntax error may say: file, line, column and the parser's
 * one-line reason. Never the parsers' code frames or quoted excerpts: they show the lines
 * around the error, which in a config file hold the credentials (REVIEW #8), and secrets are
 * only registered for redaction after a successful parse.
 */

export interface SyntaxLocation {
  line: number;
  column: number;
}

/**
 * `<file>:<line>:<column>: <reason>` for an error cosmiconfig threw while reading `file`, or
 * `<file>: <reason>` when the parser names no position. `text` is the file's content (read
 * again by the caller) for locating JSON errors; undefined when it cannot be read.
 */
export function describeConfigSyntaxError(err: unknown, file: string, text: string | undefined): string {
  const e = (err ?? {}) as { name?: string; reason?: unknown; mark?: { line?: unknown; column?: unknown }; message?: unknown };
  let reason: string;
  let at: SyntaxLocation | undefined;
  if (e.name === 'YAMLException' && typeof e.reason === 'string') {
    // js-yaml: 0-based mark, reason without the snippet, but quoting an alias or tag it could not
    // resolve: an unquoted `password: *Xy12` or `!Xy12` is read as one.
    reason = e.reason.replace(/\s*"[^"]*"/g, '').replace(/\s*!<[^>]*>/g, '').trim() || 'invalid YAML';
    if (typeof e.mark?.line === 'number' && typeof e.mark.column === 'number') at = { line: e.mark.line + 1, column: e.mark.column + 1 };
  } else if (e.name === 'JSONError' && text !== undefined) {
    // parse-json quotes the text it failed on; parse again for V8's own reason and position.
    const located = locateJsonError(text);
    reason = located?.reason ?? 'invalid JSON';
    at = located?.at;
  } else if (/\.[cm]?js$/i.test(file) && typeof e.message === 'string') {
    // A JS config (.invsyncrc.js, invsync.config.js): V8 names the code it failed on
    // (`Unexpected identifier 'cs_…'`, `cs_… is not defined`), which is the config's own text.
    reason = withoutCode(firstLine(e.message));
    at = jsLocation((err as { stack?: unknown }).stack, file);
  } else {
    reason = firstLine(String(e.message ?? err));
  }
  return `${file}${at ? `:${at.line}:${at.column}` : ''}: ${maskSecretLike(withoutExcerpt(reason))}`;
}

/** `Unexpected identifier 'x'` → `Unexpected identifier`; `x.y is not defined` → `a name is not defined`. */
export function withoutCode(reason: string): string {
  return reason
    .replace(/\s*(['"`]).*?\1/g, '')
    .replace(/^\S+ is not (defined|a function|a constructor|iterable)/, 'a name is not $1')
    .replace(/\s*\(reading\s*\)/, '')
    .trim() || 'invalid JavaScript';
}

/**
 * Where a JS config failed, from its error's stack: a CommonJS syntax error starts with
 * `<file>:<line>`, the offending line and a caret under the token; a runtime error has a frame
 * `<file>:<line>:<column>`. Only the numbers are kept.
 */
function jsLocation(stack: unknown, file: string): SyntaxLocation | undefined {
  if (typeof stack !== 'string') return undefined;
  const lines = stack.split('\n');
  const head = lines[0] ?? '';
  if (head.startsWith(`${file}:`)) {
    const line = Number(head.slice(file.length + 1));
    const caret = lines[2] ?? '';
    const column = caret.indexOf('^');
    if (Number.isInteger(line) && line > 0) return { line, column: column >= 0 ? column + 1 : 1 };
  }
  for (const frame of lines) {
    const i = frame.indexOf(`${file}:`);
    if (i < 0) continue;
    const m = /^(\d+):(\d+)/.exec(frame.slice(i + file.length + 1));
    if (m) return { line: Number(m[1]), column: Number(m[2]) };
  }
  return undefined;
}

/** V8's reason and the 1-based line/column of the first JSON syntax error in `text`; undefined when it parses. */
export function locateJsonError(text: string): { reason: string; at?: SyntaxLocation } | undefined {
  const error = jsonError(text);
  if (error === undefined) return undefined;
  const reason = withoutExcerpt(error.replace(/ in JSON at position \d+.*$/s, '').replace(/ in JSON$/, ''));
  let position = positionOf(error, text.length);
  if (position === undefined && /^Unexpected token/.test(error)) position = unexpectedTokenPosition(text);
  return { reason, at: position === undefined ? undefined : lineColumn(text, position) };
}

function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function positionOf(message: string, length: number): number | undefined {
  const m = / at position (\d+)/.exec(message);
  if (m) return Number(m[1]);
  return /^Unexpected end of JSON input/.test(message) ? length : undefined;
}

/**
 * V8 names no position for an unexpected token. A prefix of the text that ends before the bad
 * character fails only at its end; every longer prefix fails at the bad character: the
 * shortest failing-early prefix is found by bisection.
 */
function unexpectedTokenPosition(text: string): number | undefined {
  const failsEarly = (k: number): boolean => {
    const error = jsonError(text.slice(0, k));
    if (error === undefined) return false;
    const position = positionOf(error, k);
    return position === undefined ? true : position < k;
  };
  if (!failsEarly(text.length)) return undefined;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsEarly(mid)) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, lo - 1);
}

function lineColumn(text: string, position: number): SyntaxLocation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: end - lineStart + 1 };
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0 && !/^>?\s*\d+\s*\|/.test(l)) ?? 'unreadable';
}

/**
 * `Unexpected token 'x', "{"a": x…" is not valid JSON` (V8; the excerpt may start with `..."`)
 * → `Unexpected token 'x'`; parse-json's ` while parsing '…'` goes too.
 */
function withoutExcerpt(reason: string): string {
  return reason.replace(/,\s*(?:\.\.\.)?".*$/s, '').replace(/ while parsing .*$/s, '').trim();
}

/** Belt and braces: a `"…key|secret|password|token…": "value"` pair that still got through loses its value. */
export function maskSecretLike(text: string): string {
  return text.replace(/(["']?[\w.-]*(?:key|secret|password|passwd|token|auth)[\w.-]*["']?\s*[:=]\s*)("[^"]*"?|'[^']*'?|[^\s,}]+)/gi, '$1***');
}
