/**
 * The common subset of Upstash Vector's SQL-like metadata filter language, as pure
 * functions: a tokenizer, a recursive-descent parser that turns a filter string into a
 * small tree, and an evaluator that tests one vector's metadata against that tree.
 *
 * Supported: = != < <= > >= IN NOT IN, AND, OR, parentheses, string (single or double
 * quoted), number and boolean literals, and field paths with dots and array indexes
 * (`geo.continent`, `tags[0]`). Everything else Upstash has (GLOB, CONTAINS, HAS FIELD,
 * `[#-1]`, ...) is refused with a message naming it, so a filter never silently means
 * something different here than in production.
 */

export type Literal = string | number | boolean;
export type ComparisonOperator = "=" | "!=" | "<" | "<=" | ">" | ">=";
/** A key of an object, or an index into an array. */
export type PathStep = string | number;

export type FilterNode =
  | { readonly kind: "and" | "or"; readonly children: readonly FilterNode[] }
  | { readonly kind: "compare"; readonly path: readonly PathStep[]; readonly op: ComparisonOperator; readonly value: Literal }
  | { readonly kind: "in"; readonly path: readonly PathStep[]; readonly negated: boolean; readonly values: readonly Literal[] };

export type FilterParse = { readonly ok: true; readonly filter: FilterNode | undefined } | { readonly ok: false; readonly error: string };

/** Parentheses nest at most this deep, so a hostile filter cannot exhaust the stack. */
export const MAX_FILTER_DEPTH = 64;

type Token =
  | { readonly type: "word"; readonly text: string; readonly pos: number }
  | { readonly type: "string"; readonly value: string; readonly pos: number }
  | { readonly type: "number"; readonly value: number; readonly text: string; readonly pos: number }
  | { readonly type: "symbol"; readonly text: string; readonly pos: number }
  | { readonly type: "end"; readonly pos: number };

class FilterSyntaxError extends Error {
  constructor(message: string, pos: number) {
    super(`Invalid filter at position ${pos}: ${message}`);
  }
}

const SYMBOLS = ["!=", "<=", ">=", "=", "<", ">", "(", ")", ",", ".", "[", "]"];
const UNSUPPORTED_KEYWORDS = new Set(["GLOB", "CONTAINS", "HAS", "LIKE", "BETWEEN", "IS"]);
const NUMBER_PATTERN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD_PATTERN = /[A-Za-z_$][A-Za-z0-9_$]*/y;

/** An empty or blank filter means "no filter", as it does for Upstash. */
export function parseFilter(text: string): FilterParse {
  if (text.trim() === "") return { ok: true, filter: undefined };
  try {
    const parser = new Parser(tokenize(text));
    return { ok: true, filter: parser.parseAll() };
  } catch (error) {
    if (error instanceof FilterSyntaxError) return { ok: false, error: error.message };
    throw error;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    if (/\s/.test(text[pos] ?? "")) {
      pos += 1;
      continue;
    }
    const { token, length } = readToken(text, pos);
    tokens.push(token);
    pos += length;
  }
  tokens.push({ type: "end", pos: text.length });
  return tokens;
}

function readToken(text: string, pos: number): { token: Token; length: number } {
  const char = text[pos] ?? "";
  if (char === "'" || char === '"') return readString(text, pos, char);
  const number = matchAt(NUMBER_PATTERN, text, pos);
  if (number !== undefined) return { token: { type: "number", value: Number(number), text: number, pos }, length: number.length };
  const word = matchAt(WORD_PATTERN, text, pos);
  if (word !== undefined) return { token: { type: "word", text: word, pos }, length: word.length };
  const symbol = SYMBOLS.find((s) => text.startsWith(s, pos));
  if (symbol !== undefined) return { token: { type: "symbol", text: symbol, pos }, length: symbol.length };
  throw new FilterSyntaxError(`unexpected character ${JSON.stringify(char)}`, pos);
}

function matchAt(pattern: RegExp, text: string, pos: number): string | undefined {
  pattern.lastIndex = pos;
  return pattern.exec(text)?.[0];
}

