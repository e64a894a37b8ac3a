/**
 * What bundlers load instead of ./atomic-file.ts for a browser (package.json "browser"
 * field): the same exports, each refusing with the path, so a web bundle that holds a
 * file-writing piece (RecordVideo, a run directory) carries nothing of Node's fs.
 */
const REASON = "files are written in Node only";

export function fsError(action: string, path: string, e: unknown): Error {
  return new Error(`cannot ${action} ${path}: ${(e as Error | null)?.message ?? String(e)}`);
}

export function ensureDir(dir: string): void {
  throw new Error(`cannot create directory ${dir}: ${REASON}`);
}

export function removeStaleTempFiles(dir: string): string[] {
  throw new Error(`cannot clean ${dir}: ${REASON}`);
}

export function writeFileAtomic(path: string, _data: Uint8Array | string | Iterable<Uint8Array>): void {
  throw new Error(`cannot write ${path}: ${REASON}`);
}
