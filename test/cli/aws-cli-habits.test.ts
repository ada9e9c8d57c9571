/**
 * The CLI behaves like the AWS CLI (issue 14), each habit checked on the CLI
 * as it ships, run as a process against moto: global options before or after
 * the command, the region from --region, AWS_REGION, AWS_DEFAULT_REGION or the
 * profile, --version, --output json|table|text and --query, one way to name a
 * registration on every command that takes one, a `status` that shows a
 * rotation in progress, fits the terminal and says what JSON says, help that
 * names the installed binary, no deprecation noise, and the key formats s3fs
 * and the legacy command line tools read.
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { buildBundle } from '../support/bundle';
import { CLI, CliOptions, runCli } from '../support/cli';
import { MotoServer } from '../support/moto';
import { makeRotator, rotate, SimulatedClock, World } from '../support/world';

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const BIN = Object.keys(PACKAGE.bin)[0];

let moto: MotoServer;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

interface Deployed {
  readonly world: World;
  readonly arns: Record<string, string>;
  cli(args: string[], options?: CliOptions): ReturnType<typeof runCli>;
}

/** Users with a managed secret each, the function deployed, and each secret's first key made. */
async function deploy(users: string[], rotations = 1): Promise<Deployed> {
  const world = new World();
  const h = makeRotator({ clock: new SimulatedClock(new Date()) });
  const arns: Record<string, string> = {};
  for (const name of users) {
    await world.createUser(name);
    arns[name] = await world.createManagedSecret(name);
  }
  await world.deployFunction();
  for (const name of users) for (let i = 0; i < rotations; i++) await rotate(world, h.rotator, arns[name]);
  return {
    world,
    arns,
    cli: (args, options = {}) => runCli(args, { ...options, env: { ROTATING_ACCESS_KEYS_NOW: h.clock.now().toISOString(), ...options.env } }),
  };
}

const json = (out: string) => JSON.parse(out);
/** `access-keys/alice-AbCdEf`: the name with Secrets Manager's random suffix, as `status` shows it. */
const shownName = (arn: string) => arn.split(':secret:')[1];

/** An AWS config file of its own (and no credentials file), so no profile or region of the machine leaks in. */
function awsConfig(text: string): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aws-config-'));
  writeFileSync(path.join(dir, 'config'), text);
  writeFileSync(path.join(dir, 'credentials'), '');
  return { AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials') };
}

