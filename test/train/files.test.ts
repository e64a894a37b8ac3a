import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CsvLog, newRunDir, writeFileAtomic } from "../../src/train/files.js";

test("writeFileAtomic replaces the file and leaves no temp file", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-"));
  const p = join(dir, "sub", "a.bin");
  writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  writeFileAtomic(p, "hello");
  assert.equal(readFileSync(p, "utf8"), "hello");
  assert.deepEqual(readdirSync(join(dir, "sub")), ["a.bin"]);
});

test("CsvLog appends, quotes, reads back and truncates after a step", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-"));
  const p = join(dir, "log.csv");
  const log = new CsvLog(p, ["step", "note", "value"] as const);
  log.append({ step: 10, note: 'a,"b"', value: 1.5 });
  log.append({ step: 20, note: "x", value: NaN });
  log.append({ step: 30, note: "y", value: null });
  const again = new CsvLog(p, ["step", "note", "value"] as const);
  again.append({ step: 40, note: "z", value: 2 });
  const rows = CsvLog.read(p);
  assert.deepEqual(rows.map((r) => r.step), [10, 20, 30, 40]);
  assert.equal(rows[0]!.note, 'a,"b"');
  assert.equal(rows[1]!.value, null);
  CsvLog.truncateAfter(p, "step", 20);
  assert.deepEqual(CsvLog.read(p).map((r) => r.step), [10, 20]);
});

test("a CSV with other columns is refused, naming both headers", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-"));
  const p = join(dir, "log.csv");
  writeFileSync(p, "a,b\n1,2\n");
  assert.throws(() => new CsvLog(p, ["step"] as const), /"a,b" does not match the expected "step"/);
});

test("run dirs are named env-timestamp", () => {
  assert.equal(newRunDir("runs", "CartPole-v1", new Date(2026, 0, 2, 3, 4, 5)), join("runs", "CartPole-v1-20260102-030405"));
});
