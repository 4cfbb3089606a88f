// HCL native expression and template syntax, for the `${...}` strings @cdktf/hcl2json leaves in its JSON.
// Grammar: https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md (operators, templates, for, splat).

export type Expr =
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "template"; parts: (string | Expr)[] }
  | { kind: "variable"; name: string }
  | { kind: "getattr"; target: Expr; name: string }
  | { kind: "index"; target: Expr; key: Expr }
  | { kind: "splat"; target: Expr; each: Expr }
  | { kind: "call"; name: string; args: Expr[]; expandFinal: boolean }
  | { kind: "tuple"; items: Expr[] }
  | { kind: "object"; items: { key: Expr; value: Expr }[] }
  | { kind: "unary"; op: "!" | "-"; operand: Expr }
  | { kind: "binary"; op: string; left: Expr; right: Expr }
  | { kind: "conditional"; cond: Expr; whenTrue: Expr; whenFalse: Expr }
  | {
      kind: "for";
      keyVar?: string;
      valVar: string;
      collection: Expr;
      key?: Expr;
      value: Expr;
      cond?: Expr;
      group: boolean;
      object: boolean;
    }
  | { kind: "template-if"; cond: Expr; whenTrue: Expr; whenFalse?: Expr }
  | { kind: "template-for"; keyVar?: string; valVar: string; collection: Expr; body: Expr }
  /** the element placeholder inside a splat's `each` */
  | { kind: "splat-item" };

/** A syntax error inside an expression, with the offset into the string it came from. */
export class HclSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "HclSyntaxError";
    this.offset = offset;
  }
}

type Token = { t: "num" | "ident" | "op" | "str-start" | "eof"; v: string; pos: number };

const operators = [
  "...",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "=>",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "!",
  "?",
  ":",
  ".",
  ",",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  "=",
];

/** Parses a whole string value as a template: literal text with `${...}` and `%{...}` parts. */
export function parseTemplate(src: string): Expr {
  const p = new Parser(src, 0);
  const expr = p.templateUntil(null);
  return expr;
}

/** Parses one expression (the text between `${` and `}`). */
export function parseExpression(src: string): Expr {
  const p = new Parser(src, 0);
  const e = p.expression();
  p.skipSpace();
  if (p.pos < src.length)
    throw new HclSyntaxError(`Extra characters after expression: ${src.slice(p.pos, p.pos + 20)}`, p.pos);
  return e;
}

class Parser {
  src: string;
  pos: number;
  constructor(src: string, pos: number) {
    this.src = src;
    this.pos = pos;
  }

