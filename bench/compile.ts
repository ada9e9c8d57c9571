/**
 * Compiles the library, the layouts and the bench's app to JavaScript in
 * bench/.out (esbuild, one file per module, nothing bundled), beside a link
 * to the built assets: what `cdk synth` and the in-process synth figures run.
 */
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';

export const ROOT = path.join(__dirname, '..');
export const OUT = path.join(__dirname, '.out');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return tsFiles(file);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [file] : [];
  });
}

/** Returns the compiled layouts module's path. */
export function compileForSynth(): string {
  rmSync(path.join(OUT, 'src'), { recursive: true, force: true });
  buildSync({
    entryPoints: [...tsFiles(path.join(ROOT, 'src')), path.join(__dirname, 'layouts.ts'), path.join(__dirname, 'app.ts')],
    outbase: ROOT,
    outdir: OUT,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  // The rotation function's code is found at <src>/../assets, as in lib/.
  const assets = path.join(OUT, 'assets');
  rmSync(assets, { force: true });
  mkdirSync(OUT, { recursive: true });
  symlinkSync(path.join(ROOT, 'assets'), assets);
  return path.join(OUT, 'bench', 'layouts.js');
}
