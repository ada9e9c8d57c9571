/**
 * The sandbox (`npx projen sandbox`, demo/sandbox.ts) as an operator uses it:
 * started as a process, it deploys the example app into moto and prints the
 * export lines; the real CLI and the AWS CLI, pointed at it by those lines,
 * see the example's users; a rotation started by hand really happens (the
 * sandbox plays Secrets Manager's four steps with the shipped bundle); the
 * transcripts of docs/CLI.md are what the sandbox prints, ids and times
 * aside; and Ctrl-C (SIGINT) stops it cleanly.
 */
import { spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { connect } from 'net';
import * as path from 'path';
import { documentedTranscripts, normalize, runTranscripts } from '../demo/sandbox-transcripts';
import { buildBundle } from './support/bundle';
import { runCli } from './support/cli';
import { SANDBOX_COMMAND, SandboxProcess } from './support/sandbox';

const ROOT = path.join(__dirname, '..');

interface Status {
  secrets: { userName: string; secretArn: string; keys: { accessKeyId: string; status: string; stage: string }[] }[];
}

let sandbox: SandboxProcess;
/** backup-server's current key when the sandbox was ready. */
let firstKey: string;

beforeAll(async () => {
  buildBundle();
  sandbox = await SandboxProcess.start(['--lifecycle-every', '0']);
});
afterAll(async () => {
  await sandbox?.stop('SIGTERM');
});

const cli = (args: string[]) => runCli(args, { env: sandbox.env });
async function status(user?: string): Promise<Status> {
  const r = await cli(['status', ...(user ? ['--user', user] : []), '--output', 'json']);
  if (r.code !== 0) throw new Error(`status exited ${r.code}: ${r.stderr}\n${sandbox.output()}`);
  return JSON.parse(r.stdout) as Status;
}
const current = (s: Status, user: string) => s.secrets.find((x) => x.userName === user)!.keys.find((k) => k.stage === 'current')!.accessKeyId;

function aws(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, ...sandbox.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn('aws', args, { env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => reject(new Error(`the AWS CLI: ${e.message} (pip install awscli)`)));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Whether anything accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
const portOf = (url: string | undefined) => Number(new URL(url!).port);

test('GIVEN the projen task WHEN read THEN `npx projen sandbox` bundles, installs moto when missing, and runs the command this test runs, passing its arguments', () => {
  const tasks = JSON.parse(readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8')).tasks;
  expect(tasks.sandbox.steps).toEqual([
    { spawn: 'bundle' },
    { spawn: 'moto:ensure' },
    { exec: SANDBOX_COMMAND, receiveArgs: true },
  ]);
});

test('GIVEN the sandbox started WHEN it is ready THEN it printed export lines for the endpoints, the region, an operator\'s key and the CLI on PATH', async () => {
  const env = sandbox.env;
  expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(env.AWS_ENDPOINT_URL_CLOUDFORMATION).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(env.AWS_ENDPOINT_URL_CLOUDFORMATION).not.toBe(env.AWS_ENDPOINT_URL);
  expect(env.AWS_REGION).toBe('us-east-1');
  expect(env.AWS_ACCESS_KEY_ID).toMatch(/^AKIA[A-Z0-9]{16}$/);
  expect(env.AWS_SECRET_ACCESS_KEY).toHaveLength(40);
  expect('AWS_PROFILE' in env && env.AWS_PROFILE === undefined).toBe(true);
  const bin = env.PATH!.split(':')[0];
  expect(existsSync(path.join(bin, 'cdk-rotating-access-keys'))).toBe(true);
  expect(env.PATH!.endsWith(process.env.PATH!)).toBe(true);
  // It says how to stop it, naming its own process.
  expect(sandbox.lines[sandbox.lines.length - 1]).toMatch(new RegExp(`^sandbox: ready \\(pid ${sandbox.pid}\\): stop it with Ctrl-C or kill -TERM ${sandbox.pid}$`));
});

test('GIVEN the exports WHEN the CLI and the AWS CLI run THEN status shows the example\'s users each with an active current key, credential-process gives that key, and the AWS CLI lists the secrets', async () => {
  const s = await status();
  expect(s.secrets.map((x) => x.userName).sort()).toEqual(['backup-server', 'legacy-ci']);
  for (const secret of s.secrets) expect(secret.keys.find((k) => k.stage === 'current')?.status).toBe('Active');
  firstKey = current(s, 'backup-server');

  const r = await cli(['credential-process', '--user', 'backup-server']);
  expect(r.code).toBe(0);
  const credentials = JSON.parse(r.stdout);
  expect(credentials).toEqual({ Version: 1, AccessKeyId: firstKey, SecretAccessKey: expect.stringMatching(/^[A-Za-z0-9+/]{40}$/), Expiration: expect.any(String) });

  const listed = await aws(['secretsmanager', 'list-secrets', '--query', 'SecretList[].ARN', '--output', 'text']);
  expect(listed.stderr).toBe('');
  expect(listed.stdout.trim().split(/\s+/).sort()).toEqual(s.secrets.map((x) => x.secretArn).sort());
});

test('GIVEN the transcripts of docs/CLI.md WHEN their commands run against the sandbox THEN they print what the docs show (ids and times aside), and the rotations started by hand happened', async () => {
  const documented = documentedTranscripts();
  const printed = await runTranscripts(sandbox);
  expect(Object.keys(documented).sort()).toEqual(Object.keys(printed).sort());
  for (const name of Object.keys(printed)) {
    // `npx projen sandbox:transcripts` rewrites the blocks when the CLI's output changes.
    expect({ name, text: normalize(printed[name]) }).toEqual({ name, text: normalize(documented[name]) });
  }
  // rotate --yes and revoke --yes: each rotation was played, and the key it made is now current.
  const played = sandbox.lines.filter((l) => /^rotation of \S+ \(backup-server\) finished/.test(l)).map((l) => /AWSCURRENT holds (\S+)$/.exec(l)![1]);
  expect(played).toHaveLength(2);
  expect(new Set([firstKey, ...played]).size).toBe(3);
  expect(current(await status('backup-server'), 'backup-server')).toBe(played[1]);
});

test('GIVEN the sandbox running WHEN it gets SIGINT (Ctrl-C) THEN it stops moto and its endpoints, removes its files and exits 0', async () => {
  const moto = /moto's server: (http:\/\/127\.0\.0\.1:\d+)/.exec(sandbox.lines.join('\n'))![1];
  const ports = [portOf(moto), portOf(sandbox.env.AWS_ENDPOINT_URL), portOf(sandbox.env.AWS_ENDPOINT_URL_CLOUDFORMATION)];
  for (const port of ports) expect(await listening(port)).toBe(true);
  const work = path.dirname(sandbox.env.PATH!.split(':')[0]);
  expect(existsSync(work)).toBe(true);

  const exit = await sandbox.stop('SIGINT');

  expect({ exit, last: sandbox.lines.filter(Boolean).slice(-2) }).toEqual({
    exit: { code: 0, signal: null },
    last: ['sandbox: SIGINT received: stopping', 'sandbox: stopped (moto and the stand-ins are down, their files removed)'],
  });
  for (const port of ports) expect(await listening(port)).toBe(false);
  expect(existsSync(work)).toBe(false);
});
