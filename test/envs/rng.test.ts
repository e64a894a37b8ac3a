import assert from "node:assert/strict";
import { test } from "node:test";
import { npRandom, PCG64, SeedSequence } from "../../src/envs/rng.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";

interface Case {
  seed: number;
  random_raw_uint64: string[];
  random: number[];
  uniform_m005_005: number[];
  integers_0_10: number[];
  integers_3: number;
}

test("PCG64(SeedSequence(seed)) matches numpy bit for bit", () => {
  const { cases } = fixtureMeta<{ cases: Case[] }>(loadFixture("numpy/numpy-pcg64.safetensors"));
  assert.ok(cases.length >= 3);
  for (const c of cases) {
    const bg = new PCG64(new SeedSequence(c.seed));
    assert.deepEqual(
      c.random_raw_uint64.map(() => bg.nextUint64().toString()),
      c.random_raw_uint64,
      `raw, seed ${c.seed}`,
    );
    const g = npRandom(c.seed);
    assert.deepEqual(
      c.random.map(() => g.random()),
      c.random,
      `random, seed ${c.seed}`,
    );
    assert.deepEqual(
      c.uniform_m005_005.map(() => g.uniform(-0.05, 0.05)),
      c.uniform_m005_005,
      `uniform, seed ${c.seed}`,
    );
    assert.deepEqual(
      c.integers_0_10.map(() => g.integers(0, 10)),
      c.integers_0_10,
      `integers, seed ${c.seed}`,
    );
    assert.equal(g.integers(3), c.integers_3, `integers(3), seed ${c.seed}`);
  }
});

test("generator state round-trips and resumes the same stream", () => {
  const g = npRandom(7);
  g.random();
  g.integers(5); // leaves a buffered 32-bit half
  const st = g.getState();
  const a = [g.random(), g.integers(-9999, 9999), g.integers(1000)];
  const h = npRandom(123);
  h.setState(st);
  assert.deepEqual([h.random(), h.integers(-9999, 9999), h.integers(1000)], a);
});

test("bad seeds and ranges are rejected with the value named", () => {
  assert.throws(() => npRandom(-1), /-1/);
  assert.throws(() => npRandom(1.5), /1\.5/);
  assert.throws(() => npRandom(0).integers(3, 3), /high \(3\)/);
});

test("64-bit bounded draws stay in range", () => {
  const g = npRandom(3);
  for (let i = 0; i < 100; i++) {
    const v = g.integers(0, 2 ** 40);
    assert.ok(v >= 0 && v < 2 ** 40 && Number.isInteger(v));
  }
});