  skipSpace(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos++;
      else if (c === "#" || (c === "/" && this.src[this.pos + 1] === "/")) {
        while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && this.src[this.pos + 1] === "*") {
        const end = this.src.indexOf("*/", this.pos + 2);
        this.pos = end < 0 ? this.src.length : end + 2;
      } else return;
    }
  }

  peek(): Token {
    const save = this.pos;
    const tok = this.next();
    this.pos = save;
    return tok;
  }

  next(): Token {
    this.skipSpace();
    const pos = this.pos;
    const c = this.src[pos];
    if (c === undefined) return { t: "eof", v: "", pos };
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.src.slice(pos))!;
      this.pos += m[0].length;
      return { t: "num", v: m[0], pos };
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(pos))!;
      this.pos += m[0].length;
      return { t: "ident", v: m[0], pos };
    }
    if (c === '"') {
      this.pos++;
      return { t: "str-start", v: '"', pos };
    }
    for (const op of operators) {
      if (this.src.startsWith(op, pos)) {
        this.pos += op.length;
        return { t: "op", v: op, pos };
      }
    }
    throw new HclSyntaxError(`Invalid character ${JSON.stringify(c)}`, pos);
  }

  expect(v: string): void {
    const tok = this.next();
    if (tok.v !== v || tok.t !== "op")
      throw new HclSyntaxError(`Expected "${v}" but found "${tok.v || "end of expression"}"`, tok.pos);
  }

  accept(v: string): boolean {
    const tok = this.peek();
    if (tok.t === "op" && tok.v === v) {
      this.next();
      return true;
    }
    return false;
  }

  expression(): Expr {
    const cond = this.binary(0);
    if (this.accept("?")) {
      const then = this.expression();
      this.expect(":");
      const otherwise = this.expression();
      return { kind: "conditional", cond, whenTrue: then, whenFalse: otherwise };
    }
    return cond;
  }

  // Operator precedence from the HCL spec, lowest first.
  static levels = [["||"], ["&&"], ["==", "!="], ["<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"]];

  binary(level: number): Expr {
    if (level >= Parser.levels.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const tok = this.peek();
      if (tok.t === "op" && Parser.levels[level]!.includes(tok.v)) {
        this.next();
        const right = this.binary(level + 1);
        left = { kind: "binary", op: tok.v, left, right };
      } else return left;
    }
  }

  unary(): Expr {
    const tok = this.peek();
    if (tok.t === "op" && (tok.v === "!" || tok.v === "-")) {
      this.next();
      return { kind: "unary", op: tok.v, operand: this.unary() };
    }
    return this.postfix(this.primary());
  }

  postfix(target: Expr): Expr {
    for (;;) {
      const tok = this.peek();
      if (tok.t === "op" && tok.v === ".") {
        this.next();
        const name = this.next();
        if (name.t === "op" && name.v === "*") {
          return { kind: "splat", target, each: this.splatEach() };
        }
        if (name.t === "ident") target = { kind: "getattr", target, name: name.v };
        else if (name.t === "num")
          target = { kind: "index", target, key: { kind: "literal", value: Number(name.v) } };
        else throw new HclSyntaxError("An attribute name is required after a dot", name.pos);
      } else if (tok.t === "op" && tok.v === "[") {
        this.next();
        if (this.accept("*")) {
          this.expect("]");
          return { kind: "splat", target, each: this.splatEach() };
        }
        const key = this.expression();
        this.expect("]");
        target = { kind: "index", target, key };
      } else return target;
    }
  }

  /** The traversal applied to each element after a splat operator (attribute and index steps). */
  splatEach(): Expr {
    let each: Expr = { kind: "splat-item" };
    for (;;) {
      const tok = this.peek();
      if (tok.t === "op" && tok.v === ".") {
        this.next();
        const name = this.next();
        if (name.t !== "ident")
          throw new HclSyntaxError("An attribute name is required after a dot", name.pos);
        each = { kind: "getattr", target: each, name: name.v };
      } else if (tok.t === "op" && tok.v === "[") {
        this.next();
        const key = this.expression();
        this.expect("]");
        each = { kind: "index", target: each, key };
      } else return each;
    }
  }

  primary(): Expr {
    const tok = this.next();
    if (tok.t === "num") return { kind: "literal", value: Number(tok.v) };
    if (tok.t === "str-start") return this.templateUntil('"');
    if (tok.t === "ident") {
      if (tok.v === "true") return { kind: "literal", value: true };
      if (tok.v === "false") return { kind: "literal", value: false };
      if (tok.v === "null") return { kind: "literal", value: null };
      if (this.accept("(")) return this.call(tok.v);
      return { kind: "variable", name: tok.v };
    }
    if (tok.t === "op" && tok.v === "(") {
      const e = this.expression();
      this.expect(")");
      return e;
    }
    if (tok.t === "op" && tok.v === "[") return this.tupleOrFor();
    if (tok.t === "op" && tok.v === "{") return this.objectOrFor();
    if (tok.t === "op" && tok.v === "<" && this.src.startsWith("<<", tok.pos)) return this.heredoc(tok.pos);
    throw new HclSyntaxError(
      `Expected the start of an expression, but found ${tok.t === "eof" ? "the end" : JSON.stringify(tok.v)}`,
      tok.pos,
    );
  }

  heredoc(start: number): Expr {
    const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(this.src.slice(start));
    if (!m) throw new HclSyntaxError("Invalid heredoc", start);
    const bodyStart = start + m[0].length;
    const endRe = new RegExp(`^[ \\t]*${m[2]}[ \\t]*$`, "m");
    const rest = this.src.slice(bodyStart);
    const end = endRe.exec(rest);
    if (!end) throw new HclSyntaxError(`Unterminated heredoc ${m[2]}`, start);
    let body = rest.slice(0, end.index);
    if (m[1] === "-") {
      const lines = body.split("\n");
      const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length));
      body = lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join("\n");
    }
    this.pos = bodyStart + end.index + end[0].length;
    return parseTemplate(body);
  }

  call(name: string): Expr {
    const args: Expr[] = [];
    let expandFinal = false;
    if (this.accept(")")) return { kind: "call", name, args, expandFinal };
    for (;;) {
      args.push(this.expression());
      if (this.accept("...")) expandFinal = true;
      if (this.accept(")")) break;
      this.expect(",");
      if (this.accept(")")) break;
    }
    return { kind: "call", name, args, expandFinal };
  }

  tupleOrFor(): Expr {
    const tok = this.peek();
    if (tok.t === "ident" && tok.v === "for") {
      this.next();
      const f = this.forIntro();
      const value = this.expression();
      const cond = this.forCond();
      this.expect("]");
      return { kind: "for", ...f, value, cond, group: false, object: false };
    }
    const items: Expr[] = [];
    if (this.accept("]")) return { kind: "tuple", items };
    for (;;) {
      items.push(this.expression());
      if (this.accept("]")) break;
      this.expect(",");
      if (this.accept("]")) break;
    }
    return { kind: "tuple", items };
  }

  forIntro(): { keyVar?: string; valVar: string; collection: Expr } {
    const a = this.next();
    if (a.t !== "ident") throw new HclSyntaxError("Expected a variable name after 'for'", a.pos);
    let keyVar: string | undefined;
    let valVar = a.v;
    if (this.accept(",")) {
      const b = this.next();
      if (b.t !== "ident") throw new HclSyntaxError("Expected a second variable name", b.pos);
      keyVar = a.v;
      valVar = b.v;
    }
    const inTok = this.next();
    if (inTok.v !== "in") throw new HclSyntaxError("Expected 'in'", inTok.pos);
    const collection = this.expression();
    this.expect(":");
    return { keyVar, valVar, collection };
  }

  forCond(): Expr | undefined {
    const tok = this.peek();
    if (tok.t === "ident" && tok.v === "if") {
      this.next();
      return this.expression();
    }
    return undefined;
  }

  objectOrFor(): Expr {
    const tok = this.peek();
    if (tok.t === "ident" && tok.v === "for") {
      this.next();
      const f = this.forIntro();
      const key = this.expression();
      this.expect("=>");
      const value = this.expression();
      const group = this.accept("...");
      const cond = this.forCond();
      this.expect("}");
      return { kind: "for", ...f, key, value, cond, group, object: true };
    }
    const items: { key: Expr; value: Expr }[] = [];
    for (;;) {
      if (this.accept("}")) break;
      const k = this.peek();
      let key: Expr;
      // A bare identifier key is a literal name, not a variable (HCL spec "Collection Values").
      if (k.t === "ident") {
        this.next();
        const after = this.peek();
        key =
          after.t === "op" && (after.v === "=" || after.v === ":")
            ? { kind: "literal", value: k.v }
            : this.postfix({ kind: "variable", name: k.v });
      } else key = this.expression();
      const sep = this.next();
      if (sep.v !== "=" && sep.v !== ":")
        throw new HclSyntaxError(`Expected "=" in object, found "${sep.v}"`, sep.pos);
      const value = this.expression();
      items.push({ key, value });
      this.accept(",");
    }
    return { kind: "object", items };
  }

  /** Template text until `close` (a quote) or the end of input; handles `${}`, `%{}`, escapes. */
  templateUntil(close: '"' | null): Expr {
    const parts: (string | Expr)[] = [];
    let text = "";
    const src = this.src;
    const directives: {
      kind: "if" | "for";
      parts: (string | Expr)[];
      text: string;
      head: Expr | { keyVar?: string; valVar: string; collection: Expr };
      thenParts?: (string | Expr)[];
    }[] = [];
    let cur = parts;
    const flush = () => {
      if (text) cur.push(text);
      text = "";
    };
    for (;;) {
      const c = src[this.pos];
      if (c === undefined) {
        if (close) throw new HclSyntaxError("Unterminated template string", this.pos);
        break;
      }
      if (close && c === close) {
        this.pos++;
        break;
      }
      if (close && c === "\\") {
        const e = src[this.pos + 1];
        const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        if (e && map[e] !== undefined) {
          text += map[e];
          this.pos += 2;
          continue;
        }
        if (e === "u" || e === "U") {
          const len = e === "u" ? 4 : 8;
          text += String.fromCodePoint(Number.parseInt(src.slice(this.pos + 2, this.pos + 2 + len), 16));
          this.pos += 2 + len;
          continue;
        }
        throw new HclSyntaxError(`Invalid escape sequence \\${e}`, this.pos);
      }
      if ((c === "$" || c === "%") && src[this.pos + 1] === c && src[this.pos + 2] === "{") {
        text += `${c}{`;
        this.pos += 3;
        continue;
      }
      if (c === "$" && src[this.pos + 1] === "{") {
        flush();
        this.pos += 2;
        if (src[this.pos] === "~") this.pos++;
        const e = this.expression();
        this.skipSpace();
        if (src[this.pos] === "~") this.pos++;
        if (src[this.pos] !== "}")
          throw new HclSyntaxError("Expected } to close the interpolation", this.pos);
        this.pos++;
        cur.push(e);
        continue;
      }
      if (c === "%" && src[this.pos + 1] === "{") {
        flush();
        this.pos += 2;
        if (src[this.pos] === "~") this.pos++;
        const kw = this.next();
        if (kw.v === "if") {
          const cond = this.expression();
          this.closeDirective();
          directives.push({ kind: "if", parts: cur, text: "", head: cond });
          cur = [];
        } else if (kw.v === "for") {
          const f = this.forIntroTemplate();
          this.closeDirective();
          directives.push({ kind: "for", parts: cur, text: "", head: f });
          cur = [];
        } else if (kw.v === "else") {
          this.closeDirective();
          const d = directives[directives.length - 1];
          if (d?.kind !== "if") throw new HclSyntaxError("%{else} without %{if}", kw.pos);
          d.thenParts = cur;
          cur = [];
        } else if (kw.v === "endif" || kw.v === "endfor") {
          this.closeDirective();
          const d = directives.pop();
          if (!d || (kw.v === "endif") !== (d.kind === "if"))
            throw new HclSyntaxError(`Unexpected %{${kw.v}}`, kw.pos);
          const body = cur;
          cur = d.parts;
          if (d.kind === "if") {
            const thenParts = d.thenParts ?? body;
            cur.push({
              kind: "template-if",
              cond: d.head as Expr,
              whenTrue: { kind: "template", parts: thenParts },
              whenFalse: d.thenParts ? { kind: "template", parts: body } : undefined,
            });
          } else {
            const h = d.head as { keyVar?: string; valVar: string; collection: Expr };
            cur.push({ kind: "template-for", ...h, body: { kind: "template", parts: body } });
          }
        } else throw new HclSyntaxError(`Unknown template directive ${kw.v}`, kw.pos);
        continue;
      }
      text += c;
      this.pos++;
    }
    flush();
    if (directives.length) throw new HclSyntaxError("Unterminated template directive", this.pos);
    return { kind: "template", parts };
  }

  forIntroTemplate(): { keyVar?: string; valVar: string; collection: Expr } {
    const a = this.next();
    let keyVar: string | undefined;
    let valVar = a.v;
    if (this.accept(",")) {
      keyVar = a.v;
      valVar = this.next().v;
    }
    const inTok = this.next();
    if (inTok.v !== "in") throw new HclSyntaxError("Expected 'in'", inTok.pos);
    return { keyVar, valVar, collection: this.expression() };
  }

  closeDirective(): void {
    this.skipSpace();
    if (this.src[this.pos] === "~") this.pos++;
    if (this.src[this.pos] !== "}") throw new HclSyntaxError("Expected } to close the directive", this.pos);
    this.pos++;
  }
}

