/**
 * Base of every `Env → Env` transform (Gymnasium keeps it in `core.py` too): forwards
 * everything to the inner env unless overridden.
 */
import type { Action, Env, EnvMetadata, EnvSpec, Observation, RenderFrame, ResetArgs, ResetResult, StepResult } from "./core.js";
import type { Space } from "./spaces.js";

export class Wrapper<O extends Observation = Observation, A extends Action = Action, IO extends Observation = Observation, IA extends Action = Action>
  implements Env<O, A>
{
  spec?: EnvSpec | undefined;

  constructor(readonly env: Env<IO, IA>) {
    this.spec = env.spec;
  }

  get observationSpace(): Space<O> {
    return this.env.observationSpace as unknown as Space<O>;
  }

  get actionSpace(): Space<A> {
    return this.env.actionSpace as unknown as Space<A>;
  }

  get metadata(): EnvMetadata {
    return this.env.metadata;
  }

  /** The innermost env. */
  get unwrapped(): Env {
    let e: Env = this.env as Env;
    while (e instanceof Wrapper) e = e.env as Env;
    return e;
  }

  reset(args?: ResetArgs): ResetResult<O> {
    return this.env.reset(args) as unknown as ResetResult<O>;
  }

  step(action: A): StepResult<O> {
    return this.env.step(action as unknown as IA) as unknown as StepResult<O>;
  }

  render(): RenderFrame {
    return this.env.render();
  }

  close(): void {
    this.env.close();
  }
}
