import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { ProgressDisplay } from "../../src/cli/progress.js";

test("off a TTY, progress prints plain lines with every field and permanent log lines", async () => {
  const stream = new PassThrough();
  let out = "";
  stream.on("data", (d: Buffer) => (out += d.toString()));
  const p = new ProgressDisplay({ total: 1000, stream: stream as unknown as NodeJS.WriteStream, plainEverySeconds: 0.05 });
  for (let s = 0; s <= 1000; s += 100) {
    p.update(s, { epsilon: 0.5, lastReturn: 12.5, lastEval: { mean: 200, std: 10 } });
    await new Promise((r) => setTimeout(r, 210));
  }
  p.log("eval 1000: 200.0 ± 10.0");
  p.stop();
  assert.match(out, /eval 1000: 200\.0 ± 10\.0/);
  assert.match(out, /\/1000 steps \| [\d.]+ steps\/s \| ε 0\.500 \| return 12\.5 \| eval 200\.0 ± 10\.0/);
});
