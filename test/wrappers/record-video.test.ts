import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { make } from "../../src/envs/index.js";
import { RecordVideo } from "../../src/wrappers/index.js";

test("RecordVideo saves every n-th episode as a GIF with its return, and nothing else changes", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-video-"));
  try {
    const saved: [string, number, number][] = [];
    const plain = make("CartPole-v1");
    const env = new RecordVideo(make("CartPole-v1"), { dir, every: 2, stride: 3, firstEpisode: 4, onSaved: (p, e, r) => saved.push([p, e, r]) });
    const returns: number[] = [];
    for (let ep = 0; ep < 4; ep++) {
      env.reset({ seed: ep });
      plain.reset({ seed: ep });
      let ret = 0;
      for (let t = 0; ; t++) {
        const a = t % 3 === 0 ? 0 : 1;
        const r = env.step(a);
        const q = plain.step(a);
        assert.deepEqual(r.obs, q.obs);
        ret += r.reward;
        if (r.terminated || r.truncated) break;
      }
      returns.push(ret);
    }
    assert.deepEqual(readdirSync(dir).sort(), ["episode-4.gif", "episode-6.gif"]);
    assert.deepEqual(
      saved.map(([, e, r]) => [e, r]),
      [
        [4, returns[0]],
        [6, returns[2]],
      ],
    );
    for (const [p] of saved) {
      assert.ok(existsSync(p));
      assert.equal(readFileSync(p).subarray(0, 6).toString("latin1"), "GIF89a");
    }
    assert.throws(() => new RecordVideo(make("CartPole-v1"), { dir, every: 0 }), /every must be a positive integer, got 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
