/**
 * `npm run bench`: every figure of docs/PERFORMANCE.md, ours and the
 * baseline measured in the same run on the same machine, from a fresh clone
 * and without an AWS account (moto's server stands in for AWS).
 *
 *   ts-node --project bench/tsconfig.json bench/run.ts [--quick] [--no-write] [--runs N] [--sizes 100,1000,5000]
 *
 * Prints one line per figure (`bench: <name> <value> [ratio=<x>]`), writes
 * bench/results.json and regenerates docs/PERFORMANCE.md. `--quick` measures
 * only the counted figures (API calls, resources, bytes), which do not
 * flake, and exits non-zero when one misses its goal: what CI runs. Timed
 * figures are paired and alternated with their baseline after a warm-up,
 * reported as median and min–max; they are never asserted.
 */
import { existsSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assetSizes, loadTimes, SHIPPED } from './asset';
import { compileForSynth, ROOT } from './compile';
import { deploymentCosts, deployUnderQuotas } from './deploy';
import { baselineScan, LifecycleAccount, ourLifecycle } from './lifecycle';
import { Figure, writeReport } from './report';
import { rotationCalls } from './rotation';
import { formatMs, paired, summarize, timed } from './stats';
import { cdkSynth, Synth } from './synth';
import { MotoServer } from '../test/support/moto';

interface Options {
  readonly quick: boolean;
  /** Write bench/results.json and docs/PERFORMANCE.md (not with --no-write: the test task's check). */
  readonly write: boolean;
  readonly runs: number;
  readonly sizes: number[];
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    quick,
    write: !argv.includes('--no-write'),
    runs: Number(value('--runs') ?? 5),
    sizes: (value('--sizes') ?? (quick ? '100,1000' : '100,1000,5000')).split(',').map(Number),
  };
}

const figures: Figure[] = [];

function report(f: Figure): void {
  figures.push(f);
  const ratio = f.ratio === undefined ? '' : ` ratio=${f.ratio.toFixed(2)}`;
  const miss = f.pass === false ? '  MISSES GOAL' : '';
  console.log(`bench: ${f.name} ${f.value}${ratio}${miss}`);
}

const QUICK = 'npm run bench:quick';
/** The zipped rotation function CI allows (docs/PERFORMANCE.md: why not 12 KB). */
const ASSET_LIMIT_KB = 32;
const FULL = 'npm run bench';

