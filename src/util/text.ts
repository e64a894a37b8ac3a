/**
 * Short renderings of untrusted values for one-line error messages: a crafted file can
 * hold megabytes in a name, a shape or a list of keys, and the message must stay a line.
 */

/** `text` cut to `max` characters, ending in "…" when cut. */
export function cut(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `value` as JSON (strings quoted), cut to `max` characters. */
export function brief(value: unknown, max = 80): string {
  let s: string;
  try {
    // JSON has no NaN or Infinity: it would print them as null.
    s = value === undefined ? "undefined" : typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  return cut(s, max);
}

/** The first `max` items, each `brief`, then "… and N more". */
export function briefList(items: readonly unknown[], max = 8): string {
  const shown = items
    .slice(0, max)
    .map((v) => brief(v, 60))
    .join(", ");
  return items.length > max ? `${shown}, … and ${items.length - max} more` : shown;
}
