/**
 * The bench's outputs: bench/results.json (every figure, with when and how it
 * was measured) and docs/PERFORMANCE.md, regenerated from it. A quick run
 * replaces the counted figures and keeps the timed ones of the last full run.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';

export interface Figure {
  readonly name: string;
  readonly title: string;
  readonly value: string;
  readonly baseline?: string;
  /** ours / baseline (for times: the median of paired ratios). */
  readonly ratio?: number;
  readonly goal: string;
  /** Whether the goal is met; absent where the goal is to report. */
  readonly pass?: boolean;
  /** Counted (calls, resources, bytes: exact, never flaky) or timed. */
  readonly counted: boolean;
  readonly detail?: string;
  readonly rerun: string;
}

export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly node: string;
  readonly date: string;
  readonly mode: string;
  readonly seconds: number;
}

interface Results {
  readonly figures: (Figure & { measured: string })[];
  readonly runs: Machine[];
}

const RESULTS = path.join(__dirname, 'results.json');
const DOC = path.join(__dirname, '..', 'docs', 'PERFORMANCE.md');

export function writeReport(figures: Figure[], machine: Machine): void {
  const previous: Results = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : { figures: [], runs: [] };
  const fresh = new Set(figures.map((f) => f.name));
  const merged = [
    ...figures.map((f) => ({ ...f, measured: `${machine.date.slice(0, 10)} (${machine.mode})` })),
    // A quick run keeps what only a full run measures; a full run measures everything, so figures
    // that no longer exist leave with it.
    ...(machine.mode === 'full' ? [] : previous.figures.filter((f) => !fresh.has(f.name))),
  ];
  const order = (name: string) => ['asset', 'template', 'most', 'synth', 'cdk', 'lifecycle', 'rotation', 'deploy', 'sdk'].findIndex((p) => name.startsWith(p));
  merged.sort((a, b) => order(a.name) - order(b.name));
  const runs = [...previous.runs.filter((r) => r.mode !== machine.mode), machine];
  const results: Results = { figures: merged, runs };
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(DOC, markdown(results));
}

const cell = (s: string | undefined) => (s ?? '—').replace(/\|/g, '\\|');

function markdown(results: Results): string {
  const rows = results.figures.map((f) => {
    const status = f.pass === undefined ? '' : f.pass ? ' ✅' : ' ❌';
    return `| ${cell(f.title)} | ${cell(f.goal)}${status} | ${cell(f.value)} | ${cell(f.baseline)} | ${f.ratio === undefined ? '—' : `${f.ratio.toFixed(2)}×`} `
      + `| ${f.counted ? 'counted' : 'timed'}, ${cell(f.measured)} | \`${f.rerun}\` |`;
  });
  const details = results.figures.filter((f) => f.detail).map((f) => `- **${f.name}**: ${f.detail}`);
  const machines = results.runs.map((m) => `- ${m.mode}: ${m.cores} cores (${m.cpu}), Node.js ${m.node}, ${m.date}, ${m.seconds.toFixed(0)} s`);
  const template = readFileSync(path.join(__dirname, 'PERFORMANCE.template.md'), 'utf8');
  return template
    .replace('{{TABLE}}', ['| figure | goal | measured | baseline | ratio | how | rerun |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n'))
    .replace('{{DETAILS}}', details.join('\n'))
    .replace('{{MACHINES}}', machines.join('\n'));
}
