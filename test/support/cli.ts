/**
 * The CLI exactly as it ships (the esbuild bundle the package's bin points
 * to), run as a process, as an operator's shell or a script runs it: it finds
 * moto and the CloudFormation stand-in through the standard AWS_ENDPOINT_URL
 * variables it inherits.
 */
import { spawn } from 'child_process';
import * as path from 'path';

export const CLI = path.join(__dirname, '..', '..', 'assets', 'cli', 'main', 'index.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Added to (undefined: removed from) the environment the test runs in. */
  readonly env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (stdin is never a terminal here). */
  readonly input?: string;
  /** The working directory (the test's by default). */
  readonly cwd?: string;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  // No COLUMNS from the shell that runs the tests: the status table is as wide as its facts unless a test sets it.
  const env: Record<string, string | undefined> = { ...process.env, NODE_NO_WARNINGS: '1', COLUMNS: undefined, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: env as NodeJS.ProcessEnv, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
