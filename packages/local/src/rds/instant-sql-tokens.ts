import { SqlFault, unsupported } from "./instant-sql-fault";

export type Token =
  | { kind: "word"; value: string }
  | { kind: "quoted"; value: string }
  | { kind: "string"; value: string }
  | { kind: "number"; value: string }
  | { kind: "param"; index: number }
  | { kind: "symbol"; value: string };

const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" };

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (why: string) => unsupported(text, why);
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (text.startsWith("--", i)) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new SqlFault("42601", "unterminated /* comment");
      i = end + 2;
    } else if (c === "'" || ((c === "E" || c === "e") && text[i + 1] === "'")) {
      const escaped = c !== "'";
      i += escaped ? 2 : 1;
      let value = "";
      for (;;) {
        if (i >= text.length) throw new SqlFault("42601", "unterminated quoted string");
        const ch = text[i]!;
        if (ch === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (escaped && ch === "\\") {
          const next = text[i + 1] ?? "";
          value += escapes[next] ?? next;
          i += 2;
          continue;
        }
        value += ch;
        i += 1;
      }
      tokens.push({ kind: "string", value });
    } else if (c === '"') {
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) throw new SqlFault("42601", "unterminated quoted identifier");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += text[i];
        i += 1;
      }
      if (value === "") throw new SqlFault("42601", "zero-length delimited identifier");
      tokens.push({ kind: "quoted", value });
    } else if (c === "$") {
      const match = /^\$(\d+)/.exec(text.slice(i));
      if (!match) throw fail("dollar-quoted strings are not simulated");
      tokens.push({ kind: "param", index: Number(match[1]) });
      i += match[0].length;
    } else if (/[0-9]/.test(c)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(text.slice(i))!;
      tokens.push({ kind: "number", value: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const match = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(text.slice(i))!;
      tokens.push({ kind: "word", value: match[0].toLowerCase() });
      i += match[0].length;
    } else {
      const two = text.slice(i, i + 2);
      const symbol = ["::", "<=", ">=", "<>", "!=", "||"].includes(two) ? two : c;
      tokens.push({ kind: "symbol", value: symbol });
      i += symbol.length;
    }
  }
  return tokens;
}

/** Splits at top-level semicolons (a simple query may hold several statements). */
export function splitStatements(tokens: Token[]): Token[][] {
  const statements: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === "symbol" && token.value === ";") statements.push([]);
    else statements[statements.length - 1]!.push(token);
  }
  return statements.filter((s) => s.length > 0);
}
