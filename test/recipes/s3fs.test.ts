/**
 * The s3fs recipe of docs/RECIPES.md ("A Linux server that mounts a bucket
 * with s3fs"), run as printed there: the script is read from the page's code
 * block, so the page cannot drift from what is tested. It runs against moto
 * through two rotations, each played by the rotation function as it ships,
 * with the CLI as it ships on the script's PATH and simulated time for the
 * function (its Date) and IAM (moto's clock).
 *
 * What is simulated: FUSE is not available here, so `s3fs`, `fusermount` and
 * `mountpoint` on the script's PATH are stand-ins (s3fs_stand_in.py). The
 * `s3fs` one reads the same password file as s3fs (refused unless mode 0600),
 * keeps that key for the life of the mount, and makes a mount's requests with
 * it against moto's S3 (list the bucket, read an object). moto accepts any
 * signature, so the stand-in checks what S3 would refuse: STS
 * GetCallerIdentity signed with the key must name the user, and IAM (asked as
 * moto's administrator, the test's witness) must hold the key Active. The
 * systemd timer is simulated by running the script at the times it would.
 */
import { execFile } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { EventType, Stage } from '../../src/rotation/contract';
import { codeBlocks } from '../docs/markdown';
import { buildBundle, fakeDateOnly, Handler, loadBundle } from '../support/bundle';
import { CLI } from '../support/cli';
import { MotoServer } from '../support/moto';
import { DAY, HOUR, STEPS, World } from '../support/world';

const PAGE = 'docs/RECIPES.md';
const SCRIPT_PATH = '/usr/local/sbin/s3fs-renew-key';
const STAND_IN = path.join(__dirname, 's3fs_stand_in.py');
const PYTHON = process.env.PYTHON ?? 'python3';

/** The recipe's script, from its code block (`sh file=/usr/local/sbin/s3fs-renew-key`). */
function recipeScript(): string {
  const blocks = codeBlocks(PAGE).filter((b) => b.parameters.file === SCRIPT_PATH);
  expect(blocks).toHaveLength(1);
  return blocks[0].source;
}

/** A default the script sets (`NAME=${NAME:-value}`). */
function scriptDefault(script: string, name: string): string {
  const m = new RegExp(`^${name}=\\$\\{${name}:-([^}]*)\\}`, 'm').exec(script);
  expect(m).not.toBeNull();
  return m![1];
}

interface Call {
  readonly command: 's3fs' | 'fusermount' | 'read';
  readonly accessKeyId: string;
  /** The key's status in IAM at the moment of the call. */
  readonly status: string;
  readonly arn?: string;
  readonly objects?: string[];
  readonly body?: string;
  readonly passwdFile?: string;
}

/** The server: a directory standing for its file system, the script, the stand-ins and the CLI on its PATH. */
class Server {
  readonly root = mkdtempSync(path.join(tmpdir(), 's3fs-recipe-'));
  readonly bin = path.join(this.root, 'bin');
  readonly state = path.join(this.root, 'state');
  readonly mountpoint = path.join(this.root, 'mnt', 'archive');
  readonly passwdFile = path.join(this.root, 'etc', 'passwd-s3fs-archive');
  readonly script = path.join(this.root, 'bin', 's3fs-renew-key');
  private seen = 0;

