/**
 * Follows an append-only CSV file (the trainer's episodes.csv / progress.csv) and hands
 * over each complete new row once: a cheap `stat` every `intervalMs` (plus `fs.watch` as a
 * hint when the platform has it), then a read of only the bytes past the last offset. The
 * cost per tick does not grow with the file: nothing is re-read.
 *
 * A file that shrinks (a resumed run truncates rows written after its last checkpoint, or a
 * new run reuses the directory) restarts the tail from the top; listeners get `reset`.
 */
import { closeSync, type FSWatcher, openSync, readSync, statSync, watch } from "node:fs";
import { splitCsvLine } from "../../util/csv.js";

export type CsvCell = number | string | null;
export type CsvRow = Record<string, CsvCell>;

export interface CsvTailListener {
  /** New complete rows, in file order. */
  rows(rows: CsvRow[]): void;
  /** The file shrank or was replaced: every row delivered so far is void. */
  reset?(): void;
}

function parseCell(c: string): CsvCell {
  if (c === "") return null;
  const n = Number(c);
  return Number.isFinite(n) ? n : c;
}

/** Incremental parser: feed it bytes as they arrive, get complete rows back. */
export class CsvRowParser {
  private header: string[] | null = null;
  private partial = "";
  private readonly decoder = new TextDecoder();

  get columns(): readonly string[] | null {
    return this.header;
  }

  push(bytes: Uint8Array): CsvRow[] {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const lines = text.split("\n");
    this.partial = lines.pop()!; // an unterminated last line waits for its newline
    const rows: CsvRow[] = [];
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line.length === 0) continue;
      if (this.header === null) {
        this.header = line.split(",");
        continue;
      }
      const cells = splitCsvLine(line);
      const row: CsvRow = {};
      this.header.forEach((h, i) => (row[h] = parseCell(cells[i] ?? "")));
      rows.push(row);
    }
    return rows;
  }
}

export interface CsvTailOptions {
  /** Stat period in milliseconds (default 1000). */
  intervalMs?: number;
  /** Also listen to `fs.watch` events for lower latency (default true). */
  watch?: boolean;
}

const READ_CHUNK = 1 << 16;

export class CsvTail {
  private offset = 0;
  private ino = -1;
  private parser = new CsvRowParser();
  private timer: NodeJS.Timeout | null = null;
  private watcher: FSWatcher | null = null;
  private readonly listeners = new Set<CsvTailListener>();
  private readonly buf = new Uint8Array(READ_CHUNK);
  /** Every row read so far (what a newly connected page gets first). */
  readonly history: CsvRow[] = [];

  constructor(
    readonly path: string,
    private readonly opts: CsvTailOptions = {},
  ) {}

  subscribe(l: CsvTailListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Reads what is there now and starts following. */
  start(): this {
    this.poll();
    const ms = this.opts.intervalMs ?? 1000;
    this.timer = setInterval(() => this.poll(), ms);
    this.timer.unref?.();
    if (this.opts.watch !== false) this.tryWatch();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }

  private tryWatch(): void {
    if (this.watcher) return;
    try {
      // The file may not exist yet; the interval keeps trying until it does.
      this.watcher = watch(this.path, { persistent: false }, () => this.poll());
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null;
    }
  }

  /** One check: returns the rows that were new (also delivered to listeners). */
  poll(): CsvRow[] {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(this.path);
    } catch {
      return [];
    }
    if (this.opts.watch !== false && this.timer) this.tryWatch();
    // Shrunk, or replaced by an atomic rename (CsvLog.keepThrough): start over.
    if (st.size < this.offset || (this.ino !== -1 && st.ino !== this.ino)) this.restart();
    this.ino = st.ino;
    if (st.size === this.offset) return [];
    const fresh: CsvRow[] = [];
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return [];
    }
    try {
      while (this.offset < st.size) {
        const n = readSync(fd, this.buf, 0, Math.min(READ_CHUNK, st.size - this.offset), this.offset);
        if (n <= 0) break;
        this.offset += n;
        for (const r of this.parser.push(this.buf.subarray(0, n))) fresh.push(r);
      }
    } finally {
      closeSync(fd);
    }
    if (fresh.length > 0) {
      for (const r of fresh) this.history.push(r);
      for (const l of this.listeners) l.rows(fresh);
    }
    return fresh;
  }

  private restart(): void {
    this.offset = 0;
    this.parser = new CsvRowParser();
    this.history.length = 0;
    this.watcher?.close(); // it follows the old inode; the next poll watches the new file
    this.watcher = null;
    for (const l of this.listeners) l.reset?.();
  }
}
