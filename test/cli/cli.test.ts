/**
 * The CLI as it ships (the bundle the package's bin points to), run as a
 * process against moto's server and the CloudFormation stand-in, with the
 * real rotation function driving what Secrets Manager would start. Each
 * command's happy path, --dry-run changing nothing, the documented JSON, the
 * refusals, the confirmations, and every error's exit code and one line.
 */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { CreateSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromProcess } from '@aws-sdk/credential-provider-process';
import { Tags } from '../../src/rotation/contract';
import { buildBundle } from '../support/bundle';
import { CLI, CliOptions, runCli } from '../support/cli';
import { MotoServer } from '../support/moto';
import { MotoProxy } from '../support/moto-proxy';
import { DAY, Harness, HOUR, makeRotator, rotate, SimulatedClock, STEPS, World } from '../support/world';

let moto: MotoServer;
let proxy: MotoProxy;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  proxy = await MotoProxy.start(moto.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.faults.clear();
});

interface Deployed {
  readonly world: World;
  readonly h: Harness;
  readonly arns: Record<string, string>;
  /** The CLI with the simulated time as its clock, through the proxy. */
  cli(args: string[], options?: CliOptions): ReturnType<typeof runCli>;
  /** Finishes the rotation Secrets Manager started (moto starts it; the real function runs the steps). */
  finishRotation(user: string): Promise<void>;
}

/** Users with a managed secret each, registered, the function deployed, and the first key made (the rotation at deploy). */
async function deploy(users: { name: string; path?: string; owner?: string }[], rotations = 1): Promise<Deployed> {
  const world = new World();
  const h = makeRotator({ clock: new SimulatedClock(new Date()) });
  const arns: Record<string, string> = {};
  for (const u of users) {
    await world.createUser(u.name, u.path);
    arns[u.name] = await world.createManagedSecret(u.name, u.owner ? { owner: u.owner } : {});
  }
  await world.deployFunction();
  for (const u of users) for (let i = 0; i < rotations; i++) await rotate(world, h.rotator, arns[u.name]);
  return {
    world,
    h,
    arns,
    cli: (args, options = {}) => runCli(args, {
      ...options,
      env: { AWS_ENDPOINT_URL: proxy.endpoint, ROTATING_ACCESS_KEYS_NOW: h.clock.now().toISOString(), ...options.env },
    }),
    finishRotation: async (user) => {
      const token = await world.pendingToken(arns[user]);
      if (!token) throw new Error(`no rotation of ${user}'s secret was started`);
      for (const step of STEPS) await h.rotator.rotationStep({ Step: step, SecretId: arns[user], ClientRequestToken: token });
    },
  };
}

const json = (out: string) => JSON.parse(out);

