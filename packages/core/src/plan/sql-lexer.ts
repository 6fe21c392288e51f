import type { SqlProblem } from "./sql-safety";

/**
 * Plan SQL read the way PostgreSQL reads it (comments, nested block comments, '' strings, E'' strings,
 * dollar quotes, quoted identifiers), for sql-safety.ts's check.
 */

const ESCAPES = "Unicode escapes can hide names from this check; write the characters themselves";
const LEXING = "the statement cannot be read as PostgreSQL would read it";

type TokenKind = "word" | "quoted" | "string" | "body" | "punct";
export interface Token {
  kind: TokenKind;
  /** Words and quoted identifiers lower-cased; string contents; punctuation as is. */
  text: string;
}

type Lexed = { tokens: Token[] } | { problem: SqlProblem };

// PostgreSQL's whitespace; every other character from U+0080 up is part of a name, as for the server.
const WHITESPACE = /[ \t\n\r\f\v]/;
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

export function lex(sql: string, backslashEscapes: boolean): Lexed {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  const unterminated = (what: string): Lexed => ({
    problem: { found: `an unterminated ${what}`, why: LEXING },
  });

  /** Reads the quoted text whose opening quote is at `i`; undefined when it never ends. */
  const readQuoted = (quote: "'" | '"', escapes: boolean): string | undefined => {
    let text = "";
    let from = ++i;
    while (i < n) {
      const c = sql[i];
      if (escapes && c === "\\") {
        i += 2;
      } else if (c === quote && sql[i + 1] === quote) {
        text += sql.slice(from, i + 1);
        i += 2;
        from = i;
      } else if (c === quote) {
        text += sql.slice(from, i);
        i++;
        return text;
      } else {
        i++;
      }
    }
    return undefined;
  };

  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (WHITESPACE.test(c)) {
      i++;
    } else if (c === "-" && next === "-") {
      while (i < n && sql[i] !== "\n" && sql[i] !== "\r") i++;
    } else if (c === "/" && next === "*") {
      // PostgreSQL's block comments nest.
      let depth = 0;
      while (i < n) {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else {
          i++;
        }
      }
      if (depth > 0) return unterminated("comment");
    } else if (c === "'") {
      const text = readQuoted("'", backslashEscapes);
      if (text === undefined) return unterminated("string");
      tokens.push({ kind: "string", text });
    } else if (c === '"') {
      const text = readQuoted('"', false);
      if (text === undefined) return unterminated("quoted identifier");
      tokens.push({ kind: "quoted", text: text.toLowerCase() });
    } else if (c === "$" && dollarTagAt(sql, i)) {
      const tag = dollarTagAt(sql, i) as string;
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) return unterminated("dollar-quoted string");
      tokens.push({ kind: "body", text: sql.slice(i + tag.length, end) });
      i = end + tag.length;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_PART.test(sql[j] as string)) j++;
      const word = sql.slice(i, j).toLowerCase();
      i = j;
      const after = sql[i];
      if (word === "u" && after === "&" && (sql[i + 1] === "'" || sql[i + 1] === '"')) {
        return { problem: { found: "a U& Unicode-escaped string or identifier", why: ESCAPES } };
      }
      if (after === "'" && (word === "e" || word === "b" || word === "x" || word === "n")) {
        // E'...' always takes backslash escapes; B'', X'' and N'' read like ordinary strings.
        const text = readQuoted("'", word === "e" || backslashEscapes);
        if (text === undefined) return unterminated("string");
        tokens.push({ kind: "string", text });
      } else {
        tokens.push({ kind: "word", text: word });
      }
    } else if (/[0-9]/.test(c)) {
      // Digits only: letters right after a number start a name, as older servers read them.
      while (i < n && /[0-9._]/.test(sql[i] as string)) i++;
    } else {
      tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  return { tokens };
}

function dollarTagAt(sql: string, at: number): string | undefined {
  DOLLAR_TAG.lastIndex = at;
  return DOLLAR_TAG.exec(sql)?.[0];
}

export function splitStatements(tokens: Token[]): Token[][] {
  const statements: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === "punct" && token.text === ";") statements.push([]);
    else statements[statements.length - 1]?.push(token);
  }
  return statements.filter((s) => s.length > 0);
}
