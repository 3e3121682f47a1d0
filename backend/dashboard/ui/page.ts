/** What every page module exports: draw into `root`, and return how to stop its timers when the operator leaves. */
export interface PageContext {
  /** Draw the page again (after an action changed what it shows). */
  refresh(): void;
}

export type Page = (root: HTMLElement, params: readonly string[], ctx: PageContext) => Promise<(() => void) | undefined>;

/** Calls `tick` every `ms` until stopped; a tick that throws is shown by the caller, and polling goes on. */
export function every(ms: number, tick: () => Promise<void>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = async () => {
    await tick().catch(() => undefined);
    if (!stopped) timer = setTimeout(loop, ms);
  };
  timer = setTimeout(loop, ms);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
