/** The replay memory is sized up front: checked against the machine before it is allocated, as SB3 warns. */

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { test } from "node:test";
import "../../src/envs/index.js";
import { type DQNConfig, resolveDQNConfig } from "../../src/agents/config.js";
import type { DQNSpec } from "../../src/agents/dqn.js";
import { checkReplayMemory, createMemory, memoryBytesFor } from "../../src/train/memory.js";
import { train } from "../../src/train/trainer.js";
import { quick, tmp } from "./helpers.js";

const GiB = 2 ** 30;

test("more replay memory than the machine has is refused; more than is available now is a warning", () => {
  const mem = { total: 23 * GiB, available: 20 * GiB };
  assert.throws(
    () => checkReplayMemory(40 * GiB, 1e9, mem),
    /^Error: bufferSize 1000000000 needs 40\.0 GiB \(42949672960 bytes\) of replay memory, more than this machine's 23\.0 GiB \(20\.0 GiB available\); lower bufferSize$/,
  );
  assert.match(
    checkReplayMemory(21 * GiB, 5e8, mem)!,
    /^bufferSize 500000000 needs 21\.0 GiB of replay memory, more than the 20\.0 GiB available now \(of 23\.0 GiB\)/,
  );
  assert.equal(checkReplayMemory(GiB, 1e6, mem), null);
});

test("memoryBytesFor is what the buffers then allocate: vector, frame-stack images, prioritized", () => {
  const vector: DQNSpec = { observationShape: [8], observationType: "float32", nActions: 4 };
  const image: DQNSpec = { observationShape: [4, 84, 84], observationType: "uint8", nActions: 5 };
  const cases: Array<[DQNSpec, Partial<DQNConfig>]> = [
    [vector, { bufferSize: 10_000 }],
    [vector, { bufferSize: 10_001, numEnvs: 4, prioritized: true }],
    [image, { bufferSize: 5_000, numEnvs: 2, network: { kind: "small-cnn" } }],
    [image, { bufferSize: 3_000, prioritized: true, network: { kind: "nature-cnn" } }],
  ];
  for (const [spec, partial] of cases) {
    const cfg = resolveDQNConfig(partial);
    assert.equal(memoryBytesFor(spec, cfg), createMemory(spec, cfg, 1000).memoryBytes, JSON.stringify(partial));
  }
});

test("a bufferSize beyond the machine or the engine's typed-array limits is refused before allocating, naming bufferSize", async () => {
  const spec: DQNSpec = { observationShape: [4], observationType: "float32", nActions: 2 };
  assert.throws(
    () => createMemory(spec, resolveDQNConfig({ bufferSize: 2 ** 31 }), 1000),
    /^Error: bufferSize 2147483648: the replay buffer cannot be allocated \(ReplayBuffer: capacity must be < 2\^31/,
  );
  const dir = tmp();
  try {
    // 2e9 CartPole transitions are 84 GB: more than any test machine, and than a Float32Array may hold.
    await assert.rejects(
      train({ ...quick, agent: { ...quick.agent, bufferSize: 2e9 } }, { runDir: dir }),
      /^Error: bufferSize 2000000000 (needs 78\.2 GiB \(84000000000 bytes\) of replay memory, more than this machine's|: the replay buffer cannot be allocated)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