  constructor(source: string, private readonly endpoint: string) {
    for (const dir of [this.bin, this.state, this.mountpoint, path.dirname(this.passwdFile)]) mkdirSync(dir, { recursive: true });
    writeFileSync(this.script, `${source}\n`);
    chmodSync(this.script, 0o755);
    const exe = (name: string, body: string) => {
      writeFileSync(path.join(this.bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(this.bin, name), 0o755);
    };
    // The package's bin, as `npm install --global` puts it on the PATH.
    exe('cdk-rotating-access-keys', `exec '${process.execPath}' '${CLI}' "$@"`);
    for (const name of ['s3fs', 'fusermount', 'mountpoint']) exe(name, `exec '${PYTHON}' '${STAND_IN}' ${name} "$@"`);
    // The server's bootstrap identity: a profile of its own (moto takes any key), no key in the environment.
    writeFileSync(path.join(this.root, 'aws-config'), '[profile bootstrap]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    writeFileSync(path.join(this.root, 'aws-credentials'), '');
  }

  /** One run of the timer's service: the script, with the recipe's defaults but the paths (and moto's S3 URL for s3fs). */
  runScript(): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {
      PATH: `${this.bin}:${process.env.PATH}`,
      HOME: this.root,
      NODE_NO_WARNINGS: '1',
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: path.join(this.root, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(this.root, 'aws-credentials'),
      MOUNTPOINT: this.mountpoint,
      PASSWD_FILE: this.passwdFile,
      S3FS_OPTIONS: `-o url=${this.endpoint},use_path_request_style`,
      S3FS_STAND_IN_STATE: this.state,
    };
    return new Promise((resolve) => {
      execFile('/bin/sh', [this.script], { env }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  /** One read through the mount, with the key the mount was made with. */
  read(): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(PYTHON, [STAND_IN, 'read', this.mountpoint], { env: { ...process.env, S3FS_STAND_IN_STATE: this.state } }, (error, _, stderr) => {
        if (error) reject(new Error(`the read through the mount failed: ${stderr}`));
        else resolve();
      });
    });
  }

  /** The key the mount holds now (undefined: not mounted). */
  mountedKey(): string | undefined {
    const file = path.join(this.state, 'mounts.json');
    if (!existsSync(file)) return undefined;
    return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { accessKeyId: string }>)[this.mountpoint]?.accessKeyId;
  }

  /** The stand-ins' calls since the last time this was asked. */
  calls(): Call[] {
    const file = path.join(this.state, 'calls.jsonl');
    const all = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call) : [];
    const fresh = all.slice(this.seen);
    this.seen = all.length;
    return fresh;
  }
}

let moto: MotoServer;
let lines: string[] = [];

beforeAll(async () => {
  buildBundle();
  // IAM's clock follows the simulated one: keys are created (and used) at the simulated time.
  moto = await MotoServer.start({ clock: true });
});
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => {
  await moto.reset();
  lines = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
});
afterEach(() => { jest.useRealTimers(); });

test('GIVEN the page\'s stack WHEN its names are read THEN the script\'s defaults are the secretName and the bucketName it sets', () => {
  const script = recipeScript();
  const section = readFileSync(path.join(__dirname, '..', '..', PAGE), 'utf8').split('## A Linux server that mounts a bucket with s3fs')[1].split('\n## ')[0];
  const typescript = codeBlocks(PAGE).filter((b) => b.language === 'ts' && section.includes(b.source)).map((b) => b.source).join('\n');
  expect(typescript).toContain(`secretName: '${scriptDefault(script, 'SECRET_ID')}'`);
  expect(typescript).toContain(`bucketName: '${scriptDefault(script, 'BUCKET')}'`);
  expect(scriptDefault(script, 'SECRET_ID')).toBe('access-keys/nas-archive');
});

const USER = 'nas-archive';

/**
 * The stack as deployed (the user, its secret access-keys/nas-archive, the
 * function, the deploy's first rotation), the bucket with an object, and the
 * server, with simulated time from `start`.
 */
