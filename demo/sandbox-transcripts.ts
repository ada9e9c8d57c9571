/**
 * The CLI transcripts of docs/CLI.md, from the sandbox: the commands of each
 * transcript run against a sandbox (demo/sandbox.ts) as an operator types
 * them, and what they print is the transcript. `npx projen
 * sandbox:transcripts` rewrites the marked blocks of docs/CLI.md with it;
 * test/sandbox.test.ts runs the same commands and checks the blocks match,
 * ids and times aside (`normalize`).
 *
 * A block is marked by the line before its fence:
 *   <!-- transcript NAME: ... -->
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { runCli } from '../test/support/cli';
import { SandboxProcess } from '../test/support/sandbox';

export const CLI_DOC = path.join(__dirname, '..', 'docs', 'CLI.md');
/** The sandbox's own line when a rotation it played ends. */
const ROTATION_PLAYED = /^rotation of \S+ \(.*\) (finished|failed)/;
const FUNCTION_NAME = /--function-name (\S+)/;

/** One line an operator types, shown as `$ ...`. */
export type Step =
  /** The CLI; `{current}` stands for backup-server's current key id. With `rotation`, the sandbox's line after the rotation it started is shown. */
  | { readonly cli: string[]; readonly rotation?: boolean }
  /** The AWS CLI; `{function}` stands for the rotation function's name. */
  | { readonly aws: string[] }
  | { readonly echoExitCode: true }
  | { readonly writeFile: string; readonly content: string }
  | { readonly cat: string }
  | { readonly comment: string };

/** The lifecycle run now, as its hourly schedule runs it: Lambda's Invoke through the AWS CLI (a file payload reads the same in v1 and v2). */
const LIFECYCLE_NOW: Step[] = [
  { aws: ['lambda', 'invoke', '--function-name', '{function}', '--payload', 'fileb://lifecycle.json', 'summary.json'] },
  { cat: 'summary.json' },
];

export const TRANSCRIPTS: Record<string, Step[]> = {
  'operator': [
    { cli: ['status'] },
    { cli: ['rotate', '--user', 'backup-server', '--dry-run'] },
    { cli: ['rotate', '--user', 'backup-server', '--yes'], rotation: true },
    { cli: ['status', '--user', 'backup-server'] },
    { cli: ['rotate', '--user', 'backup-server', '--dry-run'] },
    { echoExitCode: true },
    { cli: ['deactivate', '--user', 'backup-server', '--dry-run'] },
    { cli: ['deactivate', '--user', 'backup-server'] },
    { echoExitCode: true },
    { cli: ['deactivate', '--user', 'backup-server', '--yes'] },
    { cli: ['activate', '--user', 'backup-server'] },
    { cli: ['status', '--user', 'backup-server'] },
    { cli: ['release', '--user', 'backup-server'] },
    { cli: ['delete', '--user', 'backup-server', '--force', '--key-id', '{current}'] },
    { echoExitCode: true },
    { cli: ['revoke', '--user', 'backup-server', '--yes'], rotation: true },
    { cli: ['status', '--user', 'backup-server'] },
    { comment: 'the lifecycle runs hourly; run it now, as its schedule does' },
    { writeFile: 'lifecycle.json', content: '{"action":"lifecycle"}' },
    ...LIFECYCLE_NOW,
    { cli: ['status', '--user', 'backup-server'] },
    { cli: ['export', '--user', 'backup-server', '--format', 'csv', '--out', 'backup-server.csv'] },
    { cli: ['rotate', '--secret-id', 'payments/db'] },
    { echoExitCode: true },
  ],
  'status-json': [
    { cli: ['status', '--user', 'legacy-ci', '--output', 'json'] },
  ],
};

const quote = (arg: string) => (/^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, '\'\\\'\'')}'`);

type Run = { code: number; stdout: string; stderr: string };

