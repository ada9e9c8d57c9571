/**
 * `discover` (issue 15, "Discover and adopt") as it ships: the CLI's bundle
 * run as a process against moto, which serves IAM's credential report.
 * Accounts of 10 and 1,000 users with managed and unmanaged keys, built with
 * SDK calls; keys are stamped with chosen times by moto's settable IAM clock,
 * so ages, last uses and IAM.3 verdicts are exact. The 10-user account's
 * table, JSON and text are checked whole (key ids and secret suffixes named);
 * the 1,000-user account's counts and the calls discover makes. `--emit
 * typescript` prints an app that is type-checked against the library and
 * synthesized as printed; `--emit python` compiles (py_compile) and names the
 * construct's props as the TypeScript one does (the jsii Python package is not
 * built by the tests).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { DescribeSecretCommand, RotateSecretCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PromisePool } from '@supercharge/promise-pool';
import * as ts from 'typescript';
import * as library from '../../src';
import { globPattern, holders, joinKeys, pathOf, readCredentialReport } from '../../src/cli/discover';
import { literal } from '../../src/cli/emit';
import { buildBundle } from '../support/bundle';
import { runCli } from '../support/cli';
import { MotoServer } from '../support/moto';
import { DAY, World } from '../support/world';

/** The CLI's now; keys are created and used at times counted back from it. */
const ROOT = path.join(__dirname, '..', '..');
/** ListSecrets pages for the 100 managed secrets (Secrets Manager pages by 100). */
const CALLS_LIST_SECRETS = 1;
const NOW = new Date('2026-06-01T12:00:00.000Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * DAY);

let moto: MotoServer;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start({ clock: true });
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { ROTATING_ACCESS_KEYS_NOW: NOW.toISOString(), ...env } });

/** A key made by hand at `createdDaysAgo`, used (an STS call signed with it) at `usedDaysAgo` if given. */
async function handMadeKey(world: World, userName: string, createdDaysAgo: number, usedDaysAgo?: number) {
  moto.setClock(daysAgo(createdDaysAgo));
  const key = await world.createForeignKey(userName);
  if (usedDaysAgo !== undefined) {
    moto.setClock(daysAgo(usedDaysAgo));
    await new STSClient({ credentials: key, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
  }
  return key;
}

/** A secret as a deployed stack leaves it: registered, its rotation set up with the function (no rotation started). */
async function managedSecret(world: World, userName: string): Promise<string> {
  const arn = await world.createManagedSecret(userName);
  await world.secretsManager.send(new RotateSecretCommand({
    SecretId: arn, RotationLambdaARN: await world.rotationFunctionArn(), RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediately: false,
  }));
  return arn;
}

/** The 10 users: who has which keys, and which are managed. Key ids by `<user>-<n>`, in the order each user's keys were made. */
async function tenUsers(): Promise<{ ids: Map<string, string>; secrets: Map<string, string> }> {
  const world = new World();
  const ids = new Map<string, string>();
  const secrets = new Map<string, string>();
  const made = async (user: string, n: number, key: Promise<{ accessKeyId: string; secretAccessKey: string }>) => {
    const k = await key;
    ids.set(`${user}-${n}`, k.accessKeyId);
    return k;
  };
  for (const [name, p] of [['alice', '/service/'], ['bob'], ['carol'], ['dave', '/ops/'], ['erin'], ['frank'], ['grace', '/ops/'],
    ['heidi'], ['ivan,jr'], ['judy']] as [string, string?][]) {
    await world.createUser(name, p);
  }
  // alice: a managed key (AWSCURRENT of her secret).
  secrets.set('alice', await managedSecret(world, 'alice'));
  await world.serve(secrets.get('alice')!, await made('alice', 1, handMadeKey(world, 'alice', 10, 2)));
  // bob: one hand-made key, 120 days old, in use: fails IAM.3.
  await made('bob', 1, handMadeKey(world, 'bob', 120, 1));
  // carol: an inactive old key and an active young one.
  await made('carol', 1, handMadeKey(world, 'carol', 200));
  await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'carol', AccessKeyId: ids.get('carol-1'), Status: 'Inactive' }));
  await made('carol', 2, handMadeKey(world, 'carol', 30, 30));
  // dave: 95 days, never used.
  await made('dave', 1, handMadeKey(world, 'dave', 95));
  // erin: managed, a current key and a previous one.
  secrets.set('erin', await managedSecret(world, 'erin'));
  await world.serve(secrets.get('erin')!, await made('erin', 1, handMadeKey(world, 'erin', 40, 35)));
  await world.serve(secrets.get('erin')!, await made('erin', 2, handMadeKey(world, 'erin', 5, 1)));
  // Secrets Manager keeps a version's other labels when AWSCURRENT moves on; moto drops them: put the old key's label back.
  const versions = (await world.secretsManager.send(new DescribeSecretCommand({ SecretId: secrets.get('erin') }))).VersionIdsToStages!;
  await world.secretsManager.send(new UpdateSecretVersionStageCommand({
    SecretId: secrets.get('erin'), VersionStage: ids.get('erin-1'), MoveToVersionId: Object.keys(versions).find((v) => versions[v].includes('AWSPREVIOUS')),
  }));
  // frank, judy: no keys. grace: two active hand-made keys.
  await made('grace', 1, handMadeKey(world, 'grace', 60));
  await made('grace', 2, handMadeKey(world, 'grace', 3));
  // heidi: registered (a secret with no key yet), with a hand-made key.
  secrets.set('heidi', await managedSecret(world, 'heidi'));
  await made('heidi', 1, handMadeKey(world, 'heidi', 15));
  // ivan,jr: IAM allows commas in names.
  await made('ivan,jr', 1, handMadeKey(world, 'ivan,jr', 91, 91));
  await world.deployFunction();
  moto.setClock(NOW);
  return { ids, secrets };
}

