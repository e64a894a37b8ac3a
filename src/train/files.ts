/**
 * Run-directory files: append-only CSV logs that never keep a torn row (rewritten through
 * util's atomic writes), and the run directory's name.
 */
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureDir, fsError, writeFileAtomic } from "../util/atomic-file.js";
import { splitCsvLine } from "../util/csv.js";

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
  constructor(
    readonly path: string,
    readonly columns: readonly K[],
  ) {
    ensureDir(dirname(path));
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

  /** Appends one row; if the write fails (a full disk), the file is cut back so no torn row stays. */
  append(row: Record<K, CsvValue>): void {
    const line = `${this.columns.map((c) => csvCell(row[c])).join(",")}\n`;
    let size = -1;
    try {
      size = statSync(this.path).size;
      appendFileSync(this.path, line);
    } catch (e) {
      if (size >= 0) {
        try {
          truncateSync(this.path, size);
        } catch {
          // The resume-time check (`keepThrough`) drops a torn row all the same.
        }
      }
      throw fsError("append to", this.path, e);
    }
  }

  /** Parses the rows back (numbers where a cell parses as one). */
  static read(path: string): Array<Record<string, CsvValue>> {
    const lines = readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l.length > 0);
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

  /** Data rows in `path` (0 when the file is absent or holds only its header). */
  static rowCount(path: string): number {
    if (!existsSync(path)) return 0;
    return Math.max(
      0,
      readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l.length > 0).length - 1,
    );
  }

  /**
   * Keeps only whole rows whose `key` column is ≤ `max`: drops what a crashed run wrote
   * after its last checkpoint and any torn row (no final newline, wrong cell count, or a
   * `key` that is not a number). Returns how many rows were dropped for each reason.
   */
  static keepThrough(path: string, key: string, max: number): { after: number; torn: number } {
    if (!existsSync(path)) return { after: 0, torn: 0 };
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n");
    // The piece after the last newline is a row cut short (or "" when the file ends cleanly).
    let torn = lines.pop()!.length > 0 ? 1 : 0;
    const header = (lines[0] ?? "").split(",");
    const idx = header.indexOf(key);
    if (idx < 0) throw new Error(`${path}: no column "${key}"`);
    const kept = [lines[0]!];
    let after = 0;
    for (const line of lines.slice(1)) {
      if (line.length === 0) continue;
      const cells = splitCsvLine(line);
      const v = cells[idx] === "" ? Number.NaN : Number(cells[idx]);
      if (cells.length !== header.length || !Number.isFinite(v)) torn++;
      else if (v > max) after++;
      else kept.push(line);
    }
    if (after > 0 || torn > 0) writeFileAtomic(path, `${kept.join("\n")}\n`);
    return { after, torn };
  }
}

/** `runs/<env>-<yyyymmdd-hhmmss>` under `root`. */
export function newRunDir(root: string, envId: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return join(root, `${envId}-${stamp}`);
}