/** References an expression makes to the configuration's named objects, e.g. `var.x`, `aws_iam_role.r`. */
export function references(expr: Expr, bound: ReadonlySet<string> = new Set()): string[][] {
  const out: string[][] = [];
  const walk = (e: Expr, b: ReadonlySet<string>): void => {
    switch (e.kind) {
      case "variable":
      case "getattr":
      case "index": {
        const path = traversalPath(e);
        if (path && !b.has(path[0]!)) {
          out.push(path);
          // index keys inside the traversal may reference things too
          collectIndexKeys(e, b);
          return;
        }
        if (e.kind === "getattr") walk(e.target, b);
        if (e.kind === "index") {
          walk(e.target, b);
          walk(e.key, b);
        }
        return;
      }
      case "literal":
      case "splat-item":
        return;
      case "template":
        for (const p of e.parts) if (typeof p !== "string") walk(p, b);
        return;
      case "splat":
        walk(e.target, b);
        walk(e.each, b);
        return;
      case "call":
        for (const a of e.args) walk(a, b);
        return;
      case "tuple":
        for (const i of e.items) walk(i, b);
        return;
      case "object":
        for (const i of e.items) {
          walk(i.key, b);
          walk(i.value, b);
        }
        return;
      case "unary":
        walk(e.operand, b);
        return;
      case "binary":
        walk(e.left, b);
        walk(e.right, b);
        return;
      case "conditional":
        walk(e.cond, b);
        walk(e.whenTrue, b);
        walk(e.whenFalse, b);
        return;
      case "template-if":
        walk(e.cond, b);
        walk(e.whenTrue, b);
        if (e.whenFalse) walk(e.whenFalse, b);
        return;
      case "for":
      case "template-for": {
        walk(e.collection, b);
        const inner = new Set(b);
        inner.add(e.valVar);
        if (e.keyVar) inner.add(e.keyVar);
        if (e.kind === "for") {
          if (e.key) walk(e.key, inner);
          walk(e.value, inner);
          if (e.cond) walk(e.cond, inner);
        } else walk(e.body, inner);
        return;
      }
    }
  };
  const collectIndexKeys = (e: Expr, b: ReadonlySet<string>): void => {
    if (e.kind === "getattr") collectIndexKeys(e.target, b);
    if (e.kind === "index") {
      walk(e.key, b);
      collectIndexKeys(e.target, b);
    }
  };
  walk(expr, bound);
  return out;
}

/** `a.b[0].c` → ["a", "b", "0"?]: the static names from the root, stopping at the first dynamic index. */
function traversalPath(e: Expr): string[] | null {
  if (e.kind === "variable") return [e.name];
  if (e.kind === "getattr") {
    const p = traversalPath(e.target);
    return p ? [...p, e.name] : null;
  }
  if (e.kind === "index") {
    const p = traversalPath(e.target);
    if (!p) return null;
    if (e.key.kind === "literal" && (typeof e.key.value === "number" || typeof e.key.value === "string"))
      return [...p, `[${e.key.value}]`];
    return p;
  }
  return null;
}