/** The output with each key id named `<user>-<n>` (padded with dots to an id's 20 characters, so tables keep their shape) and each secret name's random suffix as `-XXXXXX`. */
function named(out: string, ids: Map<string, string>, secrets: Map<string, string>): string {
  let text = out;
  for (const [name, id] of ids) text = text.split(id).join(name.padEnd(id.length, '.'));
  for (const arn of secrets.values()) text = text.split(arn.split(':secret:')[1]).join(`${arn.split(':secret:')[1].slice(0, -7)}-XXXXXX`);
  return text.replace(/stack\/Stack\/[-0-9a-f]+/g, 'stack/Stack/ID');
}

/** `discover --output text` of the 10 users: the AWS CLI's text layout of the JSON. */
const TEXT = `\
2026-06-01T12:00:00.000Z\t2015-02-02T20:02:02.000Z\t1
SUMMARY\t11\t3\t8\t8\t3
USERS\tPASSED\t/service/\tarn:aws:iam::123456789012:user/service/alice\talice
KEYS\talice-1.............\t10\t2026-05-22T12:00:00.000Z\tPASSED\tActive
LASTUSED\t2026-05-30T12:00:00.000Z
MANAGEDBY\tarn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/alice-XXXXXX\tarn:aws:cloudformation:us-east-1:123456789012:stack/Stack/ID\tcurrent
REGISTEREDBY\tarn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/alice-XXXXXX\tarn:aws:cloudformation:us-east-1:123456789012:stack/Stack/ID
USERS\tFAILED\t/\tarn:aws:iam::123456789012:user/bob\tbob
KEYS\tbob-1...............\t120\t2026-02-01T12:00:00.000Z\tFAILED\tNone\tActive
LASTUSED\t2026-05-31T12:00:00.000Z
USERS\tPASSED\t/\tarn:aws:iam::123456789012:user/carol\tcarol
KEYS\tcarol-1.............\t200\t2025-11-13T12:00:00.000Z\tNOT_APPLICABLE\tNone\tInactive
LASTUSED\tTrue
KEYS\tcarol-2.............\t30\t2026-05-02T12:00:00.000Z\tPASSED\tNone\tActive
LASTUSED\t2026-05-02T12:00:00.000Z
USERS\tFAILED\t/ops/\tarn:aws:iam::123456789012:user/ops/dave\tdave
KEYS\tdave-1..............\t95\t2026-02-26T12:00:00.000Z\tFAILED\tNone\tActive
LASTUSED\tTrue
USERS\tPASSED\t/\tarn:aws:iam::123456789012:user/erin\terin
KEYS\terin-1..............\t40\t2026-04-22T12:00:00.000Z\tPASSED\tActive
LASTUSED\t2026-04-27T12:00:00.000Z
MANAGEDBY\tarn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/erin-XXXXXX\tarn:aws:cloudformation:us-east-1:123456789012:stack/Stack/ID\tprevious
KEYS\terin-2..............\t5\t2026-05-27T12:00:00.000Z\tPASSED\tActive
LASTUSED\t2026-05-31T12:00:00.000Z
MANAGEDBY\tarn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/erin-XXXXXX\tarn:aws:cloudformation:us-east-1:123456789012:stack/Stack/ID\tcurrent
REGISTEREDBY\tarn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/erin-XXXXXX\tarn:aws:cloudformation:us-east-1:123456789012:stack/Stack/ID
USERS\tPASSED\t/ops/\tarn:aws:iam::123456789012:user/ops/grace\tgrace
KEYS\tgrace-1.............\t60\t2026-04-02T12:00:00.000Z\tPASSED\tNone\tActive
LASTUSED\tTrue
KEYS\tgrace-2.............\t3\t2026-05-29T12:00:00.000Z\tPASSED\tNone\tActive
LASTUSED\tTrue
USERS\tPASSED\t/\tarn:aws:iam::123456789012:user/heidi\theidi
KEYS\theidi-1.............\t15\t2026-05-17T12:00:00.000Z\tPASSED\tNone\tActive
LASTUSED\tTrue
REGISTEREDBY\tarn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/heidi-XXXXXX\tarn:aws:cloudformation:us-east-1:123456789012:stack/Stack/ID
USERS\tFAILED\t/\tarn:aws:iam::123456789012:user/ivan,jr\tivan,jr
KEYS\tivan,jr-1...........\t91\t2026-03-02T12:00:00.000Z\tFAILED\tNone\tActive
LASTUSED\t2026-03-02T12:00:00.000Z
`;