async function lifecycleFigures(options: Options): Promise<void> {
  const moto = await MotoServer.start();
  try {
    const account = new LifecycleAccount(moto);
    for (const n of options.sizes) {
      const made = await timed(() => account.growTo(n));
      console.error(`bench: (fixtures: ${n} users, keys and registered secrets in moto, ${(made / 1000).toFixed(1)} s)`);
      const ours = await ourLifecycle(moto, account.functionArn);
      const base = await baselineScan();
      const limit = Math.ceil(n / 100) + 1;
      report({
        name: `lifecycle-calls-${n}`,
        title: `lifecycle run, none due, ${n.toLocaleString('en')} secrets: API calls`,
        value: String(ours.calls.length),
        baseline: String(base.calls.length),
        ratio: ours.calls.length / base.calls.length,
        goal: `≤ ⌈N/100⌉ + 1 = ${limit}`,
        pass: ours.calls.length <= limit,
        counted: true,
        rerun: QUICK,
      });
      const daily = await ourLifecycle(moto, account.functionArn, true);
      const reportCalls = daily.calls.filter((c) => c.endsWith('CredentialReport')).length;
      report({
        name: `lifecycle-daily-calls-${n}`,
        title: `first lifecycle run of the day (current keys checked against IAM's credential report), none due, ${n.toLocaleString('en')} secrets: `
          + 'API calls',
        value: String(daily.calls.length),
        baseline: String(base.calls.length),
        ratio: daily.calls.length / base.calls.length,
        detail: `${reportCalls} of them for the report (GenerateCredentialReport until complete, then GetCredentialReport); no user read`,
        goal: `≤ ⌈N/100⌉ + 1 + 3 = ${limit + 3}`,
        pass: daily.calls.length <= limit + 3,
        counted: true,
        rerun: QUICK,
      });
      if (options.quick) continue;
      // The scan of 5,000 users takes a while on moto: fewer runs at the larger sizes.
      const runs = n >= 5000 ? Math.min(options.runs, 3) : options.runs;
      const t = await paired(runs, n >= 5000 ? 0 : 1, () => ourLifecycle(moto, account.functionArn), () => baselineScan());
      report({
        name: `lifecycle-wall-${n}`,
        title: `lifecycle run, none due, ${n.toLocaleString('en')} secrets on moto: wall time`,
        value: formatMs(t.ours),
        baseline: formatMs(t.baseline),
        ratio: t.ratio,
        goal: n >= 5000 ? '≤ 10 s' : 'report',
        pass: n >= 5000 ? t.ours.median <= 10_000 : undefined,
        counted: false,
        rerun: FULL,
      });
    }
    const calls = await rotationCalls(moto);
    const kinds: [keyof typeof calls, string][] = [
      ['first', 'first rotation (metadata-only secret)'],
      ['second', 'second rotation (first key kept as AWSPREVIOUS)'],
      ['steady', 'steady state (after the lifecycle deleted the previous key)'],
    ];
    for (const [kind, title] of kinds) {
      report({
        name: `rotation-calls-${kind}`,
        title: `AWS calls of one rotation (4 steps), ${title}`,
        value: String(calls[kind].length),
        detail: calls[kind].join(', '),
        baseline: '8 (strict minimum)',
        goal: '≤ 13',
        pass: calls[kind].length <= 13,
        counted: true,
        rerun: QUICK,
      });
    }
    report({
      name: 'rotation-calls-cold-start',
      title: 'AWS calls of a cold start (the registry), besides the rotation\'s',
      value: String(calls.coldStart.length),
      detail: calls.coldStart.join(', '),
      goal: '1',
      pass: calls.coldStart.length <= 1,
      counted: true,
      rerun: QUICK,
    });
  } finally {
    await moto.stop();
  }
}

/** The deployment's counted figures are measured at these sizes (they do not depend on N; two sizes show it). */
const DEPLOY_SIZES = [4, 12];
/** Registrations of the full run's deployment behind Secrets Manager's request quotas: a stack's most RotatingAccessKeys. */
const QUOTA_DEPLOY_SIZE = 240;

async function deployFigures(options: Options): Promise<void> {
  const environment = { ...process.env };
  const moto = await MotoServer.start();
  try {
    const costs = await deploymentCosts(moto, DEPLOY_SIZES);
    const at = (f: (c: typeof costs[number]) => string) => costs.map(f).join(' / ');
    const sizes = `N = ${DEPLOY_SIZES.join(' / ')}`;
    console.error(`bench: (deployments of ${sizes} registrations, every invocation a cold start: ${at((c) => `${c.seconds.toFixed(0)} s`)})`);
    report({
      name: 'deploy-create-calls',
      title: `CloudFormation calls of one registration's Create (\`Custom::AccessKeyRotation\`), a cold start, ${sizes}`,
      value: at((c) => String(c.createCalls)),
      baseline: '3 before (verification, DescribeStacks, the whole registry)',
      detail: 'DescribeStackResource of the resource being created: it verifies the event and returns the registration\'s own entry (its Metadata)',
      goal: '≤ 2',
      pass: costs.every((c) => c.createCalls <= 2),
      counted: true,
      rerun: QUICK,
    });
    report({
      name: 'deploy-create-bytes',
      title: `CloudFormation bytes one registration's Create reads, a cold start, ${sizes}`,
      value: at((c) => `${c.createBytes} B`),
      baseline: 'the whole registry before (87 KB at N = 240)',
      goal: 'the same at every N (± 64 B), ≤ 2 KB',
      pass: costs.every((c) => c.createBytes <= 2048 && Math.abs(c.createBytes - costs[0].createBytes) < 64),
      counted: true,
      rerun: QUICK,
    });
    report({
      name: 'deploy-calls-per-registration',
      title: `CloudFormation calls of a whole deployment per registration, every invocation a cold start (the Create, the first rotation's 4 steps), ${sizes}`,
      value: at((c) => c.callsPerRegistration.toFixed(2)),
      baseline: '7 (issue 13, N = 240)',
      detail: 'the Create 1, each rotation step\'s cold start 1 (the registry); the departures resource and the function\'s own cold start are shared by the stack',
      goal: '≤ 5 + 2/N',
      pass: costs.every((c) => c.callsPerRegistration <= 5 + 2 / c.n),
      counted: true,
      rerun: QUICK,
    });
    report({
      name: 'deploy-step-bytes',
      title: `CloudFormation bytes a rotation step's cold start reads (the whole registry: the step knows only the secret's ARN), ${sizes}`,
      value: at((c) => `${(c.stepBytes / 1024).toFixed(1)} KB`),
      goal: 'report (grows with N: once per container, not per step)',
      counted: true,
      rerun: QUICK,
    });
    if (options.quick) return;
    const quota = await deployUnderQuotas(moto, QUOTA_DEPLOY_SIZE);
    console.error(`bench: (deployment of ${quota.n} registrations behind the quotas: ${quota.seconds.toFixed(0)} s)`);
    report({
      name: `deploy-${quota.n}-under-quotas`,
      title: `a deployment of ${quota.n} registrations behind Secrets Manager's request quotas (50 a second for RotateSecret, writes, TagResource)`,
      value: quota.problems.length === 0 ? `every secret holds a working key, no failed step (${quota.throttled} requests throttled and retried)`
        : `${quota.problems.length} problem(s): ${quota.problems.slice(0, 3).join('; ')}`,
      goal: 'every secret holds a working key, no failed step',
      pass: quota.problems.length === 0,
      counted: true,
      rerun: FULL,
    });
  } finally {
    await moto.stop();
    // The player pointed the SDK at its recorder: the other figures use moto's own endpoint again.
    for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
    Object.assign(process.env, environment);
  }
}

