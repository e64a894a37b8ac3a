/**
 * Checks for the JSON metadata of model, checkpoint and replay files. A file may be
 * truncated, hand-edited or crafted, so every field is checked before it is used, and a
 * failure names the file, the field and what is allowed, in one line.
 */
import { brief } from "../util/text.js";

export class MetaCheck {
  /** `source` labels errors (the file's path or name). */
  constructor(readonly source: string) {}

  fail(field: string, value: unknown, expected: string): never {
    throw new Error(`${this.source}: ${field} = ${brief(value)} is invalid; expected ${expected}`);
  }

  /** Runs a validator that throws its own message (a config resolver), prefixing the file and field. */
  wrap<T>(field: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new Error(`${this.source}: ${field}: ${(e as Error).message}`);
    }
  }

  object(field: string, v: unknown): Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(field, v, "an object");
    return v as Record<string, unknown>;
  }

  /** A string, matching `pattern` when given (`what` describes the pattern in errors). */
  string(field: string, v: unknown, pattern?: RegExp, what = `a string matching ${pattern}`): string {
    if (typeof v !== "string" || (pattern !== undefined && !pattern.test(v))) this.fail(field, v, pattern ? what : "a string");
    return v as string;
  }

  int(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) {
      this.fail(field, v, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`);
    }
    return v as number;
  }

  finite(field: string, v: unknown, min = -Infinity): number {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) this.fail(field, v, min === -Infinity ? "a finite number" : `a finite number ≥ ${min}`);
    return v;
  }

  array(field: string, v: unknown, length?: number): unknown[] {
    if (!Array.isArray(v) || (length !== undefined && v.length !== length)) this.fail(field, v, length === undefined ? "an array" : `an array of ${length}`);
    return v as unknown[];
  }
}