async function deployed() {
  const script = recipeScript();
  const bucket = scriptDefault(script, 'BUCKET');
  const start = Date.now();
  const clock = (at: number) => {
    jest.setSystemTime(at);
    moto.setClock(new Date(at));
  };
  fakeDateOnly(start);
  clock(start);

  // The stack: the user, its secret (access-keys/nas-archive, the script's SECRET_ID) and the function; the deploy's first rotation.
  const world = new World();
  await world.createUser(USER);
  const arn = await world.createManagedSecret(USER);
  expect(arn).toContain(`:secret:${scriptDefault(script, 'SECRET_ID')}-`);
  await world.deployFunction();
  const handler: Handler = loadBundle();
  const rotate = async () => {
    const token = await world.startRotation(arn);
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
    return (await world.stages(arn))[Stage.CURRENT]!;
  };
  const lifecycle = () => handler({ action: 'lifecycle' });
  // The bucket and an object in it (moto takes unsigned requests).
  for (const [route, body] of [[`/${bucket}`, undefined], [`/${bucket}/README.txt`, 'archive of the NAS']]) {
    expect((await fetch(`${moto.endpoint}${route}`, { method: 'PUT', body })).status).toBe(200);
  }
  const keys = [await rotate()];

  const server = new Server(script, moto.endpoint);
  const current = async () => (await world.credentials(arn, Stage.CURRENT))!;
  /** The password file holds AWSCURRENT, mode 0600, and the mount uses that key, Active. */
  const expectMountedWithCurrent = async () => {
    const creds = await current();
    expect(readFileSync(server.passwdFile, 'utf8')).toBe(`${creds.accessKeyId}:${creds.secretAccessKey}\n`);
    expect((statSync(server.passwdFile).mode % 0o1000).toString(8)).toBe('600');
    expect(existsSync(`${server.passwdFile}.next`)).toBe(false);
    expect(server.mountedKey()).toBe(creds.accessKeyId);
    expect(await world.keyStatus(USER, creds.accessKeyId)).toBe('Active');
  };
  /** The key the mount holds is Active in IAM: no outage, at every stage. */
  const expectMountWorks = async () => {
    const key = server.mountedKey()!;
    expect(await world.keyStatus(USER, key)).toBe('Active');
  };
  const run = async () => {
    const r = await server.runScript();
    // The CLI says on stderr what it wrote (never the secret); the script prints nothing else.
    expect(r).toEqual({ code: 0, stdout: '', stderr: expect.stringMatching(/^wrote the current key of nas-archive \(AKIA\w+\) to \S+ \(mode 0600\)\n$/) });
    return server.calls();
  };

  return { script, bucket, start, clock, world, arn, rotate, lifecycle, keys, server, expectMountedWithCurrent, expectMountWorks, run };
}

