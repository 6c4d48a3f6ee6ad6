import type { DotPath } from './paths.js';

/**
 * A streaming reader for the one thing a JSON feed needs: the elements of one array inside a
 * document of any size, at a dot path (`[]` = the document itself is the array).
 *
 * Feed it text in pieces of any size (`write`); it returns each element of the target array as
 * soon as the element is complete, parsed with JSON.parse. Memory holds one element at a time
 * (plus the keys of the objects on the way to the target); everything else is scanned and
 * dropped. Elements are parsed strictly; the rest of the document is checked for structure
 * (balanced brackets, closed strings, commas and colons in place), not for the spelling of
 * numbers and literals it skips.
 *
 * `end()` reports a document cut short (truncated file, download broken off), a missing target
 * and trailing garbage. Errors are JsonScanError with the character offset.
 */

export class JsonScanError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'JsonScanError';
  }
}

/** Longest element accepted; beyond it the document is treated as broken. */
export const MAX_ELEMENT_CHARS = 16 * 1024 * 1024;

const enum Mode { Struct, Key, SkipString, SkipContainer, SkipLiteral, Capture }

const enum State {
  RootValue, RootDone,
  ObjKeyOrEnd, ObjKey, ObjColon, ObjValue, ObjCommaOrEnd,
  ArrValueOrEnd, ArrValue, ArrCommaOrEnd,
  TargetValueOrEnd, TargetValue,
}

interface Frame {
  array: boolean;
  target: boolean;
  /** Current key (objects) while its value is read. */
  key: string;
  /** Index of the current element (arrays). */
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isLiteralStart(c: number): boolean {
  // - 0-9 t f n
  return c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
}

export class JsonArrayScanner {
  private readonly target: DotPath;
  private readonly maxElementChars: number;
  private stack: Frame[] = [];
  private state: State = State.RootValue;
  private mode: Mode = Mode.Struct;
  /** Offset of the current piece's first character in the whole document. */
  private offset = 0;
  private inString = false;
  private escape = false;
  private depth = 0;
  /** Text of the element (or key) being read, from earlier pieces. */
  private pending = '';
  private sawAnything = false;
  private bom = true;
  /** True once the target array was entered. */
  found = false;
  /** Elements returned so far. */
  count = 0;

  constructor(target: DotPath, options: { maxElementChars?: number } = {}) {
    this.target = target;
    this.maxElementChars = options.maxElementChars ?? MAX_ELEMENT_CHARS;
  }

