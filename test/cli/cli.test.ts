/**
 * The CLI as it ships (the bundle the package's bin points to), run as a
 * process against moto's server and the CloudFormation stand-in, with the
 * real rotation function driving what Secrets Manager would start. Each
 * command's happy path, --dry-run changing nothing, the documented JSON, the
 * refusals, the confirmations, and every error's exit code and one line.
 */
import { execFileSync } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand, PutSecretValueCommand, RotateSecretCommand, TagResourceCommand, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromProcess } from '@aws-sdk/credential-provider-process';
import { CliAws } from '../../src/cli/cli-aws';
import { Io, Operator } from '../../src/cli/commands';
import { Locator } from '../../src/cli/locate';
import { utc } from '../../src/cli/plan';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import { Env, Registration, Tags } from '../../src/rotation/contract';
import { buildBundle } from '../support/bundle';
import { CLI, CliOptions, runCli } from '../support/cli';
import { FUNCTION_LOGICAL_ID } from '../support/cloudformation';
import { MotoServer } from '../support/moto';
import { MotoProxy } from '../support/moto-proxy';
import { DAY, Harness, HOUR, makeRotator, registration, rotate, SimulatedClock, STEPS, World } from '../support/world';

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
async function deploy(users: { name: string; path?: string; owner?: string; config?: Partial<Registration> }[], rotations = 1): Promise<Deployed> {
  const world = new World();
  const h = makeRotator({ clock: new SimulatedClock(new Date()) });
  const arns: Record<string, string> = {};
  for (const u of users) {
    await world.createUser(u.name, u.path);
    arns[u.name] = await world.createManagedSecret(u.name, { ...u.config, ...(u.owner ? { owner: u.owner } : {}) });
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

    const r = await d.cli(['rotate', '--user', 'alice', '--yes']);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^a rotation of alice's key starts now \(stack Stack, secret access-keys\/alice-\w{6}\)\n/) });
    await d.finishRotation('alice');

    const after = await d.world.stages(d.arns.alice);
    expect(after.AWSPREVIOUS).toBe(before.AWSCURRENT);
    expect(after.AWSCURRENT).not.toBe(before.AWSCURRENT);
    // Secrets Manager was asked to rotate with what is configured: the CLI names no function and no schedule.
    const call = (await moto.requests()).filter((q) => q.action === 'RotateSecret').pop()!;
    expect(call.body).toMatchObject({ SecretId: d.arns.alice });
  });

  test('GIVEN --dry-run THEN it says what happens to each key, with dates, and nothing starts', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const current = (await d.world.stages(d.arns.alice)).AWSCURRENT!;
    const deactivated = new Date(d.h.clock.now().getTime() + 7 * DAY);
    const r = await d.cli(['rotate', '--user', 'alice', '--dry-run', '--output', 'json']);
    expect(json(r.stdout)).toEqual({
      command: 'rotate',
      dryRun: true,
      changed: false,
      secretArn: d.arns.alice,
      userName: 'alice',
      stack: moto.cloudFormation.stackId,
      plan: [
        { status: 'new', stage: 'new', then: 'created, tested, and made current (AWSCURRENT)' },
        {
          accessKeyId: current,
          status: 'Active',
          stage: 'current',
          then: `becomes the previous key: active for 7 days more (until about ${utc(deactivated)}), then deactivated, `
            + `and deleted 14 days later (about ${utc(new Date(deactivated.getTime() + 14 * DAY))})`,
        },
      ],
      message: expect.stringMatching(new RegExp('^would rotate alice\'s key \\(stack Stack, secret access-keys/alice-\\w{6}\\)\n'
        + `  a new key \\(created by the rotation\\): created, tested, and made current \\(AWSCURRENT\\)\n  ${current} \\(Active, current\\): becomes the previous key`)),
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
    expect((await d.cli(['activate', '--user', 'alice', '--dry-run'])).stdout).toContain(`(dry run) would activate alice's previous key ${old} (stack Stack, secret access-keys/alice-`);
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

  test('GIVEN revoke without --yes and no terminal THEN it refuses (exit 7), saying what it would have asked, stack included, and changes nothing', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const r = await d.cli(['revoke', '--user', 'alice']);
    expect(r).toMatchObject({
      code: 7,
      stderr: expect.stringMatching(/^error: this command needs a confirmation to revoke alice's current key AKIA\w+ \(stack Stack, secret access-keys\/alice-\w{6}\): .*run it in a terminal, or pass --yes/),
    });
    expect(await d.world.tags(d.arns.alice)).not.toHaveProperty(Tags.REVOKE);
    expect(await d.world.pendingToken(d.arns.alice)).toBeUndefined();
  });
});

describe('rotate and revoke say what happens to each key, and refuse what the function would refuse', () => {
  test('GIVEN an inactive old key WHEN rotate THEN it says the old key is deleted at once and when its retention would have ended; the rotation does just that', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const { AWSCURRENT: current, AWSPREVIOUS: old } = await d.world.stages(d.arns.alice);
    d.h.clock.advance(8 * DAY);
    await d.h.rotator.lifecycle(); // the grace period is over: deactivated
    const retention = json((await d.cli(['status', '--output', 'json'])).stdout).secrets[0].next;
    expect(retention).toMatchObject({ action: 'delete', accessKeyId: old, due: false });

    const r = await d.cli(['rotate', '--user', 'alice', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\n  ${old} (Inactive, previous): deleted at once to make room (IAM allows two keys per user); `
      + `its retention would have ended ${utc(new Date(retention.at))}\n`);
    expect(r.stdout).toContain(`\n  ${current} (Active, current): becomes the previous key: active for 7 days more`);

    expect((await d.cli(['rotate', '--user', 'alice', '--yes'])).code).toBe(0);
    await d.finishRotation('alice');
    expect(await d.world.keyStatus('alice', old!)).toBeUndefined();
    expect(await d.world.stages(d.arns.alice)).toMatchObject({ AWSPREVIOUS: current });
    expect(await d.world.keyStatus('alice', current!)).toBe('Active');
  });

  test('GIVEN an old key still in its grace period WHEN rotate THEN it is refused (exit 7) before anything starts, naming the key, the date it is deactivated and the ways out', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    for (const args of [['--yes'], ['--dry-run']]) {
      const r = await d.cli(['rotate', '--user', 'alice', ...args]);
      expect(r).toMatchObject({ code: 7, stdout: '' });
      expect(r.stderr).toMatch(new RegExp('^error: a rotation of alice\'s key \\(stack Stack, secret access-keys/alice-\\w{6}\\) would fail before changing anything: '
        + `user alice has no free access key slot: the old key ${old} is still active \\(its grace period ends at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, when the lifecycle deactivates it\\), `
        + `and a rotation never deletes an active key; rotate after it is deactivated, or revoke \\(which replaces the current key and deletes ${old} at once\\); nothing was started\n$`));
    }
    expect(await d.world.pendingToken(d.arns.alice)).toBeUndefined();
    expect(await d.world.keyStatus('alice', old)).toBe('Active');
  });

  test('GIVEN an old key active again under an operator\'s hold WHEN rotate THEN it is refused, saying to release the hold', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    d.h.clock.advance(8 * DAY);
    await d.h.rotator.lifecycle();
    expect((await d.cli(['activate', '--user', 'alice'])).code).toBe(0);
    const r = await d.cli(['rotate', '--user', 'alice', '--yes']);
    expect(r).toMatchObject({ code: 7, stderr: expect.stringContaining('is still active (an operator\'s hold keeps it active), and a rotation never deletes an active key; release the hold') });
    expect(await d.world.pendingToken(d.arns.alice)).toBeUndefined();
  });

  test('GIVEN a key made by hand WHEN rotate THEN the registration\'s foreignKeyPolicy decides: FAIL refuses naming it, DELETE_INACTIVE says an inactive one is deleted', async () => {
    const d = await deploy([{ name: 'alice' }, { name: 'bob', config: { foreignKeyPolicy: ForeignKeyPolicy.DELETE_INACTIVE } }]);
    const handMade = await d.world.createForeignKey('alice');
    expect(await d.cli(['rotate', '--user', 'alice', '--yes'])).toMatchObject({
      code: 7,
      stderr: expect.stringContaining(`would fail before changing anything: user alice has access keys this library did not create: ${handMade.accessKeyId} (Active); `
        + 'delete them, or choose a foreign key policy (DELETE_INACTIVE, ADOPT); nothing was started'),
    });
    const bobs = await d.world.createForeignKey('bob');
    await d.world.iam.send(new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: bobs.accessKeyId, Status: 'Inactive' }));
    expect((await d.cli(['rotate', '--user', 'bob', '--dry-run'])).stdout)
      .toContain(`  ${bobs.accessKeyId} (Inactive, foreign): deleted at once: an inactive key this library did not create, which foreignKeyPolicy DELETE_INACTIVE deletes`);
  });

  test('GIVEN an old key in its grace period WHEN revoke THEN it says that key is deleted at once though active and the current key is deactivated when the new one is current; the revoke does that', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const { AWSCURRENT: leaked, AWSPREVIOUS: old } = await d.world.stages(d.arns.alice);
    const plan = json((await d.cli(['revoke', '--user', 'alice', '--dry-run', '--output', 'json'])).stdout).plan;
    expect(plan).toHaveLength(3);
    expect(plan[0]).toEqual({ status: 'new', stage: 'new', then: 'created, tested, and made current (AWSCURRENT)' });
    expect(plan).toEqual(expect.arrayContaining([
      { accessKeyId: old, status: 'Active', stage: 'previous', then: 'deleted at once by the revoke, though active, to make room (IAM allows two keys per user)' },
      {
        accessKeyId: leaked,
        status: 'Active',
        stage: 'current',
        then: 'becomes the previous key and is deactivated as soon as the new key is made current, then deleted at the next lifecycle run',
      },
    ]));
    expect((await d.cli(['revoke', '--user', 'alice', '--yes'])).code).toBe(0);
    await d.finishRotation('alice');
    expect(await d.world.keyStatus('alice', old!)).toBeUndefined();
    expect(await d.world.keyStatus('alice', leaked!)).toBe('Inactive');
  });

  test('GIVEN rotate without --yes WHEN there is no terminal THEN it refuses (exit 7); on a terminal it asks, listing each key\'s fate and the stack', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const current = (await d.world.stages(d.arns.alice)).AWSCURRENT!;
    expect(await d.cli(['rotate', '--user', 'alice'])).toMatchObject({
      code: 7,
      stderr: expect.stringMatching(/^error: this command needs a confirmation to rotate alice's key \(stack Stack, secret access-keys\/alice-\w{6}\) \(--dry-run says what happens to each key\): run it in a terminal, or pass --yes/),
    });
    const questions: string[] = [];
    const io: Io = { interactive: true, out: () => undefined, err: () => undefined, ask: async (q) => { questions.push(q); return ''; } };
    const aws = CliAws.connect({});
    await expect(new Operator(aws, new Locator(aws), io, d.h.clock.now).rotate({ user: 'alice' }, {})).rejects.toMatchObject({ exitCode: 7 });
    expect(questions[0].split('\n')).toEqual([
      expect.stringMatching(/^rotate alice's key \(stack Stack, secret access-keys\/alice-\w{6}\):$/),
      '  a new key (created by the rotation): created, tested, and made current (AWSCURRENT)',
      expect.stringMatching(`^  ${current} \\(Active, current\\): becomes the previous key: active for 7 days more`),
      '  user:   arn:aws:iam::123456789012:user/alice',
      `  secret: ${d.arns.alice}`,
      `  stack:  Stack (${moto.cloudFormation.stackId})`,
      'Rotate? [y/N] ',
    ]);
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

  test('GIVEN the current key WHEN deactivate or delete names it THEN it is refused (exit 7) naming the secret and the stage, --force or not', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const current = (await d.world.stages(d.arns.alice)).AWSCURRENT!;
    const refusal = new RegExp(`^error: ${current} is AWSCURRENT of secret access-keys/alice-\\w{6} \\(alice's current key, stack Stack\\): `
      + 'a key a secret of this library serves is never turned off by this CLI, whatever --force says; to replace it, run revoke; nothing was changed\n$');
    for (const args of [['deactivate', '--yes'], ['deactivate', '--dry-run'], ['delete', '--yes'], ['delete', '--force']]) {
      const r = await d.cli([args[0], '--user', 'alice', '--key-id', current, ...args.slice(1)], { input: `${current}\n` });
      expect(r).toMatchObject({ code: 7, stdout: '', stderr: expect.stringMatching(refusal) });
    }
    expect(await d.world.keyStatus('alice', current)).toBe('Active');
    // deactivate has no --force left to offer.
    expect((await d.cli(['deactivate', '--user', 'alice', '--key-id', current, '--yes', '--force'])).code).toBe(2);
    expect(await d.world.keyStatus('alice', current)).toBe('Active');
  });

  test('GIVEN activate then release THEN the hold keeps the lifecycle off the key, and after release the key is deactivated anew and deleted later', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    d.h.clock.advance(8 * DAY);
    await d.h.rotator.lifecycle(); // deactivated after the grace period
    expect(await d.world.keyStatus('alice', old)).toBe('Inactive');

    const activated = await d.cli(['activate', '--user', 'alice']);
    expect(activated).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^activated ${old} \\(stack Stack, secret access-keys/alice-\\w{6}\\); held until release`)) });
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

    expect((await d.cli(['release', '--user', 'alice'])).stdout).toMatch(new RegExp(`^released \\(stack Stack, secret [^)]+\\); ${old} is deactivated again at the next lifecycle run`));
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
    expect(await d.cli(['delete', '--user', 'alice', '--yes'])).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^deleted ${old} \\(stack Stack, secret access-keys/alice-\\w{6}\\)\n$`)) });
    expect(await d.world.keyStatus('alice', old)).toBeUndefined();

    // The lifecycle records a key deleted by hand and goes on.
    d.h.clock.advance(8 * DAY);
    expect((await d.h.rotator.lifecycle()).failed).toBe(0);
  });

  test('GIVEN an active key, --force and its id typed THEN it is deleted', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    const r = await d.cli(['delete', '--user', 'alice', '--key-id', old, '--force'], { input: `${old}\n` });
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^deleted ${old} \\(stack Stack`)), stderr: expect.stringContaining('Type the key id to delete it') });
    expect(r.stderr).toContain(`  stack:  Stack (${moto.cloudFormation.stackId})\n`);
    expect(await d.world.keyStatus('alice', old)).toBeUndefined();
  });
});

describe('export and credential-process: the current key for consumers', () => {
  test('GIVEN each format THEN the current key is written as the tool expects it', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const creds = (await d.world.credentials(d.arns.alice, 'AWSCURRENT'))!;
    const out = async (...args: string[]) => (await d.cli(['export', '--secret-id', d.arns.alice, ...args])).stdout;

    expect(await out('--format', 'env')).toBe(`export AWS_ACCESS_KEY_ID='${creds.accessKeyId}'\nexport AWS_SECRET_ACCESS_KEY='${creds.secretAccessKey}'\n`);
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
    ['no key named', [], /name the key with --user <name> or --secret-id <name or ARN>/],
  ])('GIVEN credential-process with %s THEN it is a usage error (exit 2)', async (_, args, message) => {
    const d = await deploy([{ name: 'alice' }]);
    const r = await d.cli(['credential-process', ...(args.length ? ['--secret-id', d.arns.alice] : []), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('export: every field checked against IAM\'s formats and quoted for its format, or refused', () => {
  /** A key of IAM's formats whose secret holds both of the alphabet's signs, as IAM's do. */
  const VALID = {
    userName: 'alice',
    accessKeyId: 'AKIAQ3EXAMPLE7KEY0ID',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    createdAt: '2026-03-01T09:00:00.000Z',
  };
  const putCurrent = (d: Deployed, value: unknown) => d.world.secretsManager.send(new PutSecretValueCommand({
    SecretId: d.arns.alice, SecretString: typeof value === 'string' ? value : JSON.stringify(value), VersionStages: ['AWSCURRENT'],
  }));
  const mark = path.join(mkdtempSync(path.join(tmpdir(), 'injected-')), 'ran');

  test.each([
    ['a command substitution in the secret', { secretAccessKey: `$(touch ${mark})` }, 'secretAccessKey'],
    ['backticks in the key id', { accessKeyId: `AKIA\`touch ${mark}\`` }, 'accessKeyId'],
    ['a line break and a credential_process line in the user name', { userName: `alice\ncredential_process = /bin/sh -c "touch ${mark}"` }, 'userName'],
    ['a profile header in the secret', { secretAccessKey: `x\n[profile evil]\ncredential_process = /bin/sh -c "touch ${mark}"` }, 'secretAccessKey'],
    ['a spreadsheet formula in the secret', { secretAccessKey: '=cmd|\' /C calc\'!A0' }, 'secretAccessKey'],
    ['a key id over IAM\'s 128 characters', { accessKeyId: `AKIA${'A'.repeat(125)}` }, 'accessKeyId'],
    ['a user name over IAM\'s 64 characters', { userName: 'a'.repeat(65) }, 'userName'],
    ['a secret of 41 characters', { secretAccessKey: `${VALID.secretAccessKey}A` }, 'secretAccessKey'],
    ['a creation time that is not one', { createdAt: 'yesterday; touch x' }, 'createdAt'],
    ['a user name that is not a string', { userName: ['alice'] }, 'userName'],
  ])('GIVEN %s THEN every format refuses it (exit 7) as not a key of this library, naming the field, and writes nothing', async (_, change, field) => {
    const d = await deploy([{ name: 'alice' }]);
    const value = { ...VALID, ...change };
    await putCurrent(d, value);
    const dir = mkdtempSync(path.join(tmpdir(), 'refused-'));
    const runs = [
      ['export', '--user', 'alice', '--format', 'env'],
      ['export', '--secret-id', d.arns.alice, '--format', 'credentials', '--out', path.join(dir, 'credentials')],
      ['export', '--secret-id', d.arns.alice, '--format', 'csv', '--out', path.join(dir, 'key.csv')],
      ['export', '--user', 'alice', '--format', 's3fs', '--out', path.join(dir, 'passwd-s3fs')],
      ['export', '--secret-id', d.arns.alice, '--format', 'legacy-key-file'],
      ['credential-process', '--secret-id', d.arns.alice],
    ];
    for (const args of runs) {
      const r = await d.cli(args);
      expect(r).toMatchObject({ code: 7, stdout: '' });
      expect(r.stderr).toMatch(new RegExp(`^error: the AWSCURRENT version of ${d.arns.alice}: field ${field} .*not a key of this library; nothing was written\\n$`));
      // The secret is never shown, whatever it holds; other fields are, escaped on one line.
      if (field === 'secretAccessKey') expect(r.stderr).not.toContain(value.secretAccessKey.slice(0, 6));
      else if (typeof (change as Record<string, unknown>)[field] === 'string') expect(r.stderr).toContain(JSON.stringify((change as Record<string, string>)[field]).slice(0, 20));
    }
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(mark)).toBe(false);
  });

  test('GIVEN a value that is not the schema\'s JSON THEN it is refused (exit 7), its text not shown', async () => {
    const d = await deploy([{ name: 'alice' }]);
    await putCurrent(d, `export AWS_SECRET_ACCESS_KEY=$(touch ${mark})`);
    const r = await d.cli(['export', '--secret-id', d.arns.alice, '--format', 'env']);
    expect(r).toMatchObject({ code: 7, stdout: '', stderr: `error: the AWSCURRENT version of ${d.arns.alice} is not JSON; the rotation expects the documented schema: not a key of this library; nothing was written\n` });
  });

  test('GIVEN --user, and a value naming another user THEN it is refused: the registration says whose key the secret holds', async () => {
    const d = await deploy([{ name: 'alice' }]);
    await putCurrent(d, { ...VALID, userName: 'mallory' });
    const r = await d.cli(['export', '--user', 'ALICE', '--format', 'env']);
    expect(r).toMatchObject({ code: 7, stdout: '', stderr: expect.stringContaining('field userName is "mallory", but the secret is registered for user alice: not a key of this library') });
    // With --secret-id alone only the value is read (what grantRead allows): its fields pass IAM's formats.
    expect((await d.cli(['export', '--secret-id', d.arns.alice, '--format', 'env'])).code).toBe(0);
  });

  test('GIVEN a profile name outside the documented set, given or defaulted from a user name IAM allows THEN it is refused before anything is written', async () => {
    const d = await deploy([{ name: 'alice' }, { name: 'ops,carol' }]);
    const dir = mkdtempSync(path.join(tmpdir(), 'profile-'));
    for (const name of ['evil]\n[default', 'a b', '__proto__', 'x=y', '-rf']) {
      const r = await d.cli(['export', '--user', 'alice', '--format', 'credentials', '--profile-name', name, '--out', path.join(dir, 'credentials')]);
      expect(r).toMatchObject({ code: 7, stdout: '', stderr: expect.stringContaining(`--profile-name ${JSON.stringify(name)} cannot name a credentials profile`) });
    }
    const carol = await d.cli(['export', '--user', 'ops,carol', '--format', 'credentials']);
    expect(carol).toMatchObject({ code: 7, stderr: expect.stringContaining('the user name "ops,carol" cannot name a credentials profile: it must be a letter or digit, then up to 63 letters, digits and _ . + @ -; choose one with --profile-name') });
    expect(readdirSync(dir)).toEqual([]);
    expect((await d.cli(['export', '--user', 'ops,carol', '--format', 'credentials', '--profile-name', 'ops-carol'])).stdout).toMatch(/^\[ops-carol\]\n/);
  });

  test('GIVEN a valid key THEN the env output, sourced by sh, yields exactly its values', async () => {
    const d = await deploy([{ name: 'alice' }]);
    await putCurrent(d, VALID);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'env-')), 'alice.env');
    expect((await d.cli(['export', '--user', 'alice', '--format', 'env', '--out', file])).code).toBe(0);
    const sourced = execFileSync('sh', ['-c', '. "$1" && printf "%s\\n%s" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"', 'sh', file], { encoding: 'utf8' });
    expect(sourced).toBe(`${VALID.accessKeyId}\n${VALID.secretAccessKey}`);
    expect(readFileSync(file, 'utf8')).toBe(`export AWS_ACCESS_KEY_ID='${VALID.accessKeyId}'\nexport AWS_SECRET_ACCESS_KEY='${VALID.secretAccessKey}'\n`);
  });

  test('GIVEN a valid key THEN the credentials file, read by the AWS SDK\'s own chain, signs as the user with exactly that key', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const creds = (await d.world.credentials(d.arns.alice, 'AWSCURRENT'))!;
    const dir = mkdtempSync(path.join(tmpdir(), 'credentials-'));
    const file = path.join(dir, 'credentials');
    expect((await d.cli(['export', '--user', 'alice', '--format', 'credentials', '--profile-name', 'backup.nightly', '--out', file])).code).toBe(0);
    // As a consumer's host reads it: the file and the profile only, no keys in the environment.
    const consumer: Record<string, string | undefined> = {
      AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined,
    };
    const saved = Object.fromEntries(Object.keys(consumer).map((k) => [k, process.env[k]]));
    const setEnv = (vars: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    };
    setEnv(consumer);
    const sts = new STSClient({ region: 'us-east-1', profile: 'backup.nightly' });
    try {
      const resolved = await sts.config.credentials();
      expect({ id: resolved.accessKeyId, secret: resolved.secretAccessKey }).toEqual({ id: creds.accessKeyId, secret: creds.secretAccessKey });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe('arn:aws:iam::123456789012:user/alice');
    } finally {
      sts.destroy();
      setEnv(saved);
    }
  });
});

