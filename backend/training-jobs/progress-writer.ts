/**
 * Throttles a trainer's progress reports into database writes. A trainer may report
 * every iteration or every user; the job row needs at most one write per interval, with
 * the latest value. Writes never overlap (so they land in order), the last report is
 * never lost (a trailing write follows the interval), and a failed write is logged, not
 * thrown into the trainer.
 */
export interface ProgressWriter {
  /** Synchronous and cheap: records the report and schedules a write if none is due. */
  report(fraction: number, message: string): void;
  /** Writes the last report if it is not written yet; later reports are ignored. */
  close(): Promise<void>;
}

export interface ProgressWriterOptions {
  write(progress: number, message: string): Promise<void>;
  intervalMs: number;
  onError(error: unknown): void;
  now?: () => number;
}

export function createProgressWriter(options: ProgressWriterOptions): ProgressWriter {
  const now = options.now ?? Date.now;
  let pending: { progress: number; message: string } | null = null;
  let lastProgress = 0;
  let lastWriteAt = -Infinity;
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const flush = (): Promise<void> => {
    if (pending === null || inFlight !== null) return inFlight ?? Promise.resolve();
    const { progress, message } = pending;
    pending = null;
    lastWriteAt = now();
    inFlight = options
      .write(progress, message)
      .catch(options.onError)
      .finally(() => {
        inFlight = null;
        schedule();
      });
    return inFlight;
  };

  const schedule = () => {
    if (closed || pending === null || inFlight !== null || timer !== null) return;
    const wait = lastWriteAt + options.intervalMs - now();
    if (wait <= 0) {
      void flush();
      return;
    }
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, wait);
    timer.unref?.();
  };

  return {
    report(fraction, message) {
      // A NaN or out-of-range fraction from a trainer keeps the last good value.
      if (Number.isFinite(fraction)) lastProgress = Math.min(1, Math.max(0, fraction));
      pending = { progress: lastProgress, message };
      schedule();
    },
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      while (inFlight !== null) await inFlight;
      await flush();
    },
  };
}
