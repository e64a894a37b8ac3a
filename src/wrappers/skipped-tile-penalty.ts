/**
 * A training reward for CarRacing that charges a corner cut when it happens. Under released
 * Gymnasium's lap rule an episode ends early only once every tile is visited, so a lap that
 * skips one tile runs on to the time limit: the cut costs the tile's 1000/N at once, but the
 * lost lap end (−0.1 a frame to frame 1000) only a hundred or more agent steps later, which a
 * discounted learner barely sees. This wrapper subtracts `penalty` for each tile the car
 * leaves behind unvisited, at the step it leaves it, and gives it back if the car returns for
 * the tile. Put it outside RecordEpisodeStatistics: the returns a run logs and evaluates stay
 * the env's own.
 */
import type { Action, Env, Observation, ResetArgs, ResetResult, StepResult } from "../envs/core.js";
import { Wrapper } from "../envs/wrapper.js";
import { brief } from "../util/text.js";

/** What the wrapper reads from the innermost env: CarRacing's tiles, in track order. */
export interface TileCourse {
  /** Tiles of the current track. */
  readonly tileCount: number;
  /** Tiles visited so far this episode. */
  readonly tilesVisited: number;
  /** Whether tile `index` has been visited this episode. */
  tileVisited(index: number): boolean;
}

function isTileCourse(env: unknown): env is TileCourse {
  const e = env as Partial<TileCourse> | null;
  return e !== null && typeof e === "object" && typeof e.tileVisited === "function" && "tileCount" in e && "tilesVisited" in e;
}

export interface SkippedTilePenaltyOptions {
  /** Subtracted from the reward for each tile left behind unvisited; ≥ 0. */
  penalty: number;
  /**
   * A tile counts as left behind once a tile more than `slack` places past it is visited (default
   * 3): on a bend a wheel can touch a tile before the one in front of it, and then touch that one.
   */
  slack?: number;
}

/**
 * Subtracts `penalty` from the step's reward for each tile the car leaves behind unvisited,
 * and adds it back at the step a wheel visits such a tile after all. Only visits up to half a
 * track ahead of the first unresolved tile count as progress, so driving backwards over the
 * start line (tiles N−1, N−2, …) charges nothing.
 */
export class SkippedTilePenalty<O extends Observation = Observation, A extends Action = Action> extends Wrapper<O, A, O, A> {
  readonly penalty: number;
  readonly slack: number;
  private readonly course: TileCourse;
  /** Every tile below it is visited or charged. */
  private cursor = 0;
  private seenVisits = 0;
  /** The indices of the tiles charged and not visited since, in `charged[0..chargedCount)`. */
  private charged = new Int32Array(0);
  private chargedCount = 0;

  constructor(env: Env<O, A>, options: SkippedTilePenaltyOptions) {
    super(env);
    const { penalty, slack = 3 } = options;
    if (!(typeof penalty === "number" && Number.isFinite(penalty) && penalty >= 0)) {
      throw new Error(`SkippedTilePenalty: penalty = ${brief(penalty)} is invalid; expected a finite number ≥ 0`);
    }
    if (!Number.isSafeInteger(slack) || slack < 0) throw new Error(`SkippedTilePenalty: slack = ${brief(slack)} is invalid; expected an integer ≥ 0`);
    const inner = this.unwrapped;
    if (!isTileCourse(inner)) {
      throw new Error(`SkippedTilePenalty: the innermost env (${inner.spec?.id ?? inner.constructor.name}) has no track tiles; it applies to CarRacing only`);
    }
    this.penalty = penalty;
    this.slack = slack;
    this.course = inner;
  }

  /** Tiles charged this episode and not visited since. */
  get skippedTiles(): number {
    return this.chargedCount;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = super.reset(args);
    this.cursor = 0;
    this.chargedCount = 0;
    if (this.charged.length < this.course.tileCount) this.charged = new Int32Array(this.course.tileCount);
    this.seenVisits = this.course.tilesVisited;
    this.resolve();
    return r;
  }

  override step(action: A): StepResult<O> {
    const r = super.step(action);
    if (this.course.tilesVisited === this.seenVisits) return r;
    this.seenVisits = this.course.tilesVisited;
    const change = this.refund() - this.resolve();
    return change === 0 || this.penalty === 0 ? r : { ...r, reward: r.reward + change * this.penalty };
  }

  /** Moves the cursor over visited tiles and over unvisited ones a visit has passed; returns how many of the latter. */
  private resolve(): number {
    const course = this.course;
    const n = course.tileCount;
    let furthest = -1;
    for (let i = Math.min(n, this.cursor + Math.floor(n / 2)) - 1; i >= this.cursor; i--) {
      if (course.tileVisited(i)) {
        furthest = i;
        break;
      }
    }
    let skipped = 0;
    while (this.cursor < n) {
      if (course.tileVisited(this.cursor)) this.cursor++;
      else if (this.cursor + this.slack < furthest) {
        this.charged[this.chargedCount + skipped] = this.cursor;
        skipped++;
        this.cursor++;
      } else break;
    }
    this.chargedCount += skipped;
    return skipped;
  }

  /** Drops the charged tiles a wheel has visited since; returns how many. */
  private refund(): number {
    let kept = 0;
    for (let i = 0; i < this.chargedCount; i++) {
      const tile = this.charged[i]!;
      if (!this.course.tileVisited(tile)) this.charged[kept++] = tile;
    }
    const refunded = this.chargedCount - kept;
    this.chargedCount = kept;
    return refunded;
  }
}
