import assert from "node:assert/strict";
import { test } from "node:test";
import { goldenDigests } from "./hashes.js";

/** Recorded on commit 91245d7, before the rasterizers, the joint solves and the n-step returns were merged into one each. */
const RECORDED: Record<string, string> = {
  "CartPole-v1 frames": "f6162b052eeaabb6e54cf0dc20b91d6ae741f6836ffe6bf76cfe2aa711765236",
  "CarRacing-v3 discrete": "2daced0f0661b25f404239ba78f88fa2e36877369d5d363f9707c5982c82cd9c",
  "CarRacing-v3 continuous": "a655028099c16a5133a617ebf461cc7f5774a1df276bf2e882ba7ffa97e4f255",
  "CarRacing-v2 domain randomize": "42ae155e14f5a2f50654e39aed7712f9def6ed174ba94c90dea60445a11ea84b",
  "CarRacing-v3 FrameSkip(4) skipped frames": "75975612d3770e33a4dce1ac26927432fb76e9fa9d0b24fd24211706495b625e",
  "LunarLander-v3 discrete": "21a135199668785efbc6f06f28088fc428bda1d46099c0bd8fd767759b2e9c48",
  "LunarLander-v3 continuous wind": "dabfb5b24b5353277fa4f1715ced51150de07b6f19d5a33c58732b2783d18f38",
  "ReplayBuffer n-step": "f83a84a4c35d7eccf001f6fd00be6ace826bea6cf38840228fb53b3a26abca54",
  "ReplayBuffer prioritized": "6523595ef1800530ba45fa470f01cb4c24d808be3140c2e1aee36b50722cc77d",
  "ImageReplayBuffer n-step": "4d815918c7c4217c60eae4e7a3e1e72302ef1d91425c9324ec36d5fad45859df",
  "ImageReplayBuffer prioritized": "62501779c9090aa35ba11f9caf575688e3b9997453beb3bf6594d89d828b55c8",
  "returns plot and captions": "4706a8dcd0d3119886a54b7ec2b6d4efbd6dcd84cc9f418881ba2b6e4bad582a",
};

test("env frames, physics, replay batches and plots are bit-identical to the recorded digests", () => {
  const now = goldenDigests();
  for (const [name, digest] of Object.entries(RECORDED)) assert.equal(now[name], digest, name);
});