describe('status', () => {
  test('GIVEN two users, one mid-grace WHEN status runs THEN the table shows every key with its stage, age, last use and the next transition with its date', async () => {
    const d = await deploy([{ name: 'alice', path: '/service/', owner: 'team-storage' }, { name: 'bob' }]);
    await rotate(d.world, d.h.rotator, d.arns.alice);
    const alice = await d.world.stages(d.arns.alice);
    const bob = await d.world.stages(d.arns.bob);

    const r = await d.cli(['status']);

    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/USER\s+│ SECRET\s+│ KEY\s+│ STATUS\s+│ STAGE\s+│ AGE\s+│ LAST USED\s+│ NEXT/);
    const row = (id: string) => lines.find((l) => l.includes(id))!;
    expect(row(alice.AWSPREVIOUS!)).toMatch(/Active\s+│ previous\s+│ 0 d\s+│ \d{4}-\d\d-\d\d \d\d:\d\d sts us-east-1\s+│ check-usage \d{4}-\d\d-\d\d \d\d:\d\d \(in 3\.5 d\)/);
    expect(row(alice.AWSCURRENT!)).toMatch(/Active\s+│ current/);
    expect(row(bob.AWSCURRENT!)).toMatch(/│ bob\s+│ access-keys\/bob-\w{6}\s+│ \w+\s+│ Active\s+│ current/);
    expect(r.stdout).toMatch(/2 managed secrets at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });

  test('GIVEN --output json THEN it has the documented schema, version 1', async () => {
    const d = await deploy([{ name: 'alice', path: '/service/', owner: 'team-storage' }], 2);
    const stages = await d.world.stages(d.arns.alice);

    const r = await d.cli(['status', '--output', 'json']);

    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(report).toEqual({
      schemaVersion: 1,
      generatedAt: d.h.clock.now().toISOString(),
      secrets: [{
        secretArn: d.arns.alice,
        userName: 'alice',
        userArn: 'arn:aws:iam::123456789012:user/service/alice',
        stack: moto.cloudFormation.stackId,
        owner: 'team-storage',
        rotationInProgress: false,
        next: { action: 'check-usage', accessKeyId: stages.AWSPREVIOUS, at: expect.any(String), due: false, reason: 'grace period' },
        keys: expect.arrayContaining([
          { accessKeyId: stages.AWSCURRENT, status: 'Active', stage: 'current', createdAt: expect.any(String), ageDays: 0, lastUsed: expect.objectContaining({ service: 'sts' }) },
          { accessKeyId: stages.AWSPREVIOUS, status: 'Active', stage: 'previous', createdAt: expect.any(String), ageDays: 0, lastUsed: expect.objectContaining({ service: 'sts' }) },
        ]),
      }],
    });
    // The usage check is due halfway through the 7-day grace period, counted from the promotion.
    const at = new Date(report.secrets[0].next.at).getTime() - d.h.clock.now().getTime();
    expect(at).toBeGreaterThan(3.5 * DAY - HOUR);
    expect(at).toBeLessThanOrEqual(3.5 * DAY);
  });

  test('GIVEN --stack, --user or --secret-id THEN only what they name is shown, found through the stack\'s registry or the secret\'s function', async () => {
    const d = await deploy([{ name: 'alice' }, { name: 'bob' }]);
    const users = async (args: string[]) => json((await d.cli(['status', '--output', 'json', ...args])).stdout).secrets.map((s: any) => s.userName);

    expect(await users(['--stack', 'Stack'])).toEqual(['alice', 'bob']);
    expect(await users(['--stack', 'Stack', '--user', 'bob'])).toEqual(['bob']);
    expect(await users(['--user', 'alice'])).toEqual(['alice']);
    expect(await users(['--secret-id', d.arns.bob])).toEqual(['bob']);
    expect(await users(['--secret-id', 'access-keys/alice'])).toEqual(['alice']);
  });

  test('GIVEN a hold and a time travelled past deactivation THEN the next transition says held, and without the hold deactivate is due now', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    d.h.clock.advance(8 * DAY);
    let s = json((await d.cli(['status', '--output', 'json'])).stdout).secrets[0];
    expect(s.next).toMatchObject({ action: 'deactivate', due: true });
    await d.world.secretsManager.send(new TagResourceCommand({
      SecretId: d.arns.alice, Tags: [{ Key: Tags.HOLD, Value: 'investigating' }],
    }));
    s = json((await d.cli(['status', '--output', 'json'])).stdout).secrets[0];
    expect(s).toMatchObject({ hold: 'investigating', next: { action: 'held', due: false } });
    expect((await d.cli(['status'])).stdout).toContain('held: investigating');
  });
});