async function synthFigures(options: Options): Promise<void> {
  const synth = new Synth(compileForSynth());
  const base = synth.perUser('baseline');
  // bytesLimit: what CI holds (today's bytes with a little room). Issue 9 asked for 2.0× the
  // baseline; docs/PERFORMANCE.md shows which property each byte above that buys. Issue 13 added
  // each rotation resource's own registration (≈330–420 bytes), so that a Create reads no registry.
  const ours = [
    { layout: 'RotatingAccessKeyUser', most: 160, synthGoal: 1.25, bytesLimit: 2650 },
    { layout: 'RotatingAccessKey', most: 240, synthGoal: 1.10, bytesLimit: 2600 },
  ];
  report({
    name: 'template-bytes-per-user-baseline',
    title: 'template bytes per user, baseline (User + AccessKey + Secret)',
    value: base.bytes.toFixed(0),
    goal: '—',
    counted: true,
    rerun: QUICK,
  });
  const baseMost = synth.mostUsers('baseline', (500 - base.fixedResources) / base.resources);
  report({
    name: 'most-users-baseline',
    title: 'resources per user; most users per stack, baseline',
    value: `${base.resources.toFixed(2)} → ${baseMost}`,
    goal: '—',
    counted: true,
    rerun: QUICK,
  });
  for (const o of ours) {
    const p = synth.perUser(o.layout);
    report({
      name: `template-bytes-per-user-${o.layout}`,
      title: `template bytes per user, ${o.layout} (marginal: (101 users − 1) / 100)`,
      value: p.bytes.toFixed(0),
      baseline: base.bytes.toFixed(0),
      ratio: p.bytes / base.bytes,
      goal: `≤ ${o.bytesLimit} B (issue 9 asked ≤ 2.0×: see below)`,
      pass: p.bytes <= o.bytesLimit,
      counted: true,
      rerun: QUICK,
    });
    const most = synth.mostUsers(o.layout, (500 - p.fixedResources) / p.resources);
    report({
      name: `most-users-${o.layout}`,
      title: `resources per user; most users per stack (500-resource limit), ${o.layout}`,
      value: `${p.resources.toFixed(2)} → ${most}`,
      baseline: `${base.resources.toFixed(2)} → ${baseMost}`,
      ratio: most / baseMost,
      goal: `≥ ${o.most} users`,
      pass: most >= o.most,
      counted: true,
      rerun: QUICK,
    });
  }
  if (options.quick) return;
  for (const o of ours) {
    const t = await paired(options.runs, 2, () => synth.synthOnce(o.layout, 100), () => synth.synthOnce('baseline', 100));
    report({
      name: `synth-in-process-${o.layout}`,
      title: `in-process synth, 100 users, ${o.layout} vs User + AccessKey + Secret`,
      value: formatMs(t.ours),
      baseline: formatMs(t.baseline),
      ratio: t.ratio,
      goal: `≤ ${o.synthGoal.toFixed(2)}×`,
      pass: t.ratio <= o.synthGoal,
      counted: false,
      rerun: FULL,
    });
  }
  const cli = await paired(options.runs, 1, () => cdkSynth('RotatingAccessKeyUser', 100), () => cdkSynth('baseline', 100));
  report({
    name: 'cdk-synth-RotatingAccessKeyUser',
    title: 'whole-process `cdk synth`, 100 users, RotatingAccessKeyUser vs baseline (real CLI, app precompiled)',
    value: formatMs(cli.ours),
    baseline: formatMs(cli.baseline),
    ratio: cli.ratio,
    goal: '≤ 1.05×',
    pass: cli.ratio <= 1.05,
    counted: false,
    rerun: FULL,
  });
}