function run(command: string, args: string[], env: Record<string, string | undefined>, cwd: string): Promise<Run> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: merged as NodeJS.ProcessEnv, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => reject(new Error(`${command}: ${e.message} (the transcripts need it on PATH)`)));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs each transcript's steps against the sandbox, in order; returns each one's text. */
export async function runTranscripts(sandbox: SandboxProcess): Promise<Record<string, string>> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'sandbox-transcripts-'));
  const functionName = FUNCTION_NAME.exec(sandbox.lines.join('\n'))?.[1];
  if (!functionName) throw new Error('the sandbox printed no --function-name');
  const env = sandbox.env;
  const out: Record<string, string> = {};
  try {
    for (const [name, steps] of Object.entries(TRANSCRIPTS)) {
      const lines: string[] = [];
      let last = 0;
      for (const step of steps) {
        if ('comment' in step) {
          lines.push(`# ${step.comment}`);
        } else if ('echoExitCode' in step) {
          lines.push('$ echo $?', String(last));
        } else if ('cat' in step) {
          lines.push(`$ cat ${step.cat}`, readFileSync(path.join(cwd, step.cat), 'utf8').trimEnd());
        } else if ('writeFile' in step) {
          writeFileSync(path.join(cwd, step.writeFile), `${step.content}\n`);
          lines.push(`$ echo ${quote(step.content)} > ${step.writeFile}`);
        } else if ('aws' in step) {
          const args = step.aws.map((a) => a.replace('{function}', functionName));
          const r = await run('aws', args, env, cwd);
          lines.push(`$ aws ${args.map(quote).join(' ')}`, ...`${r.stdout}${r.stderr}`.trimEnd().split('\n'));
          last = r.code;
        } else {
          let args = step.cli;
          if (args.includes('{current}')) {
            const status = await runCli(['status', '--user', 'backup-server', '--output', 'json'], { env });
            const keys = (JSON.parse(status.stdout) as { secrets: { keys: { accessKeyId: string; stage: string }[] }[] }).secrets[0].keys;
            args = args.map((a) => (a === '{current}' ? keys.find((k) => k.stage === 'current')!.accessKeyId : a));
          }
          const from = sandbox.lines.length;
          const r = await runCli(args, { env, cwd });
          lines.push(`$ npx cdk-rotating-access-keys ${args.map(quote).join(' ')}`, ...`${r.stdout}${r.stderr}`.trimEnd().split('\n'));
          last = r.code;
          if (step.rotation) {
            const { line } = await sandbox.waitFor(ROTATION_PLAYED, from);
            lines.push(`# Secrets Manager runs the function's four steps; the sandbox prints: ${line}`);
          }
        }
      }
      out[name] = lines.join('\n');
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return out;
}

/**
 * A transcript with what differs from run to run made alike: each access key
 * id becomes `<key N>` in the order it first appears, Secrets Manager's random
 * suffix of a secret's name `<suffix>`, every date and time `<time>`, a time
 * left `<duration>`; a table's rules and padding shrink to one character, as
 * their widths follow the values.
 */
export function normalize(text: string): string {
  const keys = new Map<string, string>();
  return text
    .replace(/\bAKIA[A-Z0-9]{16}\b/g, (id) => {
      if (!keys.has(id)) keys.set(id, `<key ${keys.size + 1}>`);
      return keys.get(id)!;
    })
    .replace(/(-[0-9A-F]{12})-[A-Za-z0-9]{6}\b/g, '$1-<suffix>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/g, '<time>')
    .replace(/\(in [\d.]+ [a-z]+\)/g, '(in <duration>)')
    .replace(/─+/g, '─')
    .replace(/[ \t]+/g, ' ')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** The marked transcript blocks of a document, by name. */
export function documentedTranscripts(file = CLI_DOC): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const marker = /^<!-- transcript ([\w-]+):/.exec(line);
    if (!marker) return;
    if (lines[i + 1] !== '```text') throw new Error(`${file}:${i + 2}: the transcript ${marker[1]} must be a \`\`\`text block right after its marker`);
    const end = lines.findIndex((l, j) => j > i + 1 && l === '```');
    out[marker[1]] = lines.slice(i + 2, end).join('\n');
  });
  return out;
}

/** Rewrites the marked blocks of a document with these transcripts. */
export function rewriteTranscripts(transcripts: Record<string, string>, file = CLI_DOC): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const documented = documentedTranscripts(file);
  const missing = Object.keys(transcripts).filter((n) => !(n in documented));
  if (missing.length > 0) throw new Error(`${file} has no marked block for ${missing.join(', ')}`);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const marker = /^<!-- transcript ([\w-]+):/.exec(lines[i]);
    if (!marker || !(marker[1] in transcripts)) continue;
    const end = lines.findIndex((l, j) => j > i + 1 && l === '```');
    out.push('```text', transcripts[marker[1]], '```');
    i = end;
  }
  writeFileSync(file, out.join('\n'));
}

async function main(): Promise<void> {
  const sandbox = await SandboxProcess.start(['--lifecycle-every', '0']);
  try {
    console.log(`sandbox ready in ${sandbox.startSeconds.toFixed(1)} s`);
    const transcripts = await runTranscripts(sandbox);
    rewriteTranscripts(transcripts);
    console.log(`rewrote ${Object.keys(transcripts).join(', ')} in ${path.relative(process.cwd(), CLI_DOC)}`);
  } finally {
    const { code } = await sandbox.stop();
    if (code !== 0) console.error(`the sandbox exited with ${code}:\n${sandbox.output()}`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
