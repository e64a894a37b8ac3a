import assert from "node:assert/strict";
import fs, { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CsvLog, newRunDir } from "../../src/train/files.js";
import { ensureDir, writeFileAtomic } from "../../src/util/atomic-file.js";

const dirs: string[] = [];
const tmp = () => {
  dirs.push(mkdtempSync(join(tmpdir(), "deepq-files-")));
  return dirs.at(-1)!;
};
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("writeFileAtomic replaces the file and leaves no temp file", () => {
  const dir = tmp();
  const p = join(dir, "sub", "a.bin");
  writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  writeFileAtomic(p, "hello");
  assert.equal(readFileSync(p, "utf8"), "hello");
  assert.deepEqual(readdirSync(join(dir, "sub")), ["a.bin"]);
});

test("CsvLog appends, quotes, reads back and truncates after a step", () => {
  const dir = tmp();
  const p = join(dir, "log.csv");
  const log = new CsvLog(p, ["step", "note", "value"] as const);
  log.append({ step: 10, note: 'a,"b"', value: 1.5 });
  log.append({ step: 20, note: "x", value: NaN });
  log.append({ step: 30, note: "y", value: null });
  const again = new CsvLog(p, ["step", "note", "value"] as const);
  again.append({ step: 40, note: "z", value: 2 });
  const rows = CsvLog.read(p);
  assert.deepEqual(
    rows.map((r) => r.step),
    [10, 20, 30, 40],
  );
  assert.equal(rows[0]!.note, 'a,"b"');
  assert.equal(rows[1]!.value, null);
  CsvLog.keepThrough(p, "step", 20);
  assert.deepEqual(
    CsvLog.read(p).map((r) => r.step),
    [10, 20],
  );
});

test("a CSV with other columns is refused, naming both headers", () => {
  const dir = tmp();
  const p = join(dir, "log.csv");
  writeFileSync(p, "a,b\n1,2\n");
  assert.throws(() => new CsvLog(p, ["step"] as const), /"a,b" does not match the expected "step"/);
});

test("run dirs are named env-timestamp", () => {
  assert.equal(newRunDir("runs", "CartPole-v1", new Date(2026, 0, 2, 3, 4, 5)), join("runs", "CartPole-v1-20260102-030405"));
});

test("a failed append (full disk) leaves no torn row, and the error names the file", () => {
  const dir = tmp();
  const p = join(dir, "log.csv");
  const log = new CsvLog(p, ["step", "value"] as const);
  log.append({ step: 1, value: 1 });
  const { appendFileSync } = fs;
  // The disk fills halfway through the row.
  fs.appendFileSync = ((path: fs.PathOrFileDescriptor, data: string) => {
    appendFileSync(path, data.slice(0, 3));
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  }) as typeof fs.appendFileSync;
  syncBuiltinESMExports();
  try {
    assert.throws(
      () => log.append({ step: 2, value: 123456 }),
      new RegExp(`cannot append to ${p.replace(/[/\\.]/g, "\\$&")}: no space left on device \\(ENOSPC\\)`),
    );
  } finally {
    fs.appendFileSync = appendFileSync;
    syncBuiltinESMExports();
  }
  assert.equal(readFileSync(p, "utf8"), "step,value\n1,1\n");
});

test("keepThrough drops torn rows (cut short, wrong cell count, no number) and rows past the step", () => {
  const dir = tmp();
  const p = join(dir, "log.csv");
  writeFileSync(p, "step,v\n10,1\n20\nx,2\n30,3\n40,4\n50,");
  assert.deepEqual(CsvLog.keepThrough(p, "step", 30), { after: 1, torn: 3 });
  assert.equal(readFileSync(p, "utf8"), "step,v\n10,1\n30,3\n");
  assert.deepEqual(CsvLog.keepThrough(p, "step", 30), { after: 0, torn: 0 });
  assert.equal(CsvLog.rowCount(p), 2);
});

test("file errors name the file and the real reason: a read-only file system is EROFS, not ENOENT", () => {
  const dir = tmp();
  const { mkdirSync, writeSync } = fs;
  fs.mkdirSync = ((path: fs.PathLike, opts?: fs.MakeDirectoryOptions) => {
    if (String(path).includes("readonly")) throw Object.assign(new Error("EROFS: read-only file system, mkdir"), { code: "EROFS" });
    return mkdirSync(path, opts);
  }) as typeof fs.mkdirSync;
  fs.writeSync = (() => {
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  try {
    assert.throws(() => ensureDir(join(dir, "readonly", "run")), /cannot create directory .*readonly: read-only file system \(EROFS\)/);
    assert.throws(() => writeFileAtomic(join(dir, "a", "config.json"), "{}"), /cannot write .*a\/config\.json: no space left on device \(ENOSPC\)/);
  } finally {
    fs.mkdirSync = mkdirSync;
    fs.writeSync = writeSync;
    syncBuiltinESMExports();
  }
  assert.deepEqual(readdirSync(join(dir, "a")), [], "no temp file left");
  writeFileSync(join(dir, "file"), "");
  assert.throws(() => ensureDir(join(dir, "file", "run")), /cannot create directory .*file: not a directory \(ENOTDIR\)/);
});