/** Quotes are escaped by a backslash; a backslash escapes itself. */
function readString(text: string, start: number, quote: string): { token: Token; length: number } {
  let value = "";
  for (let pos = start + 1; pos < text.length; pos += 1) {
    const char = text[pos];
    if (char === quote) return { token: { type: "string", value, pos: start }, length: pos - start + 1 };
    if (char === "\\" && pos + 1 < text.length) {
      pos += 1;
      value += text[pos];
      continue;
    }
    value += char;
  }
  throw new FilterSyntaxError("string literal is not closed", start);
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseAll(): FilterNode {
    const node = this.parseOr();
    const next = this.peek();
    if (next.type !== "end") throw new FilterSyntaxError(`unexpected ${describe(next)}; expected AND, OR or the end`, next.pos);
    return node;
  }

  // AND binds tighter than OR, as in SQL; chains become one n-ary node so that a long
  // chain does not become a deep tree.
  private parseOr(): FilterNode {
    const children = [this.parseAnd()];
    while (this.acceptKeyword("OR")) children.push(this.parseAnd());
    return children.length === 1 ? (children[0] as FilterNode) : { kind: "or", children };
  }

  private parseAnd(): FilterNode {
    const children = [this.parsePrimary()];
    while (this.acceptKeyword("AND")) children.push(this.parsePrimary());
    return children.length === 1 ? (children[0] as FilterNode) : { kind: "and", children };
  }

  private parsePrimary(): FilterNode {
    const open = this.peek();
    if (!isSymbol(open, "(")) return this.parsePredicate();
    this.index += 1;
    this.depth += 1;
    if (this.depth > MAX_FILTER_DEPTH) throw new FilterSyntaxError(`parentheses nest deeper than ${MAX_FILTER_DEPTH}`, open.pos);
    const inner = this.parseOr();
    this.expectSymbol(")", "to close the parenthesis");
    this.depth -= 1;
    return inner;
  }

  private parsePredicate(): FilterNode {
    const path = this.parsePath();
    const token = this.next();
    if (token.type === "symbol" && isComparison(token.text)) return this.parseComparison(path, token.text, token.pos);
    if (isKeyword(token, "IN")) return { kind: "in", path, negated: false, values: this.parseList() };
    if (isKeyword(token, "NOT")) {
      const after = this.next();
      if (isKeyword(after, "IN")) return { kind: "in", path, negated: true, values: this.parseList() };
      this.refuseUnsupported(after);
      throw new FilterSyntaxError(`expected IN after NOT, found ${describe(after)}`, after.pos);
    }
    this.refuseUnsupported(token);
    throw new FilterSyntaxError(`expected an operator (=, !=, <, <=, >, >=, IN, NOT IN) after the field, found ${describe(token)}`, token.pos);
  }

  private parseComparison(path: PathStep[], op: ComparisonOperator, pos: number): FilterNode {
    const value = this.parseLiteral(`after '${op}'`);
    if (op !== "=" && op !== "!=" && typeof value !== "number") {
      throw new FilterSyntaxError(`operator '${op}' compares numbers only, got ${JSON.stringify(value)}`, pos);
    }
    return { kind: "compare", path, op, value };
  }

  private parseList(): Literal[] {
    this.expectSymbol("(", "to start the IN list");
    const values = [this.parseLiteral("in the IN list")];
    while (isSymbol(this.peek(), ",")) {
      this.index += 1;
      values.push(this.parseLiteral("in the IN list"));
    }
    this.expectSymbol(")", "to close the IN list");
    return values;
  }

  private parsePath(): PathStep[] {
    const first = this.next();
    if (first.type !== "word" || isReserved(first.text)) {
      this.refuseUnsupported(first);
      throw new FilterSyntaxError(`expected a field name, found ${describe(first)}`, first.pos);
    }
    const path: PathStep[] = [first.text];
    for (;;) {
      const token = this.peek();
      if (isSymbol(token, ".")) {
        this.index += 1;
        path.push(this.parseKey());
      } else if (isSymbol(token, "[")) {
        this.index += 1;
        path.push(this.parseIndex());
      } else {
        return path;
      }
    }
  }

  private parseKey(): string {
    const token = this.next();
    if (token.type === "word") return token.text;
    throw new FilterSyntaxError(`expected a field name after '.', found ${describe(token)}`, token.pos);
  }

  private parseIndex(): number {
    const token = this.next();
    if (token.type !== "number" || !Number.isSafeInteger(token.value) || token.value < 0 || /[.eE-]/.test(token.text)) {
      throw new FilterSyntaxError(
        `expected a non-negative array index inside [ ] (indexes from the end, [#-1], are not supported here), found ${describe(token)}`,
        token.pos,
      );
    }
    this.expectSymbol("]", "to close the array index");
    return token.value;
  }

  private parseLiteral(where: string): Literal {
    const token = this.next();
    if (token.type === "string") return token.value;
    if (token.type === "number" && Number.isFinite(token.value)) return token.value;
    if (isKeyword(token, "TRUE")) return true;
    if (isKeyword(token, "FALSE")) return false;
    throw new FilterSyntaxError(`expected a string, number or boolean ${where}, found ${describe(token)}`, token.pos);
  }

  private refuseUnsupported(token: Token): void {
    if (token.type === "word" && UNSUPPORTED_KEYWORDS.has(token.text.toUpperCase())) {
      throw new FilterSyntaxError(
        `${token.text.toUpperCase()} is not supported by the local vector server (only =, !=, <, <=, >, >=, IN, NOT IN, AND, OR)`,
        token.pos,
      );
    }
  }

  private acceptKeyword(keyword: string): boolean {
    if (!isKeyword(this.peek(), keyword)) return false;
    this.index += 1;
    return true;
  }

  private expectSymbol(symbol: string, why: string): void {
    const token = this.next();
    if (!isSymbol(token, symbol)) throw new FilterSyntaxError(`expected '${symbol}' ${why}, found ${describe(token)}`, token.pos);
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { type: "end", pos: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== "end") this.index += 1;
    return token;
  }
}