describe('rotate and revoke', () => {
  test('GIVEN rotate THEN Secrets Manager starts a rotation with the secret\'s function, which the function finishes: a new current key, the old one previous', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const before = await d.world.stages(d.arns.alice);

    const r = await d.cli(['rotate', '--user', 'alice']);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('a rotation of alice\'s key starts now') });
    await d.finishRotation('alice');

    const after = await d.world.stages(d.arns.alice);
    expect(after.AWSPREVIOUS).toBe(before.AWSCURRENT);
    expect(after.AWSCURRENT).not.toBe(before.AWSCURRENT);
    // Secrets Manager was asked to rotate with what is configured: the CLI names no function and no schedule.
    const call = (await moto.requests()).filter((q) => q.action === 'RotateSecret').pop()!;
    expect(call.body).toMatchObject({ SecretId: d.arns.alice });
  });

  test('GIVEN --dry-run THEN nothing starts', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const r = await d.cli(['rotate', '--user', 'alice', '--dry-run', '--output', 'json']);
    expect(json(r.stdout)).toMatchObject({
      command: 'rotate',
      dryRun: true,
      changed: false,
      userName: 'alice',
      message: 'would start a rotation of alice\'s key: a new key becomes current; the old one is deactivated 7 days later',
    });
    expect(await d.world.pendingToken(d.arns.alice)).toBeUndefined();
    const revoke = await d.cli(['revoke', '--user', 'alice', '--dry-run']);
    expect(revoke).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\(dry run\) would revoke alice's current key AKIA/) });
    expect(await d.world.pendingToken(d.arns.alice)).toBeUndefined();
    expect(await d.world.tags(d.arns.alice)).not.toHaveProperty(Tags.REVOKE);
  });

  test('GIVEN activate and release with --dry-run THEN the key and the hold are left as they are', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    await d.cli(['deactivate', '--user', 'alice', '--yes']);
    expect((await d.cli(['activate', '--user', 'alice', '--dry-run'])).stdout).toContain(`(dry run) would activate alice's previous key ${old}, holding`);
    expect(await d.world.keyStatus('alice', old)).toBe('Inactive');
    expect(await d.world.tags(d.arns.alice)).not.toHaveProperty(Tags.HOLD);
    await d.cli(['activate', '--user', 'alice']);
    expect((await d.cli(['release', '--user', 'alice', '--dry-run'])).stdout).toContain('(dry run) would remove the hold');
    expect(await d.world.tags(d.arns.alice)).toHaveProperty(Tags.HOLD);
  });

  test('GIVEN a rotation already in progress THEN rotate and revoke refuse (exit 7) and start nothing', async () => {
    const d = await deploy([{ name: 'alice' }]);
    await d.world.startRotation(d.arns.alice);
    for (const command of ['rotate', 'revoke']) {
      const r = await d.cli([command, '--user', 'alice', '--yes']);
      expect(r).toMatchObject({ code: 7, stderr: expect.stringContaining('a rotation of alice\'s key is in progress') });
    }
    expect(await d.world.tags(d.arns.alice)).not.toHaveProperty(Tags.REVOKE);
  });

  test('GIVEN revoke --yes THEN the old key is inactive as soon as the rotation finishes, and deleted at the next lifecycle run', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const leaked = (await d.world.stages(d.arns.alice)).AWSCURRENT!;

    const r = await d.cli(['revoke', '--user', 'alice', '--yes']);
    expect(r.code).toBe(0);
    await d.finishRotation('alice');
    expect(await d.world.keyStatus('alice', leaked)).toBe('Inactive');
    await d.h.rotator.lifecycle();
    expect(await d.world.keyStatus('alice', leaked)).toBeUndefined();
  });

  test('GIVEN revoke without --yes and no terminal THEN it asks for confirmation and changes nothing (exit 7)', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const r = await d.cli(['revoke', '--user', 'alice']);
    expect(r).toMatchObject({ code: 7, stderr: expect.stringContaining('needs a confirmation: run it in a terminal, or pass --yes') });
    expect(await d.world.tags(d.arns.alice)).not.toHaveProperty(Tags.REVOKE);
    expect(await d.world.pendingToken(d.arns.alice)).toBeUndefined();
  });
});

