/**
 * The README is a user's page: short, with the Quick start's two commands as
 * they are, a consumer's `credential_process` line that names the package's
 * own command and a secret the README's stack creates, install steps that
 * match the package, and a link to every page of docs/, where the manual
 * lives. The pages' code blocks and links are checked by code-blocks.test.ts
 * and links.test.ts; the CLI transcripts in docs/ are checked here against
 * the commands the CLI declares.
 */
import * as fs from 'fs';
import * as path from 'path';
import { codeBlocks, documents, links, read, ROOT } from './markdown';

const README = 'README.md';
const pkg = JSON.parse(read('package.json')) as { name: string; version: string; bin: Record<string, string> };

/** The text of a `## heading` section: from its heading to the next H2. */
function section(file: string, heading: string): string {
  const lines = read(file).split('\n');
  const start = lines.findIndex((l) => l === `## ${heading}`);
  if (start < 0) return '';
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

describe('the README', () => {
  test('GIVEN the README WHEN its lines are counted THEN it is under 300', () => {
    expect(read(README).split('\n').length).toBeLessThan(300);
  });

  test.each([
    'npm ci && npx projen demo',
    'npm ci && npx projen test',
  ])('GIVEN the Quick start WHEN read THEN a sh block holds `%s` as the line that starts it', (command) => {
    const quickStart = section(README, 'Quick start');
    expect(quickStart).not.toBe('');
    const shLines = codeBlocks(README).filter((b) => b.language === 'sh')
      .flatMap((b) => b.source.split('\n'))
      .filter((l) => quickStart.includes(l));
    expect(shLines.filter((l) => l === command || l.startsWith(`${command} `))).toHaveLength(1);
  });

  test('GIVEN the consumer\'s ~/.aws/config WHEN read THEN credential_process runs the package\'s bin, not npx, for a secretName the README\'s stack sets', () => {
    const bin = Object.keys(pkg.bin);
    expect(bin).toEqual([pkg.name]);
    const ini = codeBlocks(README).filter((b) => b.language === 'ini').map((b) => b.source).join('\n');
    const line = /^credential_process = (\S+) credential-process --secret-id (\S+)/m.exec(ini);
    expect(line).not.toBeNull();
    const [, command, secretId] = line!;
    expect(command).toBe(bin[0]);
    expect(ini).not.toMatch(/credential_process\s*=\s*npx/);
    const typescript = codeBlocks(README).filter((b) => b.language === 'ts').map((b) => b.source).join('\n');
    expect(typescript).toContain(`secretName: '${secretId}'`);
  });

  test('GIVEN nothing is published yet WHEN the README says how to install THEN it installs the tarball jsii-pacmak builds, never the registry name', () => {
    const sh = codeBlocks(README).filter((b) => b.language === 'sh').map((b) => b.source).join('\n');
    expect(sh).toContain(`dist/js/${pkg.name}@${pkg.version}.jsii.tgz`);
    expect(sh).not.toMatch(new RegExp(`(npm install|pip install|go get)\\s+(--\\S+\\s+)*${pkg.name}(\\s|$)`));
  });

  test('GIVEN docs/ WHEN the README\'s links are read THEN every page of docs/ is linked', () => {
    const targets = new Set(links(README).map((l) => l.target.split('#')[0]));
    const pages = documents().filter((f) => f !== README);
    expect(pages.filter((p) => !targets.has(p))).toEqual([]);
  });
});

describe('the pages the manual moved to', () => {
  const pages: Record<string, number> = {
    // page: the TypeScript blocks it holds at least (compiled by code-blocks.test.ts)
    'docs/CONFIGURATION.md': 1,
    'docs/RECIPES.md': 6,
    'docs/MONITORING.md': 1,
    'docs/CLI.md': 0,
    'docs/HOW-IT-WORKS.md': 0,
    'docs/DEVELOPING.md': 0,
    'docs/COST.md': 0,
  };

  test.each(Object.entries(pages))('GIVEN %s WHEN read THEN it opens with an H1 and a paragraph, and holds at least %d TypeScript blocks', (page, blocks) => {
    expect(documents()).toContain(page);
    const [title, blank, first] = read(page).split('\n');
    expect(title).toMatch(/^# \S/);
    expect(blank).toBe('');
    expect(first).toMatch(/^[A-Z`]/);
    expect(codeBlocks(page).filter((b) => b.language === 'ts').length).toBeGreaterThanOrEqual(blocks);
  });

  test('GIVEN the CLI transcripts in the README and docs/ WHEN each `$ cdk-rotating-access-keys <command>` is read THEN the CLI declares that command', () => {
    const main = fs.readFileSync(path.join(ROOT, 'src', 'cli', 'main.ts'), 'utf-8');
    const declared = new Set([...main.matchAll(/command\(\s*['"]([a-z-]+)['"]/g)].map((m) => m[1]));
    expect(declared.size).toBeGreaterThan(5);
    const used: string[] = [];
    for (const file of documents()) {
      for (const block of codeBlocks(file).filter((b) => ['text', 'sh', 'ini'].includes(b.language))) {
        for (const m of block.source.matchAll(/(?:^|\$ |= |\s)(?:npx )?cdk-rotating-access-keys ([a-z][a-z-]*)/gm)) used.push(`${file}:${block.line} ${m[1]}`);
      }
    }
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((u) => !declared.has(u.split(' ').pop()!))).toEqual([]);
  });
});