  /** Scan the next piece of the document; returns the target's elements completed in it, in order. */
  write(text: string): unknown[] {
    const out: unknown[] = [];
    let i = 0;
    if (this.bom && text.length > 0) {
      this.bom = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    const n = text.length;
    let start = i; // where the element or key being read starts in this piece
    while (i < n) {
      switch (this.mode) {
        case Mode.Capture: {
          // Hot loop: the characters of the target's elements.
          let { inString, escape, depth } = this;
          let end = -1;
          for (; i < n; i++) {
            const c = text.charCodeAt(i);
            if (inString) {
              if (escape) escape = false;
              else if (c === BACKSLASH) escape = true;
              else if (c === QUOTE) inString = false;
            } else if (c === QUOTE) inString = true;
            else if (c === LBRACE || c === LBRACKET) depth++;
            else if (c === RBRACE || c === RBRACKET) {
              if (depth === 0) { end = i; break; }
              depth--;
            } else if (c === COMMA && depth === 0) { end = i; break; }
          }
          this.inString = inString;
          this.escape = escape;
          this.depth = depth;
          if (end < 0) break;
          const raw = this.pending + text.slice(start, end);
          this.pending = '';
          this.element(raw, end, out);
          const c = text.charCodeAt(end);
          if (c === COMMA) {
            this.mode = Mode.Struct;
            this.state = State.TargetValue;
          } else if (c === RBRACKET) {
            this.mode = Mode.Struct;
            this.close(end);
          } else {
            throw this.error(`expected "," or "]" after an element, found "}"`, end);
          }
          i = end + 1;
          break;
        }
        case Mode.Key: {
          let { escape } = this;
          let end = -1;
          for (; i < n; i++) {
            const c = text.charCodeAt(i);
            if (escape) escape = false;
            else if (c === BACKSLASH) escape = true;
            else if (c === QUOTE) { end = i; break; }
          }
          this.escape = escape;
          if (end < 0) break;
          const raw = this.pending + text.slice(start, end);
          this.pending = '';
          let key: string;
          try {
            key = JSON.parse(`"${raw}"`) as string;
          } catch {
            throw this.error('malformed object key', end);
          }
          (this.stack[this.stack.length - 1] as Frame).key = key;
          this.mode = Mode.Struct;
          this.state = State.ObjColon;
          i = end + 1;
          break;
        }
        case Mode.SkipString: {
          let { escape } = this;
          for (; i < n; i++) {
            const c = text.charCodeAt(i);
            if (escape) escape = false;
            else if (c === BACKSLASH) escape = true;
            else if (c === QUOTE) break;
          }
          this.escape = escape;
          if (i < n) { i++; this.mode = Mode.Struct; this.afterValue(); }
          break;
        }
        case Mode.SkipContainer: {
          let { inString, escape, depth } = this;
          for (; i < n && depth > 0; i++) {
            const c = text.charCodeAt(i);
            if (inString) {
              if (escape) escape = false;
              else if (c === BACKSLASH) escape = true;
              else if (c === QUOTE) inString = false;
            } else if (c === QUOTE) inString = true;
            else if (c === LBRACE || c === LBRACKET) depth++;
            else if (c === RBRACE || c === RBRACKET) depth--;
          }
          this.inString = inString;
          this.escape = escape;
          this.depth = depth;
          if (depth === 0) { this.mode = Mode.Struct; this.afterValue(); }
          break;
        }
        case Mode.SkipLiteral: {
          for (; i < n; i++) {
            const c = text.charCodeAt(i);
            if (c === COMMA || c === RBRACE || c === RBRACKET || isSpace(c)) break;
          }
          if (i < n) { this.mode = Mode.Struct; this.afterValue(); }
          break;
        }
        case Mode.Struct: {
          const c = text.charCodeAt(i);
          if (isSpace(c)) { i++; break; }
          this.sawAnything = true;
          const at = this.offset + i;
          switch (this.state) {
            case State.RootValue:
            case State.ObjValue:
            case State.ArrValue:
              i = this.startValue(c, i);
              start = i;
              break;
            case State.ArrValueOrEnd:
              if (c === RBRACKET) { this.close(i); i++; } else { i = this.startValue(c, i); start = i; }
              break;
            case State.RootDone:
              throw this.error('unexpected data after the end of the JSON document', i);
            case State.ObjKeyOrEnd:
            case State.ObjKey:
              if (c === QUOTE) { this.mode = Mode.Key; this.escape = false; i++; start = i; break; }
              if (c === RBRACE && this.state === State.ObjKeyOrEnd) { this.close(i); i++; break; }
              throw this.error(`expected an object key, found ${describe(c)}`, i);
            case State.ObjColon:
              if (c !== COLON) throw this.error(`expected ":" after an object key, found ${describe(c)}`, i);
              this.state = State.ObjValue;
              i++;
              break;
            case State.ObjCommaOrEnd:
              if (c === COMMA) { this.state = State.ObjKey; i++; break; }
              if (c === RBRACE) { this.close(i); i++; break; }
              throw this.error(`expected "," or "}" in an object, found ${describe(c)}`, i);
            case State.ArrCommaOrEnd:
              if (c === COMMA) { (this.stack[this.stack.length - 1] as Frame).index++; this.state = State.ArrValue; i++; break; }
              if (c === RBRACKET) { this.close(i); i++; break; }
              throw this.error(`expected "," or "]" in an array, found ${describe(c)}`, i);
            case State.TargetValueOrEnd:
              if (c === RBRACKET) { this.close(i); i++; break; }
              this.startCapture();
              start = i;
              break;
            case State.TargetValue:
              if (c === RBRACKET) throw this.error('expected an element after ",", found "]"', i);
              this.startCapture();
              start = i;
              break;
            default:
              throw new JsonScanError(`internal scanner state ${this.state as number}`, at);
          }
          break;
        }
      }
    }
    // Keep the unfinished element or key for the next piece.
    if (this.mode === Mode.Capture || this.mode === Mode.Key) {
      this.pending += text.slice(start);
      if (this.pending.length > this.maxElementChars) {
        throw this.error(`an element is longer than ${Math.round(this.maxElementChars / 1024 / 1024)} MiB characters: not a feed this reader accepts`, n);
      }
    }
    this.offset += n;
    return out;
  }

  /** The input is complete. Throws JsonScanError when the document is incomplete or holds no target array. */
  end(): void {
    if (this.mode === Mode.SkipLiteral) { this.mode = Mode.Struct; this.afterValue(); }
    if (!this.sawAnything) throw new JsonScanError('the document is empty', this.offset);
    if (this.mode !== Mode.Struct || this.state !== State.RootDone) {
      const inside = this.mode === Mode.Capture ? 'inside an element' : this.mode === Mode.Key ? 'inside an object key' : 'before the document is closed';
      throw new JsonScanError(`the JSON document is truncated: it ends ${inside} (after ${this.offset} characters)`, this.offset);
    }
    if (!this.found) {
      throw new JsonScanError(this.target.length === 0 ? 'the document is not an array' : 'no array at this path', this.offset);
    }
  }

  private startValue(c: number, i: number): number {
    const d = this.stack.length;
    const top = this.stack[d - 1];
    const onPath = d === 0 || (top !== undefined && (top.array ? String(top.index) : top.key) === this.target[d - 1]);
    if (onPath && d === this.target.length && !this.found) {
      if (c !== LBRACKET) {
        throw this.error(this.target.length === 0
          ? `the document is ${describeValue(c)}, not an array (set itemsPath to the array of items)`
          : `the value at this path is ${describeValue(c)}, not an array`, i);
      }
      this.found = true;
      this.stack.push({ array: true, target: true, key: '', index: 0 });
      this.state = State.TargetValueOrEnd;
      return i + 1;
    }
    if (onPath && d < this.target.length && (c === LBRACE || c === LBRACKET)) {
      this.stack.push({ array: c === LBRACKET, target: false, key: '', index: 0 });
      this.state = c === LBRACE ? State.ObjKeyOrEnd : State.ArrValueOrEnd;
      return i + 1;
    }
    if (c === LBRACE || c === LBRACKET) {
      this.mode = Mode.SkipContainer;
      this.depth = 1;
      this.inString = false;
      this.escape = false;
      return i + 1;
    }
    if (c === QUOTE) {
      this.mode = Mode.SkipString;
      this.escape = false;
      return i + 1;
    }
    if (isLiteralStart(c)) {
      this.mode = Mode.SkipLiteral;
      return i + 1;
    }
    throw this.error(`unexpected ${describe(c)}`, i);
  }

  private startCapture(): void {
    this.mode = Mode.Capture;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.pending = '';
  }

  private element(raw: string, at: number, out: unknown[]): void {
    const text = raw.trim();
    if (text === '') throw this.error('empty element in the array', at);
    if (text.length > this.maxElementChars) throw this.error('an element is too long', at);
    try {
      out.push(JSON.parse(text));
    } catch (err) {
      throw this.error(`malformed element ${this.count + 1}: ${(err as Error).message}`, at);
    }
    this.count++;
  }

  /** Close the innermost container (its closing bracket is at `i`). */
  private close(i: number): void {
    const frame = this.stack.pop();
    if (frame === undefined) throw this.error('unbalanced closing bracket', i);
    this.afterValue();
  }

  private afterValue(): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) this.state = State.RootDone;
    else this.state = top.array ? State.ArrCommaOrEnd : State.ObjCommaOrEnd;
  }

  private error(message: string, i: number): JsonScanError {
    const at = this.offset + i;
    return new JsonScanError(`malformed JSON at character ${at}: ${message}`, at);
  }
}

function describe(c: number): string {
  return Number.isNaN(c) ? 'the end' : JSON.stringify(String.fromCharCode(c));
}

function describeValue(c: number): string {
  if (c === LBRACE) return 'an object';
  if (c === QUOTE) return 'a string';
  return 'a number or literal';
}