/** `discover --emit typescript` of the 10 users (key ids named). */
const EMITTED_TS = `\
// Adopts the hand-made access keys of 5 IAM users (cdk-rotating-access-keys discover, 2026-06-01 12:00 UTC).
// Deploying it changes no key: each registration starts in mode OBSERVE, whose daily events say what a rotation would do
// (docs/OBSERVE.md). Switched to ENFORCE, each user's active key becomes the previous key at its first rotation (on the
// schedule, or \`cdk-rotating-access-keys rotate --user <name>\`), and is deactivated after the grace period: move its consumers to the secret by then.
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ForeignKeyPolicy, RotatingAccessKey, RotationMode } from 'cdk-rotating-access-keys';

const app = new App();
const stack = new Stack(app, 'AdoptedAccessKeys');

// bob-1............... (active, 120 d) becomes the previous key at the first rotation
new RotatingAccessKey(stack, 'AccessKey-bob', {
  user: iam.User.fromUserArn(stack, 'User-bob', 'arn:aws:iam::123456789012:user/bob'),
  foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
  rotateOnDeploy: false,
  mode: RotationMode.OBSERVE,
  secretName: 'access-keys/bob',
});

// carol-2............. (active, 30 d) becomes the previous key at the first rotation; carol-1............. (inactive) is deleted at the first rotation
new RotatingAccessKey(stack, 'AccessKey-carol', {
  user: iam.User.fromUserArn(stack, 'User-carol', 'arn:aws:iam::123456789012:user/carol'),
  foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
  rotateOnDeploy: false,
  mode: RotationMode.OBSERVE,
  secretName: 'access-keys/carol',
});

// dave-1.............. (active, 95 d) becomes the previous key at the first rotation
new RotatingAccessKey(stack, 'AccessKey-dave', {
  user: iam.User.fromUserArn(stack, 'User-dave', 'arn:aws:iam::123456789012:user/ops/dave'),
  foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
  rotateOnDeploy: false,
  mode: RotationMode.OBSERVE,
  secretName: 'access-keys/dave',
});

// two active keys (grace-1............. and grace-2.............): deactivate the one to drop before the first rotation, which refuses to choose
new RotatingAccessKey(stack, 'AccessKey-grace', {
  user: iam.User.fromUserArn(stack, 'User-grace', 'arn:aws:iam::123456789012:user/ops/grace'),
  foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
  rotateOnDeploy: false,
  mode: RotationMode.OBSERVE,
  secretName: 'access-keys/grace',
});

// ivan,jr-1........... (active, 91 d) becomes the previous key at the first rotation
new RotatingAccessKey(stack, 'AccessKey-ivan,jr', {
  user: iam.User.fromUserArn(stack, 'User-ivan,jr', 'arn:aws:iam::123456789012:user/ivan,jr'),
  foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
  rotateOnDeploy: false,
  mode: RotationMode.OBSERVE,
  secretName: 'access-keys/ivan_jr',
});

app.synth();
`;