describe('trust: a key a library secret serves is never turned off; the stacks the CLI trusts can be pinned', () => {
  /**
   * What anyone allowed to create a secret, a function and a stack can show an
   * operator: a secret with the library's description whose previous version
   * labels the victim's live key, rotated by a function whose environment
   * names a stack of its own, whose registry gives that secret to the victim.
   */
  async function lookAlike(d: Deployed, victim: string): Promise<{ secretArn: string; stackId: string; liveKey: string }> {
    const liveKey = (await d.world.stages(d.arns[victim])).AWSCURRENT!;
    const sm = d.world.secretsManager;
    const secretArn = await d.world.createSecret(`mirror/${victim}`, victim);
    const old = await sm.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{}', VersionStages: ['AWSCURRENT'] }));
    await sm.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{}', VersionStages: ['AWSCURRENT', 'AKIALOOKALIKE0000001'] }));
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: liveKey, MoveToVersionId: old.VersionId }));
    const { stackId, digest } = moto.cloudFormation.addStack('LookAlike', [registration(secretArn, d.world.userArn(victim))]);
    const fn = await d.world.createFunction('look-alike', { [Env.STACK_ID]: stackId, [Env.REGISTRY_RESOURCE]: FUNCTION_LOGICAL_ID, [Env.REGISTRY_DIGEST]: digest });
    await sm.send(new RotateSecretCommand({ SecretId: secretArn, RotationLambdaARN: fn, RotateImmediately: false }));
    return { secretArn, stackId, liveKey };
  }

  test('GIVEN a look-alike registry that shows alice\'s live key as the previous key of its secret WHEN deactivate or delete acts on it THEN it is refused (exit 7) naming her secret and AWSCURRENT, and the key stays active', async () => {
    const d = await deploy([{ name: 'alice' }]);
    const fake = await lookAlike(d, 'alice');
    // What the look-alike shows an operator: the live key as alice's previous key, in stack LookAlike.
    const shown = json((await d.cli(['status', '--secret-id', fake.secretArn, '--output', 'json'])).stdout).secrets[0];
    expect(shown).toMatchObject({ userName: 'alice', stack: fake.stackId, keys: [{ accessKeyId: fake.liveKey, status: 'Active', stage: 'previous' }] });

    const refusal = new RegExp(`^error: ${fake.liveKey} is AWSCURRENT of secret access-keys/alice-\\w{6}: a key a secret of this library serves is never `
      + `turned off by this CLI, whatever --force says; find which stack registers access-keys/alice-\\w{6} \\(status --secret-id ${d.arns.alice}\\) `
      + 'before touching this key; nothing was changed\\n$');
    for (const args of [['deactivate', '--yes'], ['deactivate', '--dry-run'], ['delete', '--key-id', fake.liveKey, '--force']]) {
      const r = await d.cli([args[0], '--secret-id', fake.secretArn, ...args.slice(1)], { input: `${fake.liveKey}\n` });
      expect(r).toMatchObject({ code: 7, stdout: '', stderr: expect.stringMatching(refusal) });
    }
    expect(await d.world.keyStatus('alice', fake.liveKey)).toBe('Active');
    expect((await moto.requests()).filter((q) => q.action === 'ListSecrets').length).toBeGreaterThanOrEqual(3);
  });

  test('GIVEN ListSecrets denied THEN the operator\'s own secret is still checked, and stderr says what could not be', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const { AWSCURRENT: current, AWSPREVIOUS: old } = await d.world.stages(d.arns.alice);
    proxy.faults.set('ListSecrets', { code: 'AccessDeniedException', message: 'not authorized to perform: secretsmanager:ListSecrets' });
    const r = await d.cli(['deactivate', '--secret-id', d.arns.alice, '--key-id', current!, '--yes']);
    expect(r).toMatchObject({ code: 7, stderr: expect.stringContaining(`${current} is AWSCURRENT of secret access-keys/alice-`) });
    expect(r.stderr).toMatch(/^warning: secretsmanager:ListSecrets was denied, so only secret access-keys\/alice-\w{6} was checked/);
    expect((await d.cli(['deactivate', '--secret-id', d.arns.alice, '--yes'])).code).toBe(0);
    expect(await d.world.keyStatus('alice', old!)).toBe('Inactive');
  });

  test('GIVEN ROTATING_ACCESS_KEYS_STACKS pins Stack THEN a secret registered through another stack, or --stack naming one, is refused (exit 7) naming that stack; the pinned stack serves as before', async () => {
    const d = await deploy([{ name: 'alice' }, { name: 'bob' }], 2);
    const fake = await lookAlike(d, 'alice');
    const pinned = { env: { ROTATING_ACCESS_KEYS_STACKS: 'Stack' } };
    const users = async (options: CliOptions = {}) => json((await d.cli(['status', '--output', 'json'], options)).stdout).secrets.map((s: any) => `${s.userName} ${s.stack}`);

    const real = moto.cloudFormation.stackId;
    expect(await users()).toEqual([`alice ${real}`, `alice ${fake.stackId}`, `bob ${real}`]);
    expect(await users(pinned)).toEqual(['alice Stack', 'bob Stack']);

    const r = await d.cli(['deactivate', '--secret-id', fake.secretArn, '--yes'], pinned);
    expect(r).toMatchObject({
      code: 7,
      stderr: `error: secret mirror/alice's rotation function names its stack: stack LookAlike (${fake.stackId}) is not one the CLI trusts: `
        + 'ROTATING_ACCESS_KEYS_STACKS pins Stack; nothing was changed\n',
    });
    expect(await d.cli(['status', '--stack', 'LookAlike'], pinned)).toMatchObject({
      code: 7, stdout: '', stderr: 'error: --stack LookAlike: stack LookAlike is not one the CLI trusts: ROTATING_ACCESS_KEYS_STACKS pins Stack; nothing was changed\n',
    });
    expect(await d.world.keyStatus('alice', fake.liveKey)).toBe('Active');

    // Pinned by id too; the pinned stack's registry finds alice (any case) and her old key.
    const byId = { env: { ROTATING_ACCESS_KEYS_STACKS: ` ${moto.cloudFormation.stackId} , Other` } };
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    expect((await d.cli(['deactivate', '--user', 'ALICE', '--dry-run'], byId)).stdout).toContain(`would deactivate alice's previous key ${old} (stack`);
    expect(await d.cli(['status'], { env: { ROTATING_ACCESS_KEYS_STACKS: 'Stack,not a stack' } })).toMatchObject({
      code: 2, stderr: expect.stringContaining('ROTATING_ACCESS_KEYS_STACKS must name stacks by name (a letter, then letters, digits and -) or id (its ARN), got \'not a stack\''),
    });
  });

  test('GIVEN a terminal WHEN deactivate asks THEN the question names the user, the secret and the stack in full; any answer but yes changes nothing', async () => {
    const d = await deploy([{ name: 'alice' }], 2);
    const old = (await d.world.stages(d.arns.alice)).AWSPREVIOUS!;
    const questions: string[] = [];
    const io: Io = { interactive: true, out: () => undefined, err: () => undefined, ask: async (q) => { questions.push(q); return 'n'; } };
    const aws = CliAws.connect({});
    const operator = new Operator(aws, new Locator(aws), io, d.h.clock.now);

    await expect(operator.deactivate({ user: 'alice' }, undefined, {})).rejects.toMatchObject({ exitCode: 7, message: 'not confirmed; nothing was changed' });
    expect(questions).toEqual([
      `deactivate alice's previous key ${old} (stack Stack, secret ${d.arns.alice.split(':secret:')[1]}); the lifecycle deletes it 14 days after its grace period ends, `
      + 'unless it is made active again.\n'
      + '  user:   arn:aws:iam::123456789012:user/alice\n'
      + `  secret: ${d.arns.alice}\n`
      + `  stack:  Stack (${moto.cloudFormation.stackId})\n`
      + 'Deactivate? [y/N] ',
    ]);
    expect(await d.world.keyStatus('alice', old)).toBe('Active');
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
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('export AWS_ACCESS_KEY_ID=\'AKIA') });
  });
});
