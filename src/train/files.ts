/**
 * Run-directory files: atomic writes (temp file + rename, so a crash never leaves a
 * half-written checkpoint or plot) and append-only CSV logs.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../nn/safetensors-fs.js";

export { writeFileAtomic };

export type CsvValue = number | string | boolean | null;

function csvCell(v: CsvValue): string {
  if (v === null) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * An append-only CSV file with a fixed header. Reopening an existing file (resume)
 * checks the header matches, so columns never shift silently.
 */
export class CsvLog<K extends string> {
  constructor(readonly path: string, readonly columns: readonly K[]) {
    mkdirSync(dirname(path), { recursive: true });
    const header = columns.join(",");
    if (existsSync(path)) {
      const first = readFileSync(path, "utf8").split("\n", 1)[0];
      if (first !== header) {
        throw new Error(`${path}: header "${first}" does not match the expected "${header}"`);
      }
    } else {
      writeFileAtomic(path, `${header}\n`);
    }
  }

  append(row: Record<K, CsvValue>): void {
    appendFileSync(this.path, `${this.columns.map((c) => csvCell(row[c])).join(",")}\n`);
  }

  /** Parses the rows back (numbers where a cell parses as one). */
  static read(path: string): Array<Record<string, CsvValue>> {
    const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0);
    const header = lines[0]?.split(",") ?? [];
    return lines.slice(1).map((line) => {
      const cells = splitCsvLine(line);
      const row: Record<string, CsvValue> = {};
      header.forEach((h, i) => {
        const c = cells[i] ?? "";
        row[h] = c === "" ? null : c !== "" && Number.isFinite(Number(c)) ? Number(c) : c;
      });
      return row;
    });
  }

  /** Keeps only rows whose `key` column is ≤ `max` (drops what a crashed run wrote after its last checkpoint). */
  static truncateAfter(path: string, key: string, max: number): void {
    if (!existsSync(path)) return;
    const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0);
    const idx = (lines[0] ?? "").split(",").indexOf(key);
    if (idx < 0) throw new Error(`${path}: no column "${key}"`);
    const kept = [lines[0]!, ...lines.slice(1).filter((l) => Number(splitCsvLine(l)[idx]) <= max)];
    writeFileAtomic(path, `${kept.join("\n")}\n`);
  }
}

/** Splits one CSV line (RFC 4180 quoting, as `CsvLog` writes it). */
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

/** `runs/<env>-<yyyymmdd-hhmmss>` under `root`. */
export function newRunDir(root: string, envId: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return join(root, `${envId}-${stamp}`);
}
