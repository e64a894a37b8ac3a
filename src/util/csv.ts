/**
 * CSV as the run directory writes it (RFC 4180 quoting): shared by the trainer's logs and
 * the web views that tail them, so both read a row the same way.
 */

/** Splits one CSV line (RFC 4180 quoting: `"a,b"` is one cell, `""` inside quotes is `"`). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