test('GIVEN a server running the recipe daily WHEN the key rotates twice THEN it remounts with each new key while the old one is active, and only then', async () => {
  const { bucket, start, clock, world, rotate, lifecycle, keys, server, expectMountedWithCurrent, expectMountWorks, run } = await deployed();

  // Day 0, at boot: the first run mounts the bucket with the first key.
  const first = await run();
  expect(first).toEqual([{
    command: 's3fs',
    bucket,
    mountpoint: server.mountpoint,
    passwdFile: server.passwdFile,
    accessKeyId: keys[0],
    status: 'Active',
    arn: `arn:aws:iam::123456789012:user/${USER}`,
    objects: ['README.txt'],
    body: 'archive of the NAS',
  }]);
  await expectMountedWithCurrent();

  // Day 1: no rotation since, so no remount (the password file is left as it was).
  const before = statSync(server.passwdFile);
  clock(start + DAY);
  expect(await run()).toEqual([]);
  expect(statSync(server.passwdFile).ino).toBe(before.ino);
  await expectMountedWithCurrent();

  const day = (n: number) => start + n * DAY;
  for (const [round, rotationDay] of [[1, 30], [2, 60]]) {
    // The schedule rotates; the mount goes on with the old key, still Active, and is used an hour later.
    clock(day(rotationDay));
    keys.push(await rotate());
    expect(keys[round]).not.toBe(keys[round - 1]);
    clock(day(rotationDay) + HOUR);
    await server.read();
    expect(server.calls()).toEqual([expect.objectContaining({ command: 'read', accessKeyId: keys[round - 1], status: 'Active' })]);
    expect(server.mountedKey()).toBe(keys[round - 1]);
    await expectMountWorks();

    // The next day's run (a daily timer's worst case): unmount while the old key is still Active, mount with the new one.
    clock(day(rotationDay + 1));
    expect(await lifecycle()).toMatchObject({ deactivated: 0, failed: 0 });
    await expectMountWorks();
    expect(await run()).toEqual([
      { command: 'fusermount', mountpoint: server.mountpoint, accessKeyId: keys[round - 1], status: 'Active' },
      expect.objectContaining({ command: 's3fs', accessKeyId: keys[round], status: 'Active', arn: `arn:aws:iam::123456789012:user/${USER}`, body: 'archive of the NAS' }),
    ]);
    await expectMountedWithCurrent();
    expect(await world.keyStatus(USER, keys[round - 1])).toBe('Active');

    // The day after: nothing to do.
    clock(day(rotationDay + 2));
    expect(await run()).toEqual([]);

    // The lifecycle runs on: the early notice halfway (the old key was used after the promotion, until the remount), then deactivation.
    for (let t = day(rotationDay + 2); t <= day(rotationDay + 7) + HOUR; t += 12 * HOUR) {
      clock(t);
      expect(await lifecycle()).toMatchObject({ failed: 0 });
      await expectMountWorks();
    }
    expect(await world.keyStatus(USER, keys[round - 1])).toBe('Inactive');
    await server.read();
    expect(server.calls()).toEqual([expect.objectContaining({ command: 'read', accessKeyId: keys[round], status: 'Active' })]);
  }

  // `Access Key Still In Use`, twice a rotation for the old key, whose last use is the read before the remount: the
  // halfway check (earlyNotice) and the deactivation both report any use after the promotion, however soon it stopped.
  const notices = lines.map((l) => JSON.parse(l) as { message?: string; event?: Record<string, string> })
    .filter((l) => l.message === EventType.STILL_IN_USE && l.event).map((l) => l.event!);
  const used = (n: number) => new Date(day(n) + HOUR).toISOString();
  expect(notices.map((n) => [n.accessKeyId, n.lastUsed, /deactivated although/.test(n.reason) ? 'at deactivation' : 'halfway'])).toEqual([
    [keys[0], used(30), 'halfway'], [keys[0], used(30), 'at deactivation'],
    [keys[1], used(60), 'halfway'], [keys[1], used(60), 'at deactivation'],
  ]);
}, 120_000);

test('GIVEN a file open under the mount WHEN the run after a rotation cannot unmount THEN it fails, changing nothing, and the next day\'s run remounts', async () => {
  const { start, clock, world, rotate, keys, server, expectMountedWithCurrent, run } = await deployed();
  expect(await run()).toEqual([expect.objectContaining({ command: 's3fs', accessKeyId: keys[0] })]);
  const before = readFileSync(server.passwdFile, 'utf8');

  clock(start + 30 * DAY);
  keys.push(await rotate());
  clock(start + 31 * DAY);
  writeFileSync(path.join(server.state, 'busy'), '');
  const failed = await server.runScript();
  expect(failed.code).not.toBe(0); // systemd shows the service failed (systemctl status, journalctl)
  expect(failed.stderr).toContain('Device or resource busy');
  expect(server.calls()).toEqual([]);
  expect(server.mountedKey()).toBe(keys[0]);
  expect(readFileSync(server.passwdFile, 'utf8')).toBe(before);
  expect(await world.keyStatus(USER, keys[0])).toBe('Active');

  clock(start + 32 * DAY);
  rmSync(path.join(server.state, 'busy'));
  expect(await run()).toEqual([
    expect.objectContaining({ command: 'fusermount', accessKeyId: keys[0], status: 'Active' }),
    expect.objectContaining({ command: 's3fs', accessKeyId: keys[1], status: 'Active' }),
  ]);
  await expectMountedWithCurrent();
}, 60_000);