describe('the console\'s key actions: deactivate, activate, release, delete', () => {
  test('GIVEN deactivate THEN the old key is made inactive and the lifecycle records it (deleted deleteAfter later)', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;

    expect((await d.cli(['deactivate', '--user', 'alice', '--dry-run'])).stdout).toContain(`(dry run) would deactivate alice's previous key ${old}`);
    expect(await d.world.keyStatus('alice', old)).toBe('Active');

    const r = await d.cli(['deactivate', '--user', 'alice', '--yes', '--output', 'json']);
    expect(json(r.stdout)).toMatchObject({ command: 'deactivate', changed: true, accessKeyId: old, dryRun: false });
    expect(await d.world.keyStatus('alice', old)).toBe('Inactive');
    // Recorded at the lifecycle's next read of the secret (its usage check, 3.5 days in), deleted 14 days after the 7-day grace period.
    d.h.clock.advance(4 * DAY);
    expect((await d.h.rotator.lifecycle()).recorded).toBe(1);
    d.h.clock.advance(16 * DAY);
    expect((await d.h.rotator.lifecycle()).deleted).toBe(0);
    d.h.clock.advance(1 * DAY + HOUR);
    expect((await d.h.rotator.lifecycle()).deleted).toBe(1);
  });

  test('GIVEN the current key WHEN deactivate names it THEN it is refused (exit 7) unless --force', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const current = (await d.world.stages(d.arns.alice)).AWSCURRENT!;
    const r = await d.cli(['deactivate', '--user', 'alice', '--key-id', current, '--yes']);
    expect(r).toMatchObject({ code: 7, stderr: expect.stringContaining(`${current} is alice's current key: deactivating it stops every consumer`) });
    expect(await d.world.keyStatus('alice', current)).toBe('Active');
    expect((await d.cli(['deactivate', '--user', 'alice', '--key-id', current, '--yes', '--force'])).code).toBe(0);
    expect(await d.world.keyStatus('alice', current)).toBe('Inactive');
  });

  test('GIVEN activate then release THEN the hold keeps the lifecycle off the key, and after release the key is deactivated anew and deleted later', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    d.h.clock.advance(8 * DAY);
    await d.h.rotator.lifecycle(); // deactivated after the grace period
    expect(await d.world.keyStatus('alice', old)).toBe('Inactive');

    const activated = await d.cli(['activate', '--user', 'alice']);
    expect(activated).toMatchObject({ code: 0, stdout: expect.stringContaining(`activated ${old}; held until release`) });
    expect(await d.world.keyStatus('alice', old)).toBe('Active');
    expect((await d.world.tags(d.arns.alice))[Tags.HOLD]).toMatch(new RegExp(`^id=${old} held-at=\\S+ by=arn:aws:`));
    expect((await d.cli(['status'])).stdout).toMatch(/held since \d{4}-\d\d-\d\d \d\d:\d\d[ │]+\n.*by arn:aws:sts::123456789012:/);

    // Released before the lifecycle saw the hold: refused, it would be held again at its deletion time.
    expect(await d.cli(['release', '--user', 'alice'])).toMatchObject({ code: 7, stderr: expect.stringContaining('has not seen this hold') });

    d.h.clock.advance(HOUR);
    await d.h.rotator.lifecycle(); // records the hold
    d.h.clock.advance(30 * DAY);
    await d.h.rotator.lifecycle(); // held: nothing happens
    expect(await d.world.keyStatus('alice', old)).toBe('Active');

    expect((await d.cli(['release', '--user', 'alice'])).stdout).toContain(`released; ${old} is deactivated again at the next lifecycle run`);
    expect(await d.world.tags(d.arns.alice)).not.toHaveProperty(Tags.HOLD);
    d.h.clock.advance(HOUR);
    expect((await d.h.rotator.lifecycle()).deactivated).toBe(1);
    expect(await d.world.keyStatus('alice', old)).toBe('Inactive');
    d.h.clock.advance(14 * DAY);
    expect((await d.h.rotator.lifecycle()).deleted).toBe(1);
  });

  test('GIVEN a revoked key WHEN activate names it THEN it is refused: the lifecycle deletes it anyway', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const leaked = (await d.world.stages(d.arns.alice)).AWSCURRENT!;
    await d.cli(['revoke', '--user', 'alice', '--yes']);
    await d.finishRotation('alice');
    const r = await d.cli(['activate', '--user', 'alice', '--key-id', leaked]);
    expect(r).toMatchObject({ code: 7, stderr: expect.stringContaining(`${leaked} was revoked`) });
    expect(await d.world.keyStatus('alice', leaked)).toBe('Inactive');
  });

  test('GIVEN delete THEN an inactive key goes after a confirmation; an active one needs --force and its id typed', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;

    expect(await d.cli(['delete', '--user', 'alice', '--key-id', old, '--yes']))
      .toMatchObject({ code: 7, stderr: expect.stringContaining(`${old} is active: deactivate it first`) });
    expect(await d.cli(['delete', '--user', 'alice', '--key-id', old, '--force'], { input: 'AKIAWRONG\n' }))
      .toMatchObject({ code: 7, stderr: expect.stringContaining('not confirmed: the key id typed does not match') });
    expect(await d.world.keyStatus('alice', old)).toBe('Active');

    await d.cli(['deactivate', '--user', 'alice', '--yes']);
    expect((await d.cli(['delete', '--user', 'alice', '--dry-run'])).stdout).toContain(`would delete alice's previous key ${old}`);
    expect(await d.cli(['delete', '--user', 'alice'])).toMatchObject({ code: 7 });
    expect(await d.world.keyStatus('alice', old)).toBe('Inactive');
    expect(await d.cli(['delete', '--user', 'alice', '--yes'])).toMatchObject({ code: 0, stdout: `deleted ${old}\n` });
    expect(await d.world.keyStatus('alice', old)).toBeUndefined();

    // The lifecycle records a key deleted by hand and goes on.
    d.h.clock.advance(8 * DAY);
    expect((await d.h.rotator.lifecycle()).failed).toBe(0);
  });

  test('GIVEN an active key, --force and its id typed THEN it is deleted', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    const r = await d.cli(['delete', '--user', 'alice', '--key-id', old, '--force'], { input: `${old}\n` });
    expect(r).toMatchObject({ code: 0, stdout: `deleted ${old}\n`, stderr: expect.stringContaining('Type the key id to delete it') });
    expect(await d.world.keyStatus('alice', old)).toBeUndefined();
  });
});

