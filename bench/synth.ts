/**
 * Synth figures: in-process synth time of n users, whole-process `cdk synth`
 * with the real CLI, template bytes and resources per user (marginal, from 1
 * to 101 users), and the most users one stack holds under CloudFormation's
 * 500-resource limit (CDK refuses a bigger stack at synth).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { App } from 'aws-cdk-lib';
import { OUT, ROOT } from './compile';

type BuildApp = (layout: string, n: number, outdir?: string) => App;

export class Synth {
  private readonly buildApp: BuildApp;

  constructor(layoutsModule: string) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the precompiled layouts, so no TypeScript compiler is timed
    this.buildApp = require(layoutsModule).buildApp;
  }

  /** Synthesizes n users into a fresh directory; returns the template's bytes and resource count, or undefined over 500. */
  template(layout: string, n: number): { bytes: number; resources: number } | undefined {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-synth-'));
    try {
      const assembly = this.buildApp(layout, n, dir).synth();
      const stack = assembly.getStackByName('Stack');
      return { bytes: statSync(stack.templateFullPath).size, resources: Object.keys(stack.template.Resources).length };
    } catch (e) {
      if (/Number of resources .* is greater than allowed maximum of 500/.test((e as Error).message)) return undefined;
      throw e;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** One in-process synth of n users (what a test or a `cdk synth` app does after loading its modules). */
  synthOnce(layout: string, n: number): void {
    this.template(layout, n);
  }

  /** Marginal template bytes and resources per user: (101 users − 1 user) / 100. */
  perUser(layout: string): { bytes: number; resources: number; fixedResources: number } {
    const one = this.template(layout, 1)!;
    const many = this.template(layout, 101)!;
    return { bytes: (many.bytes - one.bytes) / 100, resources: (many.resources - one.resources) / 100, fixedResources: one.resources };
  }

  /** The largest n whose stack synthesizes, searched from an estimate. */
  mostUsers(layout: string, estimate: number): number {
    const fits = (n: number) => this.template(layout, n) !== undefined;
    let lo = Math.max(1, Math.min(500, Math.floor(estimate)));
    if (fits(lo)) {
      while (lo < 500 && fits(lo + 1)) lo++;
      return lo;
    }
    while (lo > 1 && !fits(lo - 1)) lo--;
    return lo - 1;
  }
}

/** Whole-process `cdk synth` of the precompiled app with the real CLI; returns nothing (timed by the caller). */
export function cdkSynth(layout: string, n: number): void {
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-cdk-'));
  try {
    execFileSync(process.execPath, [
      path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--no-notices', '--no-version-reporting',
      '--app', `${process.execPath} ${path.join(OUT, 'bench', 'app.js')}`, '--output', outdir,
    ], {
      cwd: OUT,
      env: { ...process.env, BENCH_LAYOUT: layout, BENCH_USERS: String(n), CDK_DISABLE_VERSION_CHECK: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // The CLI wrote what the app synthesized: check it is there.
    readFileSync(path.join(outdir, 'Stack.template.json'));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
