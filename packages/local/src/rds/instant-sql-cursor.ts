import { SqlFault, unsupported } from "./instant-sql-fault";
import type { Token } from "./instant-sql-tokens";

export interface Name {
  schema?: string;
  name: string;
  /** As written, for messages (PostgreSQL names the relation as the statement did). */
  shown: string;
}

export class Cursor {
  #at = 0;
  constructor(
    readonly tokens: Token[],
    readonly values: unknown[] | undefined,
    readonly source: string,
  ) {}

  get atEnd(): boolean {
    return this.#at >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.#at + offset];
  }

  rest(): Token[] {
    return this.tokens.slice(this.#at);
  }

  isWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === "word" && token.value === word;
  }

  /** Accepts the words in sequence (all or none). */
  acceptWords(...words: string[]): boolean {
    if (!words.every((w, i) => this.isWord(w, i))) return false;
    this.#at += words.length;
    return true;
  }

  expectWords(...words: string[]): void {
    if (!this.acceptWords(...words)) throw this.unsupported(`expected ${words.join(" ").toUpperCase()}`);
  }

  isSymbol(symbol: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === "symbol" && token.value === symbol;
  }

  acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.#at += 1;
    return true;
  }

  expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) throw this.unsupported(`expected "${symbol}"`);
  }

  /** An identifier: unquoted names fold to lower case, quoted ones are kept. */
  name(): string {
    const token = this.peek();
    if (token?.kind === "word" || token?.kind === "quoted") {
      this.#at += 1;
      return token.value;
    }
    throw this.unsupported("expected a name");
  }

  qualifiedName(): Name {
    const first = this.name();
    if (!this.acceptSymbol(".")) return { name: first, shown: first };
    const second = this.name();
    if (this.isSymbol(".")) throw this.unsupported("cross-database references are not simulated");
    return { schema: first, name: second, shown: `${first}.${second}` };
  }

  /** A text value: a string literal or a bound parameter. */
  text(): string {
    const token = this.peek();
    if (token?.kind === "string") {
      this.#at += 1;
      return token.value;
    }
    if (token?.kind === "param") {
      this.#at += 1;
      if (!this.values || token.index < 1 || token.index > this.values.length) {
        throw new SqlFault("42P02", `there is no parameter $${token.index}`);
      }
      const value = this.values[token.index - 1];
      if (value === null || value === undefined) return "";
      return String(value);
    }
    throw this.unsupported("expected a string or a parameter");
  }

  integer(): number {
    const token = this.peek();
    if (token?.kind === "number" && /^\d+$/.test(token.value)) {
      this.#at += 1;
      return Number(token.value);
    }
    throw this.unsupported("expected an integer");
  }

  /** Skips a balanced parenthesised group (the cursor is on its "("). */
  skipGroup(): void {
    this.expectSymbol("(");
    let depth = 1;
    while (depth > 0) {
      const token = this.peek();
      if (!token) throw new SqlFault("42601", 'syntax error at end of input: missing ")"');
      this.#at += 1;
      if (token.kind === "symbol" && token.value === "(") depth += 1;
      if (token.kind === "symbol" && token.value === ")") depth -= 1;
    }
  }

  /** Words at parenthesis depth 0 from here on (to spot WHERE, RETURNING...). */
  topLevelWords(): string[] {
    let depth = 0;
    const words: string[] = [];
    for (const token of this.rest()) {
      if (token.kind === "symbol" && token.value === "(") depth += 1;
      else if (token.kind === "symbol" && token.value === ")") depth -= 1;
      else if (token.kind === "word" && depth === 0) words.push(token.value);
    }
    return words;
  }

  expectEnd(): void {
    if (!this.atEnd) throw this.unsupported(`unexpected ${describeToken(this.peek()!)}`);
  }

  unsupported(why: string): SqlFault {
    return unsupported(this.source, why);
  }
}

export function describeToken(token: Token): string {
  switch (token.kind) {
    case "param":
      return `$${token.index}`;
    case "string":
      return "a string";
    default:
      return `"${token.value}"`;
  }
}
