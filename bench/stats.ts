/**
 * How the bench turns runs into figures: paired, alternated runs (A B B A …)
 * after a warm-up, so drift of a shared machine falls on both sides alike;
 * each side reported as median and min–max.
 */

export interface Sample {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function summarize(values: readonly number[]): Sample {
  if (values.length === 0) throw new Error('no runs to summarize');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

/** Milliseconds a call takes, by the monotonic clock. */
export async function timed(run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export interface Paired {
  readonly ours: Sample;
  readonly baseline: Sample;
  /** Median of the per-pair ratios ours/baseline (each pair ran back to back). */
  readonly ratio: number;
}

/**
 * Runs both sides `runs` times each, alternating A B, B A, A B …, after
 * `warmup` unmeasured runs of each; returns milliseconds.
 */
export async function paired(runs: number, warmup: number, ours: () => unknown, baseline: () => unknown): Promise<Paired> {
  for (let i = 0; i < warmup; i++) {
    await ours();
    await baseline();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(await timed(ours));
      b.push(await timed(baseline));
    } else {
      b.push(await timed(baseline));
      a.push(await timed(ours));
    }
  }
  return { ours: summarize(a), baseline: summarize(b), ratio: summarize(a.map((x, i) => x / b[i])).median };
}

/** `1.23 s (1.20–1.31)` or `812 ms (790–840)`. */
export function formatMs(s: Sample): string {
  const unit = s.median >= 1000 ? { d: 1000, u: 's', f: 2 } : { d: 1, u: 'ms', f: 0 };
  const f = (x: number) => (x / unit.d).toFixed(unit.f);
  return `${f(s.median)} ${unit.u} (${f(s.min)}–${f(s.max)}, ${s.runs} runs)`;
}