async function assetFigures(options: Options): Promise<void> {
  if (!existsSync(SHIPPED)) throw new Error(`${path.relative(ROOT, SHIPPED)} is missing: run 'npx projen bundle' first`);
  const sizes = assetSizes();
  // The 12 KB goal was set for a function a third of today's size (before the registry, the
  // CloudFormation checks, the custom resources and the read model): docs/PERFORMANCE.md weighs it.
  // The limit CI holds is today's size with a little room, so that growth is a decision, not a drift.
  const deps = Object.entries(sizes.byPackage).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KB`).join(', ');
  report({
    name: 'asset-zipped',
    title: 'rotation function asset, zipped (as shipped: minified, names kept)',
    value: `${(sizes.shipped.zipped / 1024).toFixed(1)} KB`,
    detail: `${(sizes.shipped.bytes / 1024).toFixed(1)} KB unzipped; minified without names ${(sizes.minified.zipped / 1024).toFixed(1)} KB zipped, `
      + `${(sizes.minified.bytes / 1024).toFixed(1)} KB unzipped: ${deps}`,
    goal: `≤ ${ASSET_LIMIT_KB} KB (issue 9 asked ≤ 12 KB: see below)`,
    pass: sizes.shipped.zipped <= ASSET_LIMIT_KB * 1024,
    counted: true,
    rerun: QUICK,
  });
  if (options.quick) return;
  const load = await loadTimes(Math.max(options.runs, 5));
  const over = (p: typeof load.bundle) => summarize([p.ours.median - p.baseline.median]).median;
  report({
    name: 'asset-load',
    title: 'loading the shipped bundle, over `node -e 0` (no SDK client is loaded until a path uses it)',
    value: `+${over(load.bundle).toFixed(0)} ms`,
    detail: `${formatMs(load.bundle.ours)} vs ${formatMs(load.bundle.baseline)}`,
    goal: 'report',
    counted: false,
    rerun: FULL,
  });
  report({
    name: 'sdk-clients-load',
    title: 'loading the SDK clients, over `node -e 0`: a rotation step\'s four (CloudFormation, Secrets Manager, IAM, EventBridge) / all six',
    value: `+${over(load.rotationClients).toFixed(0)} ms / +${over(load.allClients).toFixed(0)} ms`,
    goal: 'report',
    counted: false,
    rerun: FULL,
  });
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  await assetFigures(options);
  await synthFigures(options);
  await lifecycleFigures(options);
  await deployFigures(options);
  const seconds = (Date.now() - started) / 1000;
  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    date: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    seconds,
  };
  if (options.write) writeReport(figures, machine);
  console.log(`bench: wall ${seconds.toFixed(0)} s (${machine.mode})`);
  const missed = figures.filter((f) => f.counted && f.pass === false);
  if (options.quick && missed.length > 0) {
    console.error(`bench: ${missed.length} counted figure(s) miss their goal: ${missed.map((f) => f.name).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(e);
  process.exitCode = 2;
});
