/** The browser stand-in for atomic-file.ts (package.json "browser") matches its exports and refuses, naming the path. */

import assert from "node:assert/strict";
import { test } from "node:test";
import * as node from "../../src/util/atomic-file.js";
import * as browser from "../../src/util/atomic-file-browser.js";

test("atomic-file-browser: the same exports as atomic-file, each refusing with the path", () => {
  assert.deepEqual(Object.keys(browser).sort(), Object.keys(node).sort());
  assert.throws(
    () => browser.writeFileAtomic("runs/x/videos/episode-0.gif", new Uint8Array(1)),
    /^Error: cannot write runs\/x\/videos\/episode-0\.gif: files are written in Node only$/,
  );
  assert.throws(() => browser.ensureDir("runs/x"), /cannot create directory runs\/x/);
  assert.throws(() => browser.removeStaleTempFiles("runs/x"), /cannot clean runs\/x/);
});