function isComparison(text: string): text is ComparisonOperator {
  return text === "=" || text === "!=" || text === "<" || text === "<=" || text === ">" || text === ">=";
}

function isSymbol(token: Token, symbol: string): boolean {
  return token.type === "symbol" && token.text === symbol;
}

function isKeyword(token: Token, keyword: string): boolean {
  return token.type === "word" && token.text.toUpperCase() === keyword;
}

function isReserved(word: string): boolean {
  const upper = word.toUpperCase();
  return ["AND", "OR", "NOT", "IN", "TRUE", "FALSE"].includes(upper) || UNSUPPORTED_KEYWORDS.has(upper);
}

function describe(token: Token): string {
  switch (token.type) {
    case "end":
      return "the end of the filter";
    case "string":
      return `the string ${JSON.stringify(token.value)}`;
    case "number":
      return `the number ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}

/** Does this metadata match? A vector without metadata, or without the field, never does. */
export function matchesFilter(filter: FilterNode, metadata: Readonly<Record<string, unknown>> | undefined): boolean {
  switch (filter.kind) {
    case "and":
      return filter.children.every((child) => matchesFilter(child, metadata));
    case "or":
      return filter.children.some((child) => matchesFilter(child, metadata));
    case "compare":
      return compare(resolvePath(metadata, filter.path), filter.op, filter.value);
    case "in": {
      const value = resolvePath(metadata, filter.path);
      if (!isLiteral(value)) return false;
      return filter.values.some((candidate) => candidate === value) !== filter.negated;
    }
  }
}

function compare(value: unknown, op: ComparisonOperator, literal: Literal): boolean {
  if (!isLiteral(value)) return false;
  switch (op) {
    case "=":
      return value === literal;
    case "!=":
      return value !== literal;
    default:
      return typeof value === "number" && typeof literal === "number" && orderedCompare(value, op, literal);
  }
}

function orderedCompare(value: number, op: "<" | "<=" | ">" | ">=", literal: number): boolean {
  if (op === "<") return value < literal;
  if (op === "<=") return value <= literal;
  if (op === ">") return value > literal;
  return value >= literal;
}

function isLiteral(value: unknown): value is Literal {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/** Own properties only: `constructor` or `__proto__` in a filter must not reach the prototype. */
function resolvePath(metadata: Readonly<Record<string, unknown>> | undefined, path: readonly PathStep[]): unknown {
  let current: unknown = metadata;
  for (const step of path) {
    if (typeof step === "number") {
      if (!Array.isArray(current) || step >= current.length) return undefined;
      current = current[step];
    } else {
      if (current === null || typeof current !== "object" || Array.isArray(current) || !Object.hasOwn(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}
