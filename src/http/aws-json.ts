// awsJson1_1: X-Amz-Target + JSON body in, JSON out (ECR, ECS).
// https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
import { AuthError, AwsError } from "./aws-error.ts";

export function parseJsonBody(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new AwsError("SerializationException", "Start of structure or map found where not expected.", 400);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new AwsError("SerializationException", "Start of structure or map found where not expected.", 400);
  }
  return parsed as Record<string, unknown>;
}

/** Timestamps are epoch seconds (with fractions) in awsJson; everything else is plain JSON. */
export function jsonResponse(result: Record<string, unknown> | undefined): string {
  const value = result ?? {};
  // A replacer function runs for every member and keeps V8 off its fast serializer, which doubled the
  // cost of a DescribeServices answer; so Dates are swapped for numbers first, in a copy of only the
  // branches that hold one. Anything but plain objects, arrays and Dates takes the general path.
  const walk = new Walk();
  const plain = walk.prepare(value);
  if (plain !== NOT_PLAIN) return walk.reused ? walk.write(plain)! : JSON.stringify(plain);
  // The replacer's `this` is the holder, so the raw Date is visible before Date#toJSON ran.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
}

/**
 * Marks `value` as unchanging, so that jsonResponse writes its JSON text once and reuses it: for a
 * rendering of a stored record that answers call after call until the record changes. The value is
 * deep-frozen here; a Date in it must not be set either.
 */
export function reuseJson<T extends object>(value: T): T {
  deepFreeze(value);
  if (!reusable.has(value)) reusable.set(value, undefined);
  return value;
}

/** Values marked by reuseJson → their text, once a response has written it. */
const reusable = new WeakMap<object, string | undefined>();

const NOT_PLAIN = Symbol("not plain data");

/** A reusable value's text, standing in for the value in a prepared copy. */
class Reused {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** One response's preparation: Dates to epoch seconds, reusable values to their text. */
class Walk {
  /** the copies `prepare` made: the only objects that can hold a Date or a Reused */
  readonly #copies = new Set<object>();
  reused = false;

  /**
   * `value` with every Date replaced by its epoch seconds and every reusable value by its text, sharing
   * what holds neither; NOT_PLAIN when it holds an object JSON.stringify would treat specially (a class
   * instance, a toJSON method).
   */
  prepare(value: object): unknown {
    if (value instanceof Date) return value.getTime() / 1000;
    if (reusable.has(value)) return this.#reuse(value);
    return this.#members(value);
  }

  #members(value: object): unknown {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== "object" || item === null) continue;
        const next = this.prepare(item);
        if (next === NOT_PLAIN) return NOT_PLAIN;
        if (next === item) continue;
        if (!copy) {
          copy = value.slice();
          this.#copies.add(copy);
        }
        copy[i] = next;
      }
      return copy ?? value;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if ((proto !== Object.prototype && proto !== null) || "toJSON" in value) return NOT_PLAIN;
    let copy: Record<string, unknown> | undefined;
    // for-in over a plain object visits its own enumerable keys, in JSON.stringify's order
    for (const key in value) {
      const item: unknown = (value as Record<string, unknown>)[key];
      if (typeof item !== "object" || item === null) continue;
      const next = this.prepare(item);
      if (next === NOT_PLAIN) return NOT_PLAIN;
      if (next === item) continue;
      if (!copy) {
        copy = { ...value };
        this.#copies.add(copy);
      }
      copy[key] = next;
    }
    return copy ?? value;
  }

  #reuse(value: object): Reused | typeof NOT_PLAIN {
    let text = reusable.get(value);
    if (text === undefined) {
      const own = new Walk();
      const plain = own.#members(value);
      if (plain === NOT_PLAIN) return NOT_PLAIN;
      text = own.reused ? own.write(plain)! : JSON.stringify(plain);
      reusable.set(value, text);
    }
    this.reused = true;
    return new Reused(text);
  }

  /**
   * JSON.stringify's text for a prepared value holding Reused stand-ins: the copies around them are
   * written here member by member, everything else by JSON.stringify.
   */
  write(value: unknown): string | undefined {
    if (value instanceof Reused) return value.text;
    if (typeof value !== "object" || value === null || !this.#copies.has(value)) return JSON.stringify(value);
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) items.push(this.write(value[i]) ?? "null");
      return `[${items.join(",")}]`;
    }
    const members: string[] = [];
    for (const key of Object.keys(value)) {
      const text = this.write((value as Record<string, unknown>)[key]);
      if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${members.join(",")}}`;
  }
}

/** Freezes `value` and everything in it, already frozen parts included (a frozen object's members may not be). */
function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null) return;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
}

export function jsonError(err: AwsError): { status: number; code: string; body: string } {
  const code = err.jsonCode ?? err.code;
  const message = err instanceof AuthError ? err.jsonMessage : err.message;
  return {
    status: err.jsonStatus ?? err.status,
    code,
    body: JSON.stringify({ ...err.fields, __type: code, message }),
  };
}