describe('discover in an account of 10 users', () => {
  test('GIVEN managed, unmanaged, inactive, old and never-used keys WHEN discover prints its table THEN every key is listed exactly', async () => {
    const { ids, secrets } = await tenUsers();
    await moto.restartRecording();
    const r = await cli(['discover']);
    expect(r.stderr).toBe('');
    // The calls (IAM and Secrets Manager): one report, one ListAccessKeys per user with keys (8 of 10), one page of secrets.
    const calls: Record<string, number> = {};
    for (const c of await moto.requests({ queryProtocol: true })) calls[c.action] = (calls[c.action] ?? 0) + 1;
    expect(calls).toEqual({ GenerateCredentialReport: 2, GetCredentialReport: 1, ListAccessKeys: 8, ListSecrets: 1 });
    expect(r.code).toBe(0);
    expect(named(r.stdout, ids, secrets)).toBe(`\
┌─────────┬──────────────────────┬──────────┬───────┬──────────────────┬────────┬───────────────────────────────────────────────────────────────────────┐
│ USER    │ KEY                  │ STATUS   │ AGE   │ LAST USED        │ IAM.3  │ MANAGED BY                                                            │
├─────────┼──────────────────────┼──────────┼───────┼──────────────────┼────────┼───────────────────────────────────────────────────────────────────────┤
│ alice   │ alice-1............. │ Active   │ 10 d  │ 2026-05-30 12:00 │ PASSED │ Stack / access-keys/alice-XXXXXX                                      │
│ bob     │ bob-1............... │ Active   │ 120 d │ 2026-05-31 12:00 │ FAILED │ unmanaged                                                             │
│ carol   │ carol-1............. │ Inactive │ 200 d │ never            │ -      │ unmanaged                                                             │
│         │ carol-2............. │ Active   │ 30 d  │ 2026-05-02 12:00 │ PASSED │ unmanaged                                                             │
│ dave    │ dave-1.............. │ Active   │ 95 d  │ never            │ FAILED │ unmanaged                                                             │
│ erin    │ erin-1.............. │ Active   │ 40 d  │ 2026-04-27 12:00 │ PASSED │ Stack / access-keys/erin-XXXXXX (previous)                            │
│         │ erin-2.............. │ Active   │ 5 d   │ 2026-05-31 12:00 │ PASSED │ Stack / access-keys/erin-XXXXXX                                       │
│ grace   │ grace-1............. │ Active   │ 60 d  │ never            │ PASSED │ unmanaged                                                             │
│         │ grace-2............. │ Active   │ 3 d   │ never            │ PASSED │ unmanaged                                                             │
│ heidi   │ heidi-1............. │ Active   │ 15 d  │ never            │ PASSED │ unmanaged; the user is registered by Stack / access-keys/heidi-XXXXXX │
│ ivan,jr │ ivan,jr-1........... │ Active   │ 91 d  │ 2026-03-02 12:00 │ FAILED │ unmanaged                                                             │
└─────────┴──────────────────────┴──────────┴───────┴──────────────────┴────────┴───────────────────────────────────────────────────────────────────────┘
8 users with keys, 11 keys: 3 managed, 8 unmanaged; 3 users failing IAM.3 (an active key older than 90 days); at 2026-06-01 12:00 UTC
`);

    // On a terminal of 100 columns the manager and last-use columns wrap; ids and names stay whole.
    const narrow = await cli(['discover'], { COLUMNS: '100' });
    expect(narrow.stdout.split('\n').map((l) => l.length).filter((n) => n > 100)).toEqual([]);
    expect(named(narrow.stdout, ids, secrets)).toContain('│ heidi   │ heidi-1............. │ Active   │ 15 d  │ never ');
  });

  test('GIVEN the same account WHEN discover prints JSON and text THEN they hold the same facts, exactly', async () => {
    const { ids, secrets } = await tenUsers();
    const stack = 'arn:aws:cloudformation:us-east-1:123456789012:stack/Stack/ID';
    const secret = (user: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/${user}-XXXXXX`;
    const arn = (user: string, p = '/') => `arn:aws:iam::123456789012:user${p}${user}`;
    const key = (id: string, status: string, days: number, usedDays: number | undefined, iam3: string, managedBy: object | null = null) => ({
      accessKeyId: id.padEnd(20, '.'),
      status,
      createdAt: daysAgo(days).toISOString(),
      ageDays: days,
      lastUsed: usedDays === undefined ? { never: true } : { at: daysAgo(usedDays).toISOString() },
      iam3,
      managedBy,
    });
    const user = (userName: string, p: string, iam3: string, keys: object[], registered = false) => ({
      userName, userArn: arn(userName, p), path: p, iam3, registeredBy: registered ? [{ stack, secretArn: secret(userName) }] : [], keys,
    });

    const r = await cli(['discover', '--output', 'json']);

    expect(r.code).toBe(0);
    expect(JSON.parse(named(r.stdout, ids, secrets))).toEqual({
      schemaVersion: 1,
      generatedAt: NOW.toISOString(),
      // moto's report is always dated 2015-02-02 (IAM's is the time it was generated).
      reportGeneratedAt: '2015-02-02T20:02:02.000Z',
      users: [
        user('alice', '/service/', 'PASSED', [key('alice-1', 'Active', 10, 2, 'PASSED', { stack, secretArn: secret('alice'), stage: 'current' })], true),
        user('bob', '/', 'FAILED', [key('bob-1', 'Active', 120, 1, 'FAILED')]),
        user('carol', '/', 'PASSED', [key('carol-1', 'Inactive', 200, undefined, 'NOT_APPLICABLE'), key('carol-2', 'Active', 30, 30, 'PASSED')]),
        user('dave', '/ops/', 'FAILED', [key('dave-1', 'Active', 95, undefined, 'FAILED')]),
        user('erin', '/', 'PASSED', [
          key('erin-1', 'Active', 40, 35, 'PASSED', { stack, secretArn: secret('erin'), stage: 'previous' }),
          key('erin-2', 'Active', 5, 1, 'PASSED', { stack, secretArn: secret('erin'), stage: 'current' }),
        ], true),
        user('grace', '/ops/', 'PASSED', [key('grace-1', 'Active', 60, undefined, 'PASSED'), key('grace-2', 'Active', 3, undefined, 'PASSED')]),
        user('heidi', '/', 'PASSED', [key('heidi-1', 'Active', 15, undefined, 'PASSED')], true),
        user('ivan,jr', '/', 'FAILED', [key('ivan,jr-1', 'Active', 91, 91, 'FAILED')]),
      ],
      summary: { users: 8, keys: 11, managedKeys: 3, unmanagedKeys: 8, usersFailingIam3: 3 },
    });

    const text = await cli(['discover', '--output', 'text']);
    expect(named(text.stdout, ids, secrets)).toBe(TEXT);

    // --query selects from the same JSON, as the AWS CLI's does.
    const failing = await cli(['discover', '--query', 'users[?iam3==`FAILED`].userName', '--output', 'text']);
    expect(failing.stdout).toBe('bob\tdave\tivan,jr\n');
    // As docs/CLI.md shows it.
    const old = await cli(['discover', '--older-than', '90', '--output', 'text', '--query', 'users[].[userName, keys[0].ageDays, keys[0].managedBy]']);
    expect(old.stdout).toBe('bob\t120\tNone\ndave\t95\tNone\nivan,jr\t91\tNone\n');
  });

  test('GIVEN --path-prefix, --name and --older-than WHEN discover runs THEN only the users that pass all of them are listed, and only their keys are read', async () => {
    await tenUsers();
    const users = async (...args: string[]) => {
      const r = await cli(['discover', '--output', 'json', ...args]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).users.map((u: { userName: string }) => u.userName);
    };
    expect(await users('--path-prefix', '/ops/')).toEqual(['dave', 'grace']);
    expect(await users('--name', '*R*')).toEqual(['carol', 'erin', 'grace', 'ivan,jr']);
    expect(await users('--older-than', '90')).toEqual(['bob', 'dave', 'ivan,jr']);
    expect(await users('--older-than', '50', '--path-prefix', '/ops/', '--name', 'g?ace')).toEqual(['grace']);
    await moto.restartRecording();
    expect(await users('--name', 'bob')).toEqual(['bob']);
    expect((await moto.requests({ queryProtocol: true })).filter((c) => c.action === 'ListAccessKeys').map((c) => c.body.UserName)).toEqual(['bob']);

    expect(await cli(['discover', '--older-than', 'ninety'])).toMatchObject({ code: 2, stderr: "error: --older-than must be a whole number of days, got 'ninety'\n" });
    expect(await cli(['discover', '--path-prefix', 'ops'])).toMatchObject({ code: 2 });
  });
});

describe('discover with pinned stacks', () => {
  test('GIVEN ROTATING_ACCESS_KEYS_STACKS pins a stack that does not exist WHEN discover runs THEN every user is still listed, keys held by '
    + 'library secrets say no registry read registers them, and the unreadable registry is reported (exit 3)', async () => {
    const { ids, secrets } = await tenUsers();
    const r = await cli(['discover', '--name', 'erin'], { ROTATING_ACCESS_KEYS_STACKS: 'Other' });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error: no stack Other\n');
    expect(named(r.stdout, ids, secrets)).toContain('│ erin │ erin-1.............. │ Active │ 40 d │ 2026-04-27 12:00 │ PASSED │ held by secret access-keys/erin-XXXXXX (previous); '
      + 'no registry read registers it │');
    const json = JSON.parse((await cli(['discover', '--name', 'erin', '--output', 'json'], { ROTATING_ACCESS_KEYS_STACKS: 'Other' })).stdout);
    expect(json.users[0].registeredBy).toEqual([]);
    expect(json.users[0].keys[1].managedBy).toEqual({ secretArn: secrets.get('erin'), stage: 'current' });
  });
});

describe('discover in an account of 1,000 users', () => {
  test('GIVEN 1,000 users, 600 with a key (100 managed, 300 older than 90 days) WHEN discover runs THEN it counts them exactly, in a bounded number of calls, and --emit adopts the 500 in three stacks that synthesize', async () => {
    const world = new World();
    const users = Array.from({ length: 1000 }, (_, i) => ({ name: `user-${String(i).padStart(4, '0')}`, path: i % 10 === 5 ? '/batch/' : undefined, i }));
    const withKey = users.filter((u) => u.i % 5 < 3);
    const pool = () => PromisePool.withConcurrency(16).handleError((e) => { throw e; });
    await pool().for(users).process((u) => world.createUser(u.name, u.path));
    // Keys of the first 500 users made 100 days ago (IAM.3 fails), the others 10 days ago: moto's clock is the account's.
    const keys = new Map<string, { accessKeyId: string; secretAccessKey: string }>();
    for (const [from, to, days] of [[0, 500, 100], [500, 1000, 10]]) {
      moto.setClock(daysAgo(days));
      await pool().for(withKey.filter((u) => u.i >= from && u.i < to)).process(async (u) => {
        keys.set(u.name, await world.createForeignKey(u.name));
      });
    }
    moto.setClock(NOW);
    await world.rotationFunctionArn();
    await pool().for(withKey.filter((u) => u.i % 10 === 0)).process(async (u) => world.serve(await managedSecret(world, u.name), keys.get(u.name)!));
    await world.deployFunction();

    await moto.restartRecording();
    const r = await cli(['discover', '--output', 'json']);

    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toEqual({ users: 600, keys: 600, managedKeys: 100, unmanagedKeys: 500, usersFailingIam3: 300 });
    expect(report.users.map((u: { userName: string }) => u.userName)).toEqual(withKey.map((u) => u.name));
    expect(report.users.filter((u: any) => u.keys[0].managedBy?.secretArn.includes(`access-keys/${u.userName}-`))).toHaveLength(100);
    expect(report.users.filter((u: any) => u.path === '/batch/')).toHaveLength(100);
    // The calls: one report (IAM answers STARTED to the first GenerateCredentialReport), one ListAccessKeys per user with keys, one page of secrets.
    const calls: Record<string, number> = {};
    for (const c of await moto.requests({ queryProtocol: true })) calls[c.action] = (calls[c.action] ?? 0) + 1;
    expect(calls).toEqual({ GenerateCredentialReport: 2, GetCredentialReport: 1, ListAccessKeys: 600, ListSecrets: CALLS_LIST_SECRETS });

    const emitted = await cli(['discover', '--emit', 'typescript']);
    expect(emitted.code).toBe(0);
    expect(emitted.stderr).toBe('500 users to adopt; 100 listed users are left out (managed, registered, or with a key a secret of this library holds)\n');
    expect(props(emitted.stdout, /new Stack\(app, '([^']*)'\)/g)).toEqual(['AdoptedAccessKeys1', 'AdoptedAccessKeys2', 'AdoptedAccessKeys3']);
    const resources = ['AdoptedAccessKeys1', 'AdoptedAccessKeys3'].map((stack) => Object.keys(synthesize(emitted.stdout, stack).Resources).length);
    expect(resources[0]).toBeLessThan(500);
    expect(emitted.stdout.match(/new RotatingAccessKey\(/g)).toHaveLength(500);
  });
});

describe('pure parts', () => {
  test('GIVEN a credential report with a comma in a name and N/A slots WHEN read THEN names, ARNs and slots are whole', () => {
    const header = 'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,'
      + 'access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,'
      + 'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,'
      + 'cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
    const users = readCredentialReport([
      header,
      'a,b,arn:aws:iam::1:user/ops/a,b,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,'
        + 'true,2026-01-01T00:00:00+00:00,2026-02-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      'root-free,arn:aws:iam::1:user/root-free,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
    ].join('\n'));
    expect(users).toEqual([
      {
        userName: 'a,b',
        userArn: 'arn:aws:iam::1:user/ops/a,b',
        keys: [{
          active: true,
          rotatedAt: new Date('2026-01-01T00:00:00Z'),
          lastUsedAt: new Date('2026-02-01T00:00:00Z'),
          lastUsedRegion: 'us-east-1',
          lastUsedService: 's3',
        }],
      },
      { userName: 'root-free', userArn: 'arn:aws:iam::1:user/root-free', keys: [] },
    ]);
    expect(pathOf('arn:aws:iam::1:user/ops/ci/a,b')).toBe('/ops/ci/');
    expect(pathOf('arn:aws:iam::1:user/a')).toBe('/');
  });

  test('GIVEN two keys listed in another order than the report\'s slots WHEN joined THEN each id gets the slot created in the same second', () => {
    const at = (iso: string) => new Date(iso);
    const user = {
      userName: 'a',
      userArn: 'arn:aws:iam::1:user/a',
      keys: [
        { active: false, rotatedAt: at('2026-01-01T00:00:00Z') },
        { active: true, rotatedAt: at('2026-03-01T00:00:00Z'), lastUsedAt: at('2026-03-02T00:00:00Z') },
      ],
    };
    const joined = joinKeys(user, [
      { accessKeyId: 'AKIANEW', status: 'Active', createdAt: at('2026-03-01T00:00:00.400Z') },
      { accessKeyId: 'AKIAOLD', status: 'Inactive', createdAt: at('2026-01-01T00:00:00Z') },
    ]);
    expect(joined.map((j) => [j.key?.accessKeyId, j.slot.active, j.slot.lastUsedAt?.toISOString()])).toEqual([
      ['AKIAOLD', false, undefined],
      ['AKIANEW', true, '2026-03-02T00:00:00.000Z'],
    ]);
    // Without ids (the user was deleted meanwhile), the report's slots as they are.
    expect(joinKeys(user, undefined).map((j) => j.key)).toEqual([undefined, undefined]);
  });

  test('GIVEN a key labelled by two secrets WHEN holders are read THEN the stage nearest to current wins', () => {
    const found = holders([
      { arn: 'arn:1', versions: { v1: ['AKIAKEY1AAAAAAAAAAAA', 'AWSPREVIOUS'], v2: ['AKIAKEY2AAAAAAAAAAAA', 'AWSCURRENT'] } },
      { arn: 'arn:2', versions: { v3: ['AKIAKEY1AAAAAAAAAAAA', 'AWSCURRENT'], v4: ['AKIAKEY3AAAAAAAAAAAA'] } },
    ]);
    expect(Object.fromEntries(found)).toEqual({
      AKIAKEY1AAAAAAAAAAAA: { secretArn: 'arn:2', stage: 'current' },
      AKIAKEY2AAAAAAAAAAAA: { secretArn: 'arn:1', stage: 'current' },
      AKIAKEY3AAAAAAAAAAAA: { secretArn: 'arn:2', stage: 'older' },
    });
  });

  test('GIVEN globs and odd names WHEN matched or quoted THEN * and ? are the only wildcards and literals escape', () => {
    expect(globPattern('svc-*').test('SVC-backup')).toBe(true);
    expect(globPattern('a.b').test('axb')).toBe(false);
    expect(globPattern('a?c').test('abc')).toBe(true);
    expect(literal("it's \\ é")).toBe("'it\\'s \\\\ \\u00e9'");
  });
});


/** The library's compiler options (jsii-rosetta's, as test/docs/code-blocks.test.ts uses), its package name mapped to its source. */
const COMPILER: ts.CompilerOptions = {
  strict: true,
  noImplicitAny: true,
  noUnusedLocals: true,
  lib: ['lib.es2022.d.ts'],
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
  paths: { 'cdk-rotating-access-keys': [path.join(ROOT, 'src', 'index.ts')] },
};

/** The type errors of a TypeScript app, compiled as a file of the repository against the library's source. */
function typeErrors(source: string): string[] {
  const file = path.join(ROOT, 'test', 'cli', '.emitted-app.ts');
  const host = ts.createCompilerHost(COMPILER, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    (path.resolve(name) === file ? ts.createSourceFile(name, source, version, true) : getSourceFile(name, version, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], COMPILER, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

/** Runs a TypeScript app as printed (transpiled, `cdk-rotating-access-keys` the library's source) and returns its stack's template. */
function synthesize(source: string, stackName: string): { Resources: Record<string, { Type: string; Properties?: any; Metadata?: any }> } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'emitted-app-'));
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (id: string) => (id === 'cdk-rotating-access-keys' ? require('../../src') : require(id));
  const before = process.env.CDK_OUTDIR;
  process.env.CDK_OUTDIR = outdir;
  try {
    const module = { exports: {} };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('require', 'module', 'exports', js)(load, module, module.exports);
    return JSON.parse(readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8'));
  } finally {
    if (before === undefined) delete process.env.CDK_OUTDIR;
    else process.env.CDK_OUTDIR = before;
    rmSync(outdir, { recursive: true, force: true });
  }
}

const camelToSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('discover --emit', () => {
  test('GIVEN the 10 users WHEN discover --emit typescript runs THEN it prints an app adopting the unmanaged users only, which type-checks and synthesizes as printed', async () => {
    const { ids, secrets } = await tenUsers();

    const r = await cli(['discover', '--emit', 'typescript']);

    expect(r.code).toBe(0);
    expect(r.stderr).toBe('5 users to adopt; 3 listed users are left out (managed, registered, or with a key a secret of this library holds)\n');
    expect(named(r.stdout, ids, secrets)).toBe(EMITTED_TS);
    expect(typeErrors(r.stdout)).toEqual([]);
    const template = synthesize(r.stdout, 'AdoptedAccessKeys');
    const secretsMade = Object.values(template.Resources).filter((x) => x.Type === 'AWS::SecretsManager::Secret');
    expect(secretsMade.map((x) => x.Properties.Name).sort()).toEqual(['access-keys/bob', 'access-keys/carol', 'access-keys/dave', 'access-keys/grace', 'access-keys/ivan_jr']);
    // The registry the rotation function reads: each user by ARN, ADOPT, no rotation at deploy.
    const registry = JSON.stringify(template);
    for (const user of ['bob', 'carol', 'ops/dave', 'ops/grace', 'ivan,jr']) expect(registry).toContain(`arn:aws:iam::123456789012:user/${user}`);
    expect(registry).toContain('ADOPT');
    expect(registry).not.toContain('"FAIL"');
  });

  test('GIVEN the 10 users WHEN discover --emit python runs THEN the same app in Python compiles and names the props the TypeScript one does', async () => {
    await tenUsers();
    const [typescript, python] = await Promise.all([cli(['discover', '--emit', 'typescript']), cli(['discover', '--emit', 'python'])]);

    expect(python.code).toBe(0);
    const dir = mkdtempSync(path.join(tmpdir(), 'emitted-py-'));
    try {
      writeFileSync(path.join(dir, 'app.py'), python.stdout);
      execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'py_compile', path.join(dir, 'app.py')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // jsii's Python names: props and static methods in snake_case, the same constructs, ids and literals.
    expect(props(python.stdout, /^ {4}(\w+)=/gm)).toEqual(props(typescript.stdout, /^ {2}(\w+):/gm).map(camelToSnake));
    expect(props(python.stdout, /iam\.User\.(\w+)\(/g)).toEqual(props(typescript.stdout, /iam\.User\.(\w+)\(/g).map(camelToSnake));
    const code = (source: string) => source.split('\n').filter((l) => !/^(#|\/\/)/.test(l)).join('\n');
    expect(props(code(python.stdout), /'([^']*)'/g)).toEqual(props(code(typescript.stdout), /'([^']*)'/g).filter((x) => !/^(aws-cdk-lib|cdk-rotating-access-keys)/.test(x)));
    expect(Object.keys(library)).toEqual(expect.arrayContaining(['RotatingAccessKey', 'ForeignKeyPolicy']));
  });

  test('GIVEN users whose names differ by a comma WHEN emitted THEN construct ids and secret names stay unique', async () => {
    const world = new World();
    for (const name of ['a,b', 'a_b', 'A.b']) {
      await world.createUser(name);
      await handMadeKey(world, name, 1);
    }
    moto.setClock(NOW);
    const r = await cli(['discover', '--emit', 'typescript']);
    expect(props(r.stdout, /secretName: '([^']*)'/g)).toEqual(['access-keys/A.b', 'access-keys/a_b', 'access-keys/a_b-2']);
    expect(typeErrors(r.stdout)).toEqual([]);
    expect(Object.values(synthesize(r.stdout, 'AdoptedAccessKeys').Resources).filter((x) => x.Type === 'AWS::SecretsManager::Secret')).toHaveLength(3);
  });

  test('GIVEN filters that leave no unmanaged user WHEN --emit runs THEN nothing is printed and it exits 3', async () => {
    await tenUsers();
    expect(await cli(['discover', '--emit', 'typescript', '--name', 'alice'])).toEqual({
      code: 3, stdout: '', stderr: 'error: no unmanaged user with keys matches the filters: nothing to adopt\n',
    });
    expect(await cli(['discover', '--emit', 'typescript', '--query', 'users'])).toMatchObject({ code: 2 });
  });
});

function props(source: string, pattern: RegExp): string[] {
  return [...source.matchAll(pattern)].map((m) => m[1]);
}
