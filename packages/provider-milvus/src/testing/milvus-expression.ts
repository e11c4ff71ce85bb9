/**
 * A small evaluator of Milvus boolean expressions for the test server: comparisons (`== != > >= < <=`), `in` /
 * `not in` lists, `like` with `%`, `and`/`&&`, `or`/`||`, `not`/`!`, parentheses, JSON paths (`meta["a"][0]`),
 * literals (numbers, strings, true/false, lists) and `{name}` placeholders filled from `exprParams`.
 * Anything else is an `ExpressionError`, which the server answers with code 1100 as Milvus does.
 */
export class ExpressionError extends Error {}

type Token =
  | { kind: "identifier"; text: string }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "placeholder"; name: string }
  | { kind: "symbol"; text: string };

export type ExpressionNode =
  | { kind: "literal"; value: unknown }
  | { kind: "placeholder"; name: string }
  | { kind: "field"; name: string; path: Array<string | number> }
  | { kind: "list"; items: ExpressionNode[] }
  | { kind: "not"; operand: ExpressionNode }
  | { kind: "logical"; operator: "and" | "or"; left: ExpressionNode; right: ExpressionNode }
  | { kind: "compare"; operator: "==" | "!=" | ">" | ">=" | "<" | "<="; left: ExpressionNode; right: ExpressionNode }
  | { kind: "in"; negated: boolean; left: ExpressionNode; right: ExpressionNode }
  | { kind: "like"; left: ExpressionNode; pattern: ExpressionNode };

