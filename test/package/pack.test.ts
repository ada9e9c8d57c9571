/**
 * What `npm pack` publishes: the compiled constructs with the one runtime module
 * they share with the function (the registry contract), the bundled function and
 * CLI, the jsii assembly, API.md, README, LICENSE — and nothing else (no demo,
 * examples, CI, scripts, tests or the function's compiled sources).
 *
 * The test task compiles with jsii and bundles before jest runs, so lib/ and
 * assets/ are fresh here.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');

interface PackedFile { readonly path: string; readonly size: number }

function packedFiles(): PackedFile[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf-8' });
  return (JSON.parse(out) as Array<{ files: PackedFile[] }>)[0].files;
}

/** The constructs' sources, compiled: every .ts directly in src/ and src/checks/. */
function compiledConstructs(): string[] {
  const files: string[] = [];
  for (const dir of ['src', 'src/checks']) {
    for (const name of fs.readdirSync(path.join(root, dir))) {
      if (!name.endsWith('.ts')) continue;
      const base = path.posix.join(dir.replace(/^src/, 'lib'), name.replace(/\.ts$/, ''));
      files.push(`${base}.js`, `${base}.d.ts`);
    }
  }
  return files;
}

describe('the npm package', () => {
  const files = packedFiles();
  const names = files.map(f => f.path).sort();

  test('GIVEN npm pack WHEN listing its files THEN it holds exactly what users need', () => {
    const expected = [
      '.jsii', 'API.md', 'LICENSE', 'README.md', 'package.json',
      'assets/cli/main/index.js',
      'assets/rotation/rotation.lambda/index.js',
      'assets/watch/watch.lambda/index.js',
      'lib/rotation/contract.d.ts', 'lib/rotation/contract.js',
      ...compiledConstructs(),
    ].sort();
    expect(names).toEqual(expected);
  });

  test('GIVEN npm pack WHEN listing its files THEN no demo, example, test, script, CI file or TypeScript source is in it', () => {
    const leaks = names.filter(n => /^(demo|examples|test|scripts|smoke|bench|docs|src|\.ci|\.projen)\//.test(n) || (n.endsWith('.ts') && !n.endsWith('.d.ts')));
    expect(leaks).toEqual([]);
  });

  test('GIVEN the package.json WHEN read THEN it has a version, engines, a bin that ships and Construct Hub keywords', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf-8'));
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.version).not.toBe('0.0.0');
    expect(manifest.engines.node).toMatch(/^>= ?20/);
    expect(names).toContain(manifest.bin['cdk-rotating-access-keys']);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['awscdk', 'cdk']));
    expect(Object.keys(manifest.dependencies ?? {})).toEqual([]);
    expect(manifest.peerDependencies).toEqual({ 'aws-cdk-lib': expect.stringMatching(/^\^2\./), 'constructs': expect.stringMatching(/^\^10\./) });
  });

  test('GIVEN the CHANGELOG WHEN read THEN it has an entry for the package version', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf-8'));
    const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf-8');
    expect(changelog).toMatch(new RegExp(`^## \\[?${manifest.version.replace(/\./g, '\\.')}\\]?`, 'm'));
  });
});