describe('export and credential-process: the current key for consumers', () => {
  test('GIVEN each format THEN the current key is written as the tool expects it', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const creds = (await d.world.credentials(d.arns.alice, 'AWSCURRENT'))!;
    const out = async (...args: string[]) => (await d.cli(['export', '--secret-id', d.arns.alice, ...args])).stdout;

    expect(await out('--format', 'env')).toBe(`export AWS_ACCESS_KEY_ID=${creds.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}\n`);
    expect(await out('--format', 'credentials')).toBe(`[alice]\naws_access_key_id = ${creds.accessKeyId}\naws_secret_access_key = ${creds.secretAccessKey}\n`);
    expect(await out('--format', 'credentials', '--profile-name', 'backup')).toMatch(/^\[backup\]\n/);
    expect(await out('--format', 'csv')).toBe(`Access key ID,Secret access key\n${creds.accessKeyId},${creds.secretAccessKey}\n`);
    expect(json(await out('--format', 'credential-process'))).toEqual({
      Version: 1, AccessKeyId: creds.accessKeyId, SecretAccessKey: creds.secretAccessKey, Expiration: expect.any(String),
    });
    expect(json((await d.cli(['export', '--user', 'alice', '--format', 'credential-process'])).stdout).AccessKeyId).toBe(creds.accessKeyId);
  });

  test('GIVEN --out THEN a new file readable by its owner only; an existing file is never overwritten; the secret goes nowhere else', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const creds = (await d.world.credentials(d.arns.alice, 'AWSCURRENT'))!;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'export-')), 'alice.csv');

    const r = await d.cli(['export', '--secret-id', d.arns.alice, '--format', 'csv', '--out', file]);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toContain(`to ${file} (mode 0600)`);
    expect(r.stderr).not.toContain(creds.secretAccessKey);
    expect((statSync(file).mode % 0o1000).toString(8)).toBe('600');
    expect(readFileSync(file, 'utf8')).toContain(creds.secretAccessKey);

    const again = await d.cli(['export', '--secret-id', d.arns.alice, '--format', 'env', '--out', file]);
    expect(again).toMatchObject({ code: 7, stderr: expect.stringContaining(`${file} exists`) });
    expect(readFileSync(file, 'utf8')).toMatch(/^Access key ID,Secret access key\n/);
  });

  test('GIVEN credential_process in ~/.aws/config THEN the AWS SDK\'s process provider signs with the current key, and picks up the next one', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const dir = mkdtempSync(path.join(tmpdir(), 'consumer-'));
    const config = path.join(dir, 'config');
    // The consumer's own identity (here moto's test keys) reads the secret; the region and endpoint are the server's.
    writeFileSync(config, '[profile backup]\ncredential_process = /usr/bin/env AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing '
      + `${process.execPath} ${CLI} credential-process --secret-id ${d.arns.alice} --region us-east-1 --endpoint-url ${proxy.endpoint}\n`);
    chmodSync(config, 0o600);
    const whoAmI = async () => {
      const credentials = await fromProcess({ profile: 'backup', filepath: path.join(dir, 'credentials'), configFilepath: config })();
      const sts = new STSClient({ region: 'us-east-1', credentials });
      try {
        return { arn: (await sts.send(new GetCallerIdentityCommand({}))).Arn, key: credentials.accessKeyId, expiration: credentials.expiration };
      } finally {
        sts.destroy();
      }
    };
    {
      const first = await whoAmI();
      expect(first).toEqual({ arn: 'arn:aws:iam::123456789012:user/alice', key: (await d.world.stages(d.arns.alice)).AWSCURRENT, expiration: expect.any(Date) });
      expect(first.expiration!.getTime() - Date.now()).toBeGreaterThan(59 * 60_000);

      await rotate(d.world, d.h.rotator, d.arns.alice);
      expect((await whoAmI()).key).toBe((await d.world.stages(d.arns.alice)).AWSCURRENT);
    }
  });

  test.each([
    ['a number out of range', ['--refresh-minutes', '5'], /--refresh-minutes must be a whole number from 20 to 720, got '5'/],
    ['no secret', [], /required option '--secret-id <id>' not specified/],
  ])('GIVEN credential-process with %s THEN it is a usage error (exit 2)', async (_, args, message) => {
    const d = await deploy([{ name: 'alice' }]);
    const r = await d.cli(['credential-process', ...(args.length ? ['--secret-id', d.arns.alice] : []), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('errors: one line that says what to do, a documented exit code, nothing changed', () => {
  test('GIVEN an unknown secret, a secret the library does not manage, or an unknown user THEN exit 3', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const plain = await d.world.secretsManager.send(new CreateSecretCommand({
      Name: 'payments/db', SecretString: '{"password":"hunter2-hunter2"}',
    }));
    expect(await d.cli(['status', '--secret-id', 'nope'])).toMatchObject({ code: 3, stderr: 'error: no secret nope\n' });
    expect(await d.cli(['rotate', '--secret-id', plain.ARN!])).toMatchObject({
      code: 3, stderr: expect.stringMatching(/^error: secret payments\/db is not managed by cdk-rotating-access-keys .*\n$/),
    });
    expect(await d.cli(['rotate', '--user', 'mallory'])).toMatchObject({ code: 3, stderr: 'error: no managed access key for user mallory\n' });
    expect(await d.cli(['status', '--user', 'mallory'])).toMatchObject({ code: 3, stdout: '', stderr: 'error: no managed access key for user mallory\n' });
    expect(await d.cli(['deactivate', '--user', 'alice', '--key-id', 'AKIANOTHERS000000001', '--yes']))
      .toMatchObject({ code: 3, stderr: expect.stringContaining('user alice has no access key AKIANOTHERS000000001') });
  });

  test('GIVEN a secret whose stack no longer registers it THEN it is not managed (exit 3)', async () => {
    const d = await deploy([{ name: 'alice' }, { name: 'bob' }]);
    moto.cloudFormation.unregister(d.arns.bob);
    await d.world.deployFunction();
    expect(await d.cli(['rotate', '--secret-id', d.arns.bob])).toMatchObject({
      code: 3, stderr: expect.stringContaining('is not registered with the stack of its rotation function'),
    });
  });

  test('GIVEN access denied on the change itself THEN exit 4 names the action, and the key is unchanged', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    proxy.faults.set('UpdateAccessKey', {
      code: 'AccessDenied', message: 'User: arn:aws:iam::123456789012:user/jane is not authorized to perform: iam:UpdateAccessKey on resource: user alice',
    });
    const r = await d.cli(['deactivate', '--user', 'alice', '--yes']);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^error: access denied to iam:UpdateAccessKey: .*grantOperate/)]);
    expect(await d.world.keyStatus('alice', old)).toBe('Active');
  });

  test('GIVEN access denied with a message that names no action THEN the action comes from the call that failed', async () => {
    const d = await deploy([{ name: 'alice' }]);
    proxy.faults.set('ListSecrets', { code: 'AccessDeniedException', message: 'Access to the resource is denied' });
    const r = await d.cli(['status']);
    expect(r).toMatchObject({ code: 4, stderr: expect.stringMatching(/^error: access denied to secretsmanager:ListSecrets: Access to the resource is denied/) });
  });

  test('GIVEN throttling that outlasts the retries THEN exit 6', async () => {
    const d = await deploy([{ name: 'alice' }]);
    proxy.faults.set('ListAccessKeys', { code: 'Throttling', message: 'Rate exceeded' });
    const r = await d.cli(['status', '--user', 'alice']);
    expect(r).toMatchObject({ code: 6, stderr: expect.stringContaining('AWS is throttling iam:ListAccessKeys (Throttling) after retries') });
  });

  test('GIVEN no credentials anywhere THEN exit 5 says how to sign in', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const empty = path.join(mkdtempSync(path.join(tmpdir(), 'nocreds-')), 'none');
    writeFileSync(empty, '');
    const r = await d.cli(['status'], {
      env: {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_SHARED_CREDENTIALS_FILE: empty,
        AWS_CONFIG_FILE: empty,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      },
    });
    expect(r).toMatchObject({ code: 5, stderr: expect.stringMatching(/^error: no AWS credentials found: sign in/) });
  });

  test('GIVEN a profile that does not exist THEN exit 5', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const empty = path.join(mkdtempSync(path.join(tmpdir(), 'noprofile-')), 'config');
    writeFileSync(empty, '[profile other]\nregion = us-east-1\n');
    const r = await d.cli(['status', '--profile', 'missing'], {
      env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty },
    });
    expect(r.code).toBe(5);
  });

  test.each([
    ['an unknown command', ['rotatee'], /unknown command 'rotatee'/],
    ['an unknown option', ['status', '--colour'], /unknown option '--colour'/],
    ['an unknown format', ['export', '--user', 'alice', '--format', 'xml'], /argument 'xml' is invalid/],
    ['a change with no key named', ['rotate'], /name the key with --user <name> or --secret-id/],
    ['a bad simulated clock', ['status'], /ROTATING_ACCESS_KEYS_NOW must be an ISO 8601 time, got 'tuesday'/],
  ])('GIVEN %s THEN it is a usage error (exit 2)', async (name, args, message) => {
    const d = await deploy([{ name: 'alice' }]);
    const r = await d.cli(args, name.includes('clock') ? { env: { ROTATING_ACCESS_KEYS_NOW: 'tuesday' } } : {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('GIVEN --endpoint-url THEN every call goes there (here: moto directly, for a read of the secret)', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const r = await runCli(['export', '--secret-id', d.arns.alice, '--format', 'env', '--endpoint-url', moto.endpoint], {
      env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('export AWS_ACCESS_KEY_ID=AKIA') });
  });
});