const SYMBOLS = ["==", "!=", ">=", "<=", "&&", "||", ">", "<", "!", "(", ")", "[", "]", ","];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < source.length) {
    const character = source[position] as string;
    if (/\s/.test(character)) {
      position++;
      continue;
    }
    const rest = source.slice(position);
    const identifier = /^[A-Za-z_$][A-Za-z0-9_]*/.exec(rest);
    if (identifier) {
      tokens.push({ kind: "identifier", text: identifier[0] });
      position += identifier[0].length;
      continue;
    }
    const number = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
    const previous = tokens[tokens.length - 1];
    const signAllowed = previous === undefined || previous.kind === "symbol";
    if (number && (number[0][0] !== "-" || signAllowed)) {
      tokens.push({ kind: "number", value: Number(number[0]) });
      position += number[0].length;
      continue;
    }
    if (character === '"' || character === "'") {
      let value = "";
      let index = position + 1;
      while (index < source.length && source[index] !== character) {
        if (source[index] === "\\" && index + 1 < source.length) index++;
        value += source[index];
        index++;
      }
      if (index >= source.length) throw new ExpressionError(`unterminated string at ${position}`);
      tokens.push({ kind: "string", value });
      position = index + 1;
      continue;
    }
    const placeholder = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest);
    if (placeholder) {
      tokens.push({ kind: "placeholder", name: placeholder[1] as string });
      position += placeholder[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((candidate) => rest.startsWith(candidate));
    if (symbol) {
      tokens.push({ kind: "symbol", text: symbol });
      position += symbol.length;
      continue;
    }
    throw new ExpressionError(`unexpected character "${character}" at ${position}`);
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): ExpressionNode {
    const node = this.parseOr();
    if (this.position < this.tokens.length) throw new ExpressionError(`unexpected token at position ${this.position}`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isWord(word: string, token = this.peek()): boolean {
    return token?.kind === "identifier" && token.text.toLowerCase() === word;
  }

  private isSymbol(symbol: string, token = this.peek()): boolean {
    return token?.kind === "symbol" && token.text === symbol;
  }

  private expectSymbol(symbol: string): void {
    if (!this.isSymbol(symbol)) throw new ExpressionError(`expected "${symbol}"`);
    this.position++;
  }

  private parseOr(): ExpressionNode {
    let left = this.parseAnd();
    while (this.isWord("or") || this.isSymbol("||")) {
      this.position++;
      left = { kind: "logical", operator: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): ExpressionNode {
    let left = this.parseUnary();
    while (this.isWord("and") || this.isSymbol("&&")) {
      this.position++;
      left = { kind: "logical", operator: "and", left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): ExpressionNode {
    if (this.isWord("not") || this.isSymbol("!")) {
      this.position++;
      return { kind: "not", operand: this.parseUnary() };
    }
    return this.parseComparison();
  }

  private parseComparison(): ExpressionNode {
    if (this.isSymbol("(")) {
      this.position++;
      const inner = this.parseOr();
      this.expectSymbol(")");
      return inner;
    }
    const left = this.parseValue();
    const token = this.peek();
    if (token?.kind === "symbol" && ["==", "!=", ">", ">=", "<", "<="].includes(token.text)) {
      this.position++;
      return { kind: "compare", operator: token.text as "==", left, right: this.parseValue() };
    }
    if (this.isWord("in")) {
      this.position++;
      return { kind: "in", negated: false, left, right: this.parseValue() };
    }
    if (this.isWord("not") && this.isWord("in", this.tokens[this.position + 1])) {
      this.position += 2;
      return { kind: "in", negated: true, left, right: this.parseValue() };
    }
    if (this.isWord("like")) {
      this.position++;
      return { kind: "like", left, pattern: this.parseValue() };
    }
    return left;
  }

  private parseValue(): ExpressionNode {
    const token = this.peek();
    if (token === undefined) throw new ExpressionError("unexpected end of expression");
    this.position++;
    switch (token.kind) {
      case "number":
        return { kind: "literal", value: token.value };
      case "string":
        return { kind: "literal", value: token.value };
      case "placeholder":
        return { kind: "placeholder", name: token.name };
      case "identifier": {
        const lower = token.text.toLowerCase();
        if (lower === "true" || lower === "false") return { kind: "literal", value: lower === "true" };
        if (["and", "or", "not", "in", "like"].includes(lower)) throw new ExpressionError(`unexpected keyword "${token.text}"`);
        const path: Array<string | number> = [];
        while (this.isSymbol("[")) {
          this.position++;
          const step = this.peek();
          if (step?.kind === "string") path.push(step.value);
          else if (step?.kind === "number" && Number.isInteger(step.value)) path.push(step.value);
          else throw new ExpressionError("a JSON path step must be a string or an integer");
          this.position++;
          this.expectSymbol("]");
        }
        return { kind: "field", name: token.text, path };
      }
      case "symbol": {
        if (token.text !== "[") throw new ExpressionError(`unexpected "${token.text}"`);
        const items: ExpressionNode[] = [];
        while (!this.isSymbol("]")) {
          items.push(this.parseValue());
          if (this.isSymbol(",")) this.position++;
          else if (!this.isSymbol("]")) throw new ExpressionError('expected "," or "]" in a list');
        }
        this.position++;
        return { kind: "list", items };
      }
    }
  }
}

export function parseExpression(source: string): ExpressionNode {
  return new Parser(tokenize(source)).parse();
}

/** Every field name and placeholder an expression uses, to check them once before evaluating rows. */
export function expressionReferences(
  node: ExpressionNode,
  into = { fields: new Set<string>(), placeholders: new Set<string>() },
): { fields: Set<string>; placeholders: Set<string> } {
  switch (node.kind) {
    case "field":
      into.fields.add(node.name);
      break;
    case "placeholder":
      into.placeholders.add(node.name);
      break;
    case "list":
      for (const item of node.items) expressionReferences(item, into);
      break;
    case "not":
      expressionReferences(node.operand, into);
      break;
    case "logical":
    case "compare":
    case "in":
      expressionReferences(node.left, into);
      expressionReferences(node.right, into);
      break;
    case "like":
      expressionReferences(node.left, into);
      expressionReferences(node.pattern, into);
      break;
    case "literal":
      break;
  }
  return into;
}

export interface EvaluationContext {
  params: Record<string, unknown>;
  /** The value of a field (schema or dynamic) in the row being tested. */
  field(name: string): unknown;
}

export function evaluateExpression(node: ExpressionNode, context: EvaluationContext): boolean {
  return truthy(evaluateNode(node, context));
}

function evaluateNode(node: ExpressionNode, context: EvaluationContext): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "placeholder":
      return context.params[node.name];
    case "list":
      return node.items.map((item) => evaluateNode(item, context));
    case "field": {
      let value = context.field(node.name);
      for (const step of node.path) {
        if (value === null || typeof value !== "object") return undefined;
        value = (value as Record<string | number, unknown>)[step];
      }
      return value;
    }
    case "not":
      return !truthy(evaluateNode(node.operand, context));
    case "logical":
      return node.operator === "and"
        ? truthy(evaluateNode(node.left, context)) && truthy(evaluateNode(node.right, context))
        : truthy(evaluateNode(node.left, context)) || truthy(evaluateNode(node.right, context));
    case "compare":
      return compare(node.operator, evaluateNode(node.left, context), evaluateNode(node.right, context));
    case "in": {
      const list = evaluateNode(node.right, context);
      if (!Array.isArray(list)) throw new ExpressionError('"in" needs a list');
      const left = evaluateNode(node.left, context);
      if (left === undefined || left === null) return false;
      const found = list.some((item) => compare("==", left, item));
      return node.negated ? !found : found;
    }
    case "like": {
      const left = evaluateNode(node.left, context);
      const pattern = evaluateNode(node.pattern, context);
      if (typeof left !== "string" || typeof pattern !== "string") return false;
      const regex = new RegExp(
        `^${pattern
          .split("%")
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/_/g, "."))
          .join(".*")}$`,
        "s",
      );
      return regex.test(left);
    }
  }
}

function compare(operator: "==" | "!=" | ">" | ">=" | "<" | "<=", left: unknown, right: unknown): boolean {
  if (left === undefined || left === null || right === undefined || right === null) return false;
  const a = typeof left === "bigint" ? Number(left) : left;
  const b = typeof right === "bigint" ? Number(right) : right;
  if (operator === "==") return a === b;
  if (operator === "!=") return a !== b;
  const comparable = (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string");
  if (!comparable) return false;
  switch (operator) {
    case ">":
      return (a as number) > (b as number);
    case ">=":
      return (a as number) >= (b as number);
    case "<":
      return (a as number) < (b as number);
    case "<=":
      return (a as number) <= (b as number);
  }
}

function truthy(value: unknown): boolean {
  return value === true;
}
