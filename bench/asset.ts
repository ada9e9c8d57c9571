/**
 * The rotation function's asset: its size as shipped and zipped (what Lambda
 * stores), the same bundle minified (esbuild, run here with the bundle task's
 * options plus `--minify`), what its biggest inputs are, and what loading it
 * costs a cold start over `node -e 0` — and how much of that is the SDK
 * clients it loads.
 */
import { execFileSync } from 'child_process';
import { readFileSync, statSync } from 'fs';
import * as path from 'path';
import { deflateRawSync } from 'zlib';
import { buildSync, Metafile } from 'esbuild';
import { OUT, ROOT } from './compile';
import { paired, Paired } from './stats';

export const SHIPPED = path.join(ROOT, 'assets', 'rotation', 'rotation.lambda', 'index.js');

/** The bytes of a zip holding one file (deflate, level 9), as a Lambda asset is uploaded. */
export function zippedBytes(file: string): number {
  const name = Buffer.byteLength('index.js');
  return 30 + name + deflateRawSync(readFileSync(file), { level: 9 }).length + 46 + name + 22;
}

/** The bundle task's esbuild options (.projen/tasks.json, bundle:rotation/rotation.lambda), with `minify` as given. */
export function bundle(outfile: string, minify: boolean): Metafile {
  const out = buildSync({
    entryPoints: [path.join(ROOT, 'src', 'rotation', 'rotation.lambda.ts')],
    bundle: true,
    target: 'node24',
    platform: 'node',
    outfile,
    tsconfig: path.join(ROOT, 'test', 'tsconfig.json'),
    external: ['@aws-sdk/*'],
    minify,
    metafile: true,
    logLevel: 'error',
  });
  return out.metafile!;
}

export interface AssetSizes {
  readonly shipped: { bytes: number; zipped: number };
  readonly minified: { bytes: number; zipped: number };
  /** Bytes of the minified bundle by package (`src` for the library's own code). */
  readonly byPackage: Record<string, number>;
}

export function assetSizes(): AssetSizes {
  const minifiedFile = path.join(OUT, 'asset-minified', 'index.js');
  const meta = bundle(minifiedFile, true);
  const byPackage: Record<string, number> = {};
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'src';
      byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput;
    }
  }
  return {
    shipped: { bytes: statSync(SHIPPED).size, zipped: zippedBytes(SHIPPED) },
    minified: { bytes: statSync(minifiedFile).size, zipped: zippedBytes(minifiedFile) },
    byPackage,
  };
}

const SDK_CLIENTS = ['client-iam', 'client-secrets-manager', 'client-eventbridge', 'client-cloudformation', 'client-cloudwatch', 'client-sts'];

function node(code: string): () => void {
  return () => {
    execFileSync(process.execPath, ['-e', code], { cwd: ROOT, env: { ...process.env, AWS_REGION: 'us-east-1', NODE_NO_WARNINGS: '1' }, stdio: 'ignore' });
  };
}

export interface LoadTimes {
  /** Loading the shipped bundle, against `node -e 0`. */
  readonly bundle: Paired;
  /** Loading the six SDK clients the function uses, against `node -e 0`. */
  readonly allClients: Paired;
  /** Loading the clients a rotation step's cold start needs (CloudFormation for the registry, Secrets Manager, IAM, EventBridge). */
  readonly rotationClients: Paired;
}

export async function loadTimes(runs: number): Promise<LoadTimes> {
  const empty = node('0');
  const load = (mods: string[]) => node(mods.map((m) => `require(${JSON.stringify(m)})`).join(';'));
  const sdk = (names: string[]) => names.map((n) => `@aws-sdk/${n}`);
  return {
    bundle: await paired(runs, 1, load([SHIPPED]), empty),
    allClients: await paired(runs, 1, load(sdk(SDK_CLIENTS)), empty),
    rotationClients: await paired(runs, 1, load(sdk(['client-cloudformation', 'client-secrets-manager', 'client-iam', 'client-eventbridge'])), empty),
  };
}
