/**
 * The sandbox (demo/sandbox.ts) as a process, as an operator's terminal runs
 * it: started the way `npx projen sandbox` starts it after bundling, read line
 * by line until it says it is ready, its `export` lines turned into an
 * environment for the CLI and the AWS CLI, and stopped with a signal.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
/** The sandbox task's command after its bundle and moto:ensure steps (test/sandbox.test.ts checks .projen/tasks.json says so). */
export const SANDBOX_COMMAND = 'ts-node --transpile-only --project demo/tsconfig.json demo/sandbox.ts';
const READY = 'sandbox: ready';

/** The variables a block of `unset` and `export NAME=VALUE` lines sets (undefined: unset), as a POSIX shell reads them. */
export function parseExports(lines: string[], inherited: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const line of lines) {
    const unset = /^unset ((?:[A-Z_][A-Z0-9_]* ?)+)$/.exec(line);
    if (unset) for (const name of unset[1].trim().split(' ')) env[name] = undefined;
    const exported = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!exported) continue;
    const [, name, raw] = exported;
    let value: string;
    if (raw.startsWith('\'')) value = raw.slice(1, -1).replace(/'\\''/g, '\'');
    else if (raw.startsWith('"')) value = raw.slice(1, -1).replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, v: string) => inherited[v] ?? '');
    else value = raw;
    env[name] = value;
  }
  return env;
}

export class SandboxProcess {
  /** Starts the sandbox and waits until it is ready (its export lines printed). */
  static async start(args: string[] = [], timeoutMs = 120_000): Promise<SandboxProcess> {
    const [, ...rest] = SANDBOX_COMMAND.split(' ');
    // ts-node runs the script in its own process: the pid is the sandbox's.
    const child = spawn(process.execPath, [require.resolve('ts-node/dist/bin.js'), ...rest, ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sandbox = new SandboxProcess(child);
    const started = Date.now();
    await sandbox.waitFor(new RegExp(`^${READY}`), 0, timeoutMs);
    sandbox.startSeconds = (Date.now() - started) / 1000;
    sandbox.env = parseExports(sandbox.lines.filter((l) => /^(export|unset) /.test(l)));
    return sandbox;
  }

  /** Every line the sandbox printed on stdout so far. */
  readonly lines: string[] = [];
  /** What its export lines set. */
  env: Record<string, string | undefined> = {};
  /** Seconds from the spawn to the ready line. */
  startSeconds = 0;
  private stderr = '';
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: (() => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (d) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      this.notify();
    });
    child.stderr!.on('data', (d) => { this.stderr = (this.stderr + d.toString()).slice(-8000); });
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => {
      if (partial) this.lines.push(partial);
      this.exit = { code, signal };
      this.notify();
      resolve(this.exit);
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first line from index `from` on that matches, once the sandbox has printed it. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<{ line: string; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((l, i) => i >= from && pattern.test(l));
      if (index >= 0) return { line: this.lines[index], index };
      if (this.exit) throw new Error(`the sandbox exited (${JSON.stringify(this.exit)}) before printing ${pattern}:\n${this.output()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the sandbox did not print ${pattern} within ${timeoutMs / 1000} s:\n${this.output()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends the signal (SIGINT: Ctrl-C) and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) this.child.kill(signal);
    return this.exited;
  }

  /** Its stdout and stderr so far, for a failure's message. */
  output(): string {
    return `${this.lines.join('\n')}\n--- stderr ---\n${this.stderr}`;
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