describe('global options, before or after the command', () => {
  test('GIVEN --profile, --region, --output and --endpoint-url before the command THEN they apply as after it', async () => {
    const d = await deploy(['alice']);
    const env = {
      ...awsConfig('[profile ops]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n'),
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_REGION: undefined,
    };
    const before = await d.cli(['--profile', 'ops', '--region', 'us-east-1', '--output', 'json', 'status'], { env });
    expect(before).toMatchObject({ code: 0, stderr: '' });
    expect(json(before.stdout).secrets.map((s: any) => s.userName)).toEqual(['alice']);
    const after = await d.cli(['status', '--profile', 'ops', '--output', 'json'], { env });
    expect(json(after.stdout)).toEqual(json(before.stdout));
    const mixed = await d.cli(['--output', 'json', 'export', '--user', 'alice', '--format', 'env', '--profile', 'ops'], { env });
    expect(mixed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^export AWS_ACCESS_KEY_ID='AKIA/) });
  });
});

describe('the region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile\'s', () => {
  test('GIVEN only AWS_DEFAULT_REGION THEN it is the region', async () => {
    const d = await deploy(['alice']);
    const r = await d.cli(['status', '--output', 'json'], { env: { ...awsConfig(''), AWS_REGION: undefined, AWS_DEFAULT_REGION: 'us-east-1' } });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(json(r.stdout).secrets).toHaveLength(1);
  });

  test('GIVEN only the profile\'s region THEN it is the region, whether the profile comes from --profile or AWS_PROFILE', async () => {
    const d = await deploy(['alice']);
    const config = awsConfig('[profile ops]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    for (const how of [{ args: ['--profile', 'ops'], env: {} }, { args: [], env: { AWS_PROFILE: 'ops' } }]) {
      const r = await d.cli(['status', '--output', 'json', ...how.args], { env: { ...config, ...how.env, AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined } });
      expect(r).toMatchObject({ code: 0, stderr: '' });
    }
  });

  test('GIVEN no region anywhere THEN one line says what to set, as a usage error (exit 2)', async () => {
    const d = await deploy(['alice']);
    const r = await d.cli(['status'], { env: { ...awsConfig('[default]\noutput = json\n'), AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined } });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^error: no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or set the profile's region \(aws configure set region/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('--version', () => {
  test('GIVEN --version THEN the package\'s name and version, exit 0', async () => {
    const r = await runCli(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${BIN} ${PACKAGE.version}\n`, stderr: '' });
  });
});

describe('--output json|table|text and --query', () => {
  test('GIVEN --query THEN JSON prints what the JMESPath expression selects', async () => {
    const d = await deploy(['alice', 'bob']);
    const r = await d.cli(['status', '--output', 'json', '--query', 'secrets[].userName']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(json(r.stdout)).toEqual(['alice', 'bob']);
    const filtered = await d.cli(['status', '--query', 'secrets[?userName==\'bob\'].keys[].stage', '--output', 'json']);
    expect(json(filtered.stdout)).toEqual(['current']);
  });

  test('GIVEN --output text THEN tab-separated lines as the AWS CLI writes them: a list of lists one row each, a document by its fields', async () => {
    const d = await deploy(['alice'], 2);
    const stages = await d.world.stages(d.arns.alice);
    const rows = await d.cli(['status', '--output', 'text', '--query', 'secrets[].keys[].[accessKeyId, status, stage]']);
    expect(rows).toMatchObject({ code: 0, stderr: '' });
    expect(rows.stdout.split('\n').filter(Boolean).sort()).toEqual([
      `${stages.AWSCURRENT}\tActive\tcurrent`, `${stages.AWSPREVIOUS}\tActive\tprevious`,
    ].sort());
    expect((await d.cli(['status', '--output', 'text', '--query', 'secrets[0].userName'])).stdout).toBe('alice\n');

    const whole = (await d.cli(['status', '--output', 'text'])).stdout.split('\n');
    // The top level's scalars in key order, then each list's items under its upper-cased name; booleans and null as the AWS CLI writes them.
    expect(whole[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\t1$/);
    expect(whole).toContainEqual(expect.stringMatching(new RegExp(`^SECRETS\\tFalse\\t${d.arns.alice}\\t\\S+\\tarn:aws:iam::123456789012:user/alice\\talice$`)));
    expect(whole).toContainEqual(expect.stringMatching(new RegExp(`^KEYS\\t${stages.AWSPREVIOUS}\\t0\\t\\S+\\tprevious\\tActive$`)));
  });

  test('GIVEN --query on a command that changes something THEN it selects from that command\'s JSON', async () => {
    const d = await deploy(['alice']);
    const r = await d.cli(['rotate', '--user', 'alice', '--dry-run', '--output', 'text', '--query', 'plan[].stage']);
    expect(r).toMatchObject({ code: 0, stdout: 'new\tcurrent\n', stderr: '' });
  });

  test('GIVEN --query with the table THEN the selection is drawn as a table', async () => {
    const d = await deploy(['alice', 'bob']);
    const r = await d.cli(['status', '--query', 'secrets[].{user: userName, rotating: rotationInProgress}']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/│ user\s+│ rotating\s+│\n/);
    expect(r.stdout).toMatch(/│ bob\s+│ False\s+│\n/);
  });

  test('GIVEN a --query that is not JMESPath, or an unknown --output THEN a usage error (exit 2) before any AWS call', async () => {
    const d = await deploy(['alice']);
    const bad = await d.cli(['status', '--query', 'secrets[']);
    expect(bad).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^error: --query 'secrets\[' is not a JMESPath expression: .+\n$/) });
    expect(await d.cli(['status', '--output', 'yaml'])).toMatchObject({ code: 2, stderr: expect.stringContaining('argument \'yaml\' is invalid') });
  });
});

describe('a registration is named the same way everywhere: --user, --secret-id (name, name with suffix, ARN), --stack', () => {
  test('GIVEN the secret as status shows it (with Secrets Manager\'s suffix) THEN every command takes it as --secret-id', async () => {
    const d = await deploy(['alice']);
    const shown = json((await d.cli(['status', '--output', 'json'])).stdout).secrets[0].secretArn;
    const name = shownName(shown);
    expect((await d.cli(['status'])).stdout).toContain(name);
    for (const id of [name, 'access-keys/alice', shown]) {
      const status = await d.cli(['status', '--secret-id', id, '--output', 'json']);
      expect(status).toMatchObject({ code: 0, stderr: '' });
      expect(json(status.stdout).secrets[0].secretArn).toBe(d.arns.alice);
      expect(await d.cli(['rotate', '--secret-id', id, '--dry-run'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\(dry run\) would rotate alice's key/) });
      expect(await d.cli(['export', '--secret-id', id, '--format', 'env'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^export AWS_ACCESS_KEY_ID='AKIA/) });
      expect(json((await d.cli(['credential-process', '--secret-id', id])).stdout)).toMatchObject({ Version: 1 });
    }
    // A suffix of another secret is no name of this one.
    expect(await d.cli(['status', '--secret-id', 'access-keys/alice-ZZZZZZ'])).toMatchObject({ code: 3, stderr: 'error: no secret access-keys/alice-ZZZZZZ\n' });
  });

  test('GIVEN credential-process with --user, or --user and --stack THEN the registration names the secret, as for export', async () => {
    const d = await deploy(['alice', 'bob']);
    const bobs = (await d.world.stages(d.arns.bob)).AWSCURRENT;
    for (const args of [['--user', 'bob'], ['--user', 'BOB', '--stack', 'Stack'], ['--stack', 'Stack', '--secret-id', d.arns.bob]]) {
      const r = await d.cli(['credential-process', ...args]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(json(r.stdout).AccessKeyId).toBe(bobs);
    }
    expect(await d.cli(['credential-process'])).toMatchObject({ code: 2, stderr: expect.stringContaining('name the key with --user <name> or --secret-id') });
  });
});

describe('help names the installed binary', () => {
  test('GIVEN the help of the program and of credential-process THEN a credential_process line names the package\'s bin, never npx', async () => {
    for (const args of [['--help'], ['credential-process', '--help'], ['help', 'credential-process']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/npx/);
    }
    expect((await runCli(['credential-process', '--help'])).stdout).toContain(`credential_process = ${BIN} credential-process --secret-id`);
  });

  test('GIVEN README.md and docs/ THEN every credential_process line names the package\'s bin, never npx', () => {
    const files = ['README.md', ...['OPERATIONS.md', 'SECURITY.md', 'ARCHITECTURE.md'].map((f) => path.join('docs', f))];
    const lines = files.flatMap((f) => readFileSync(path.join(ROOT, f), 'utf8').split('\n').filter((l) => /^\s*credential_process\s*=/.test(l)));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(new RegExp(`^\\s*credential_process\\s*=\\s*${BIN} credential-process `));
  });
});

describe('status: a rotation in progress, the terminal\'s width, the same facts as JSON', () => {
  test('GIVEN a rotation in progress THEN the table says so, as JSON does', async () => {
    const d = await deploy(['alice']);
    await d.world.startRotation(d.arns.alice);
    expect(json((await d.cli(['status', '--output', 'json'])).stdout).secrets[0].rotationInProgress).toBe(true);
    const r = await d.cli(['status']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('rotating now');
    expect((await d.cli(['status'], { env: { COLUMNS: '72' } })).stdout).toContain('rotating now');
  });

  test('GIVEN a terminal of 120, 100, 80 or 60 columns THEN no line is wider, and each key is still there with its status and stage', async () => {
    const d = await deploy(['backup-server-for-the-nas', 'bob'], 2);
    const ids = [...Object.values(await d.world.stages(d.arns['backup-server-for-the-nas'])), ...Object.values(await d.world.stages(d.arns.bob))]
      .filter((id): id is string => !!id);
    expect(ids).toHaveLength(4);
    const wide = (await d.cli(['status'])).stdout;
    expect(Math.max(...wide.split('\n').map((l) => l.length))).toBeGreaterThan(120);
    for (const columns of [120, 100, 80, 60]) {
      const r = await d.cli(['status'], { env: { COLUMNS: String(columns) } });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const lines = r.stdout.split('\n');
      expect(lines.filter((l) => l.length > columns)).toEqual([]);
      for (const id of ids) expect(r.stdout).toContain(id);
      expect(r.stdout).toMatch(/Active/);
      expect(r.stdout).toMatch(/previous/);
      expect(r.stdout).toContain(shownName(d.arns.bob));
      expect(r.stdout).toMatch(/2 managed secrets at /);
    }
  });

  test('GIVEN a terminal (a pseudo-terminal of 80 columns) THEN its width is the limit', async () => {
    await deploy(['backup-server-for-the-nas'], 2);
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'tty-')), 'out');
    const command = `stty cols 80 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} status > /dev/tty 2>&1`;
    // Asynchronously: the CloudFormation stand-in answers from this process.
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, out], {
        env: { ...process.env, NODE_NO_WARNINGS: '1', ROTATING_ACCESS_KEYS_NOW: new Date().toISOString(), COLUMNS: '' },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      child.on('error', reject);
      child.on('close', resolve);
      child.stdin.end();
    });
    expect(code).toBe(0);
    const lines = readFileSync(out, 'utf8').replace(/\r/g, '').split('\n').filter((l) => !l.startsWith('Script '));
    expect(lines.join('\n')).toMatch(/1 managed secret at /);
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
  });

  test('GIVEN a key never used THEN the table and JSON say the same: never', async () => {
    const d = await deploy(['alice']);
    const handMade = await d.world.createForeignKey('alice');
    const key = json((await d.cli(['status', '--output', 'json'])).stdout).secrets[0].keys.find((k: any) => k.accessKeyId === handMade.accessKeyId);
    expect(key.lastUsed).toEqual({ never: true });
    expect(JSON.stringify(key)).not.toContain('N/A');
    const row = (await d.cli(['status'])).stdout.split('\n').find((l) => l.includes(handMade.accessKeyId))!;
    expect(row).toMatch(/│ never\s+│/);
    expect((await d.cli(['status', '--output', 'text', '--query', `secrets[].keys[?accessKeyId=='${handMade.accessKeyId}'].lastUsed.never[]`])).stdout).toBe('True\n');
  });
});

describe('no deprecation noise', () => {
  test('GIVEN the Node.js warnings on (NODE_NO_WARNINGS unset) THEN status, export and --help write nothing to stderr', async () => {
    const d = await deploy(['alice']);
    const loud = { env: { NODE_NO_WARNINGS: undefined } };
    for (const args of [['status'], ['export', '--user', 'alice', '--format', 'env'], ['--help']]) {
      const r = await d.cli(args, loud);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });

  test('GIVEN package.json THEN engines names the Node.js lines tested here (20 and later), and the CLI is built for the oldest', () => {
    expect(PACKAGE.engines.node).toBe('>= 20.0.0');
    const tasks = JSON.parse(readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8'));
    expect(JSON.stringify(tasks.tasks['bundle:cli/main'])).toContain('--target=node20');
  });
});

describe('export: the formats s3fs and the legacy command line tools read', () => {
  test('GIVEN --format s3fs THEN ACCESS_KEY_ID:SECRET_ACCESS_KEY, and with --out a new file of mode 0600', async () => {
    const d = await deploy(['alice']);
    const creds = (await d.world.credentials(d.arns.alice, 'AWSCURRENT'))!;
    expect((await d.cli(['export', '--user', 'alice', '--format', 's3fs'])).stdout).toBe(`${creds.accessKeyId}:${creds.secretAccessKey}\n`);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 's3fs-')), 'passwd-s3fs');
    const r = await d.cli(['export', '--user', 'alice', '--format', 's3fs', '--out', file]);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).not.toContain(creds.secretAccessKey);
    expect((statSync(file).mode % 0o1000).toString(8)).toBe('600');
    expect(readFileSync(file, 'utf8')).toBe(`${creds.accessKeyId}:${creds.secretAccessKey}\n`);
  });

  test('GIVEN --format legacy-key-file THEN the AWSAccessKeyId= and AWSSecretKey= lines', async () => {
    const d = await deploy(['alice']);
    const creds = (await d.world.credentials(d.arns.alice, 'AWSCURRENT'))!;
    expect((await d.cli(['export', '--secret-id', d.arns.alice, '--format', 'legacy-key-file'])).stdout)
      .toBe(`AWSAccessKeyId=${creds.accessKeyId}\nAWSSecretKey=${creds.secretAccessKey}\n`);
  });
});
