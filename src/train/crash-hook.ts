/**
 * Test hook for the crash-consistency tests; inert unless DEEPQ_TEST_CRASH_AT is set.
 * `DEEPQ_TEST_CRASH_AT=<point>@<n>` makes the process SIGKILL itself the n-th time it
 * reaches `crashPoint(<point>)` (a named moment inside a checkpoint write), so a test can
 * stop a real training run exactly where a crash does the most harm. Not a user feature.
 */
const spec = /^([a-z-]+)@(\d+)$/.exec(process.env.DEEPQ_TEST_CRASH_AT ?? "");
let hits = 0;

export function crashPoint(point: string): void {
  if (spec === null || spec[1] !== point) return;
  if (++hits === Number(spec[2])) process.kill(process.pid, "SIGKILL");
}
