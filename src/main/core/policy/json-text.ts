/**
 * Strict JSON reading for policy files. `JSON.parse` alone reports only a character offset (and on
 * some Node versions quotes the start of the text) and silently keeps the last of duplicate keys,
 * which would let a forgotten second `"gracePeriodHours"` win unseen. This scanner checks the
 * grammar (RFC 8259) first, reporting line and column, and lists duplicate keys; the value itself
 * then comes from `JSON.parse`.
 */

export type JsonPath = readonly (string | number)[];

export class JsonTextError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'JsonTextError';
  }
}

export interface StrictJson {
  value: unknown;
  /** Paths of keys that appear more than once in the same object. */
  duplicateKeys: JsonPath[];
}

const MAX_DEPTH = 64;

/** Parses `text` as JSON (after any byte-order mark has been removed); throws JsonTextError. */
export function parseJsonStrict(text: string): StrictJson {
  const scanner = new Scanner(text);
  scanner.skipWhitespace();
  if (scanner.atEnd()) scanner.fail('the file is empty; a policy is a JSON object');
  scanner.value([], 0);
  scanner.skipWhitespace();
  if (!scanner.atEnd()) scanner.fail(`unexpected ${scanner.describeHere()} after the end of the JSON value`);
  return { value: JSON.parse(text) as unknown, duplicateKeys: scanner.duplicateKeys };
}

/** `pin.minLength`, `allowedAlgorithms[1]`, `endpoints["odd key"]`. Empty path: `(document)`. */
export function formatJsonPath(path: JsonPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += (out === '' ? '' : '.') + segment;
    else out += `[${JSON.stringify(segment.length > 40 ? segment.slice(0, 40) + '...' : segment)}]`;
  }
  return out === '' ? '(document)' : out;
}

class Scanner {
  private index = 0;
  readonly duplicateKeys: JsonPath[] = [];

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.index >= this.text.length;
  }

  skipWhitespace(): void {
    while (!this.atEnd()) {
      const c = this.text[this.index];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.index++;
      else if (c === '/' && (this.text[this.index + 1] === '/' || this.text[this.index + 1] === '*'))
        this.fail('comments are not allowed in JSON');
      else return;
    }
  }

  value(path: JsonPath, depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`);
    this.skipWhitespace();
    if (this.atEnd()) this.fail('unexpected end of file: expected a value');
    const c = this.text[this.index];
    if (c === '{') return this.object(path, depth);
    if (c === '[') return this.array(path, depth);
    if (c === '"') return void this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.index)) {
        this.index += literal.length;
        return;
      }
    }
    if (c === "'") this.fail('strings must use double quotes');
    this.fail(`unexpected ${this.describeHere()}: expected a value`);
  }

  private object(path: JsonPath, depth: number): void {
    this.index++; // {
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.peek() === '}') {
      this.index++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.atEnd()) this.fail("unexpected end of file: expected a key or '}'");
      const c = this.peek();
      if (c === '}') this.fail("trailing comma before '}'");
      if (c === "'") this.fail('keys must use double quotes');
      if (c !== '"') this.fail(`unexpected ${this.describeHere()}: expected a key in double quotes`);
      const key = this.string();
      if (seen.has(key)) this.duplicateKeys.push([...path, key]);
      seen.add(key);
      this.skipWhitespace();
      if (this.peek() !== ':')
        this.fail(this.atEnd() ? "unexpected end of file: expected ':'" : `unexpected ${this.describeHere()}: expected ':' after the key`);
      this.index++;
      this.value([...path, key], depth + 1);
      this.skipWhitespace();
      const next = this.peek();
      if (next === ',') {
        this.index++;
        continue;
      }
      if (next === '}') {
        this.index++;
        return;
      }
      this.fail(
        this.atEnd()
          ? "unexpected end of file: expected ',' or '}'"
          : `unexpected ${this.describeHere()}: expected ',' or '}' (is a comma missing?)`,
      );
    }
  }

  private array(path: JsonPath, depth: number): void {
    this.index++; // [
    this.skipWhitespace();
    if (this.peek() === ']') {
      this.index++;
      return;
    }
    for (let i = 0; ; i++) {
      this.skipWhitespace();
      if (this.peek() === ']') this.fail("trailing comma before ']'");
      this.value([...path, i], depth + 1);
      this.skipWhitespace();
      const next = this.peek();
      if (next === ',') {
        this.index++;
        continue;
      }
      if (next === ']') {
        this.index++;
        return;
      }
      this.fail(
        this.atEnd()
          ? "unexpected end of file: expected ',' or ']'"
          : `unexpected ${this.describeHere()}: expected ',' or ']' (is a comma missing?)`,
      );
    }
  }

  /** Scans a string token starting at `"` and returns its decoded value. */
  private string(): string {
    const start = this.index;
    this.index++; // "
    for (;;) {
      if (this.atEnd()) {
        this.index = start;
        this.fail('string is never closed (missing ")');
      }
      const c = this.text[this.index] as string;
      if (c === '"') break;
      if (c < ' ') this.fail(c === '\n' ? 'line break inside a string (missing closing "?)' : 'control character inside a string');
      if (c === '\\') {
        const e = this.text[this.index + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.index + 2, this.index + 6)))
            this.fail('\\u must be followed by four hex digits');
          this.index += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          const shown =
            e === undefined
              ? '\\'
              : e >= ' ' && e <= '~'
                ? '\\' + e
                : `\\ + U+${e.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
          this.fail(`invalid escape ${shown} in a string (a Windows path needs \\\\ for each \\)`);
        }
        this.index += 2;
        continue;
      }
      this.index++;
    }
    this.index++; // closing "
    return JSON.parse(this.text.slice(start, this.index)) as string;
  }

  private number(): void {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.index, this.index + 400));
    if (!match) this.fail(`unexpected ${this.describeHere()}: expected a number`);
    const end = this.index + match[0].length;
    const after = this.text[end];
    if (after !== undefined && /[0-9.eE+\-a-zA-Z_]/.test(after)) {
      this.index = end;
      this.fail(
        match[1] === '0' && /[0-9]/.test(after) ? 'numbers must not have leading zeros' : `unexpected ${this.describeHere()} in a number`,
      );
    }
    this.index = end;
  }

  private peek(): string | undefined {
    return this.text[this.index];
  }

  describeHere(): string {
    const c = this.text[this.index];
    if (c === undefined) return 'end of file';
    if (c >= ' ' && c <= '~') return `character '${c}'`;
    return `character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }

  fail(reason: string): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < this.index && i < this.text.length; i++) {
      if (this.text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonTextError(line, this.index - lineStart + 1, reason);
  }
}
