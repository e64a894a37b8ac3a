/**
 * Files written safely: save atomically (write a temp file in the same directory, fsync,
 * rename over the target, fsync the directory, so a crash never leaves a half-written
 * file), clean up the temp files of writes a crash cut short, create directories, and
 * errors that name the file and say what failed. Node-only; imports nothing of deepq.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EEXIST: "already exists",
  EMFILE: "too many open files",
  EIO: "input/output error",
  EFBIG: "file too large",
  ERR_FS_FILE_TOO_LARGE: "file too large to read at once",
};

/** "no space left on device (ENOSPC)" for a Node fs error, its message for anything else. */
function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && ERRNO_TEXT[code] !== undefined) return `${ERRNO_TEXT[code]} (${code})`;
  return code ?? (e as Error).message;
}

/** An error for `action` on `path` ("cannot write runs/x/config.json: no space left on device (ENOSPC)") that keeps the errno code. */
export function fsError(action: string, path: string, e: unknown): Error {
  const err = new Error(`cannot ${action} ${path}: ${describeFsError(e)}`) as NodeJS.ErrnoException;
  err.code = (e as NodeJS.ErrnoException | null)?.code;
  return err;
}

/**
 * Creates `dir` and its missing parents, one level at a time: Node's recursive mkdir
 * reports ENOENT for a read-only file system, while a plain mkdir gives the true errno.
 */
export function ensureDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw fsError("create directory", dir, Object.assign(new Error(), { code: "ENOTDIR" }));
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(parent);
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw fsError("create directory", dir, e);
  }
}

/** The temp file `writeFileAtomic` writes `path` through: `.<name>.<pid>.tmp` beside it. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

const TEMP_NAME = /^\..+\.(\d+)\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temp files in `dir` left by `writeFileAtomic` calls that a crash or a kill
 * cut short (their process is gone); a live process's temp files are left alone.
 * Returns the names removed.
 */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m === null || (Number(m[1]) !== process.pid && processAlive(Number(m[1])))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Makes a rename in `dir` durable (a no-op where directories cannot be opened, as on Windows). */
function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename itself has happened.
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` (bytes, text, or byte parts written one after another, so a large file
 * is never assembled in memory) to `path` via a temporary sibling file, fsync and a
 * rename: a crash leaves the old file or the new one, never half of one. Errors name
 * `path` and the reason; the temp file is removed.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | Iterable<Uint8Array>): void {
  ensureDir(dirname(path));
  const tmp = tempPath(path);
  const parts = typeof data === "string" ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  try {
    const fd = openSync(tmp, "w");
    try {
      for (const bytes of parts) {
        let off = 0;
        while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fsError("write", path, e);
  }
  syncDir(dirname(path));
}
