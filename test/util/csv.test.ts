/** The CSV splitter the trainer's logs and the web views share. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { splitCsvLine } from "../../src/util/csv.js";

test("splitCsvLine: plain cells, empties, quoted commas and doubled quotes", () => {
  assert.deepEqual(splitCsvLine("1,,x"), ["1", "", "x"]);
  assert.deepEqual(splitCsvLine('2,"a,b","say ""hi""",'), ["2", "a,b", 'say "hi"', ""]);
  assert.deepEqual(splitCsvLine(""), [""]);
});
