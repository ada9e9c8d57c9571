/**
 * The demo: a year of the example app's keys in about a minute.
 *
 * It synthesizes examples/ with the real `cdk` CLI (offline), creates what the
 * template declares in moto's server with SDK calls (the backup-server user it
 * creates; the legacy-ci user it imports, which already has a hand-made key),
 * deploys the template's registry into the CloudFormation stand-in, and then
 * drives 365 simulated days through the rotation function's code (the
 * Rotator its Lambda handler wraps, talking to moto over HTTP with the AWS
 * SDK, the clock injected) and through the real CLI (the bundle the package
 * ships, as a process): scheduled rotations, hourly lifecycle runs, consumers
 * using their keys, an operator's deactivate / activate / release, a revoke,
 * and a credential_process export used by an STS call. moto's IAM clock
 * follows the simulated one (test/support/moto_server.py), so keys' ages and
 * last use are in simulated time too.
 *
 * After every step that changes anything it checks the invariants (AWSCURRENT
 * is an active key of its user, at most two keys, every key accounted for)
 * and ends with one line:
 *   demo: users=<n> rotations=<n> deactivations=<n> deletions=<n> outages=<n> max_active_key_age_days=<n>
 * exiting non-zero when an outage happened or an invariant broke.
 */
import { CreateAccessKeyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import Table from 'cli-table3';
import { assemblyText, deployedRegistry, managedKeys, resolveValue, synthExample } from './example-template';
import { EventType, Registration, Stage, userNameOf } from '../src/rotation/contract';
import { formatSeconds } from '../src/rotation/model';
import { runCli } from '../test/support/cli';
import { Json } from '../test/support/intrinsics';
import { MotoServer } from '../test/support/moto';
import { MotoProxy } from '../test/support/moto-proxy';
import { DAY, HOUR, makeRotator, SimulatedClock, STEPS, World } from '../test/support/world';

/** A Monday, 09:00 UTC: the deployment. */
const START = new Date('2027-01-04T09:00:00Z');
const DAYS = 365;

interface KeySnapshot {
  readonly status: string;
  readonly createdAt: Date;
}

interface ManagedUser {
  readonly name: string;
  readonly arn: string;
  readonly registration: Registration;
  nextRotation: Date;
  /** IAM's view at the last checkpoint. */
  keys: Map<string, KeySnapshot>;
  /** The hand-made key the rotation adopted (ADOPT): held by no version of the secret. */
  adopted?: string;
  firstRotationDone: boolean;
}

interface Consumer {
  readonly user: string;
  /** Uses its key every `everyHours`, at the hours where hour % everyHours === atHour. */
  readonly everyHours: number;
  readonly atHour: number;
  /** Re-reads the secret at most this often (0: before every use). */
  readonly cacheHours: number;
  cached?: { accessKeyId: string; secretAccessKey: string; readAt: Date };
  uses: number;
  failures: number;
}

const day = (d: Date) => ((d.getTime() - START.getTime()) / DAY);
const stamp = (d: Date) => `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;

/** The next time a schedule names after `after`: rate(N days|hours), or the example's weekly cron (in its window's first hour). */
function nextRotationAfter(expression: string, windowHours: number | undefined, after: Date): Date {
  const rate = /^rate\((\d+) (day|days|hour|hours)\)$/.exec(expression);
  if (rate) return new Date(after.getTime() + Number(rate[1]) * (rate[2].startsWith('day') ? DAY : HOUR));
  const weekly = /^cron\((\d+) (\d+) \? \* (SUN|MON|TUE|WED|THU|FRI|SAT) \*\)$/.exec(expression);
  if (!weekly) throw new Error(`the demo simulates rate() and weekly cron() schedules, not ${expression}`);
  const dow = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'].indexOf(weekly[3]);
  const offset = windowHours ? HOUR : 0; // Secrets Manager picks a time in the window; the demo, its first hour.
  const at = new Date(after);
  at.setUTCHours(Number(weekly[2]), Number(weekly[1]), 0, 0);
  at.setUTCDate(at.getUTCDate() + ((dow - at.getUTCDay() + 7) % 7));
  while (at.getTime() + offset <= after.getTime()) at.setUTCDate(at.getUTCDate() + 7);
  return new Date(at.getTime() + offset);
}

async function main(): Promise<number> {
  // 1. The example app, synthesized as `cdk synth` does it, with no account.
  const synth = synthExample();
  const resources = Object.values<{ Type: string }>(synth.template.Resources);
  const byType = new Map<string, number>();
  for (const r of resources) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  console.log(`cdk synth of examples/ (offline): ${resources.length} resources in ${synth.seconds.toFixed(1)} s`);
  console.log(`  ${[...byType].map(([t, n]) => `${n} ${t}`).join(', ')}`);
  const text = assemblyText(synth.outDir);
  console.log(`  in cdk.out's templates and manifests: ${(text.match(/AWS::IAM::AccessKey/g) ?? []).length} AWS::IAM::AccessKey, `
    + `${(text.match(/SecretAccessKey/g) ?? []).length} mentions of SecretAccessKey: no secret passes through CloudFormation\n`);

  const moto = await MotoServer.start({ clock: true });
  const proxy = await MotoProxy.start(moto.endpoint);
  try {
    return await simulate(synth, moto, proxy);
  } finally {
    await proxy.stop();
    await moto.stop();
  }
}

async function simulate(synth: ReturnType<typeof synthExample>, moto: MotoServer, proxy: MotoProxy): Promise<number> {
  const world = new World();
  const clock = new SimulatedClock(START);
  const h = makeRotator({ clock });
  const setClock = (at: Date) => {
    clock.set(at);
    moto.setClock(at);
  };
  const problems: string[] = [];
  const notes: { at: Date; user: string; text: string }[] = [];
  const note = (user: string, text: string) => notes.push({ at: clock.now(), user, text });
  let rotations = 0;
  let deactivations = 0;
  let deletions = 0;
  let outages = 0;
  let maxActiveAgeDays = 0;

  // 2. What the template declares, made in moto with SDK calls; legacy-ci exists already, with a key made by hand 20 days ago.
  const specs = managedKeys(synth.template);
  const physical: Record<string, Json> = {};
  const adopted = new Map<string, string>();
  for (const spec of specs) {
    const { userName, path } = spec.user;
    if (spec.user.created) {
      setClock(START);
      await world.createUser(userName, path);
      physical[spec.user.logicalId] = userName;
      physical[`${spec.user.logicalId}.Arn`] = world.userArn(userName);
    } else {
      setClock(new Date(START.getTime() - 20 * DAY));
      await world.createUser(userName, path === '/' ? undefined : path);
      const key = await world.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      adopted.set(userName, key.AccessKey!.AccessKeyId!);
    }
  }
  setClock(START);
  for (const spec of specs) {
    const secret = await world.secretsManager.send(new CreateSecretCommand({
      Name: `${spec.secretId}-${spec.user.userName}`,
      SecretString: String(resolveValue(synth.template, physical, spec.secretString)),
      Description: String(resolveValue(synth.template, physical, spec.description)),
    }));
    physical[spec.secretId] = secret.ARN!;
  }
  const registry = deployedRegistry(synth.template, physical);
  moto.cloudFormation.deployRegistry(registry.registrations);
  await world.deployFunction();
  const users: ManagedUser[] = registry.registrations.map((registration) => {
    const name = userNameOf(registration.userArn);
    return {
      name,
      arn: registration.secretArn,
      registration,
      nextRotation: START,
      keys: new Map(),
      adopted: adopted.get(name),
      firstRotationDone: false,
    };
  });
  const userOf = (name: string) => users.find((u) => u.name === name)!;
  console.log(`moto's server on ${moto.endpoint} (its IAM clock set to the simulated time); the CloudFormation stand-in holds the registry:`);
  for (const u of users) {
    const r = u.registration;
    console.log(`  ${u.name.padEnd(14)} ${r.scheduleExpression}${r.windowHours ? ` (window ${r.windowHours} h)` : ''}, old key deactivated `
      + `${formatSeconds(r.deactivateAfterSeconds)} after promotion${r.postponeWhileInUseSeconds ? ` (up to ${formatSeconds(r.postponeWhileInUseSeconds)} later while in use)` : ''}, `
      + `deleted ${formatSeconds(r.deleteAfterSeconds)} after that; ${r.foreignKeyPolicy}, ${r.removal}${r.owner ? `, owner ${r.owner}` : ''}`);
  }
  console.log(`  legacy-ci already has a hand-made key (${adopted.get('legacy-ci')}), made 20 days before the deployment\n`);

  // ---- the checks, after every step that changes anything --------------------------------------

  const checkpoint = async (concerned: ManagedUser[] = users) => {
    const now = clock.now();
    for (const u of concerned) {
      const listed = await world.iam.send(new ListAccessKeysCommand({ UserName: u.name }));
      const keys = new Map((listed.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, { status: k.Status!, createdAt: k.CreateDate! }]));
      const described = await world.secretsManager.send(new DescribeSecretCommand({ SecretId: u.arn }));
      const labels = Object.values(described.VersionIdsToStages ?? {}).flat();
      const current = await world.secretsManager.send(new GetSecretValueCommand({ SecretId: u.arn, VersionStage: Stage.CURRENT }));
      const value = JSON.parse(current.SecretString!);
      if (value.userName !== u.name) problems.push(`${stamp(now)} ${u.name}: AWSCURRENT names user ${value.userName}`);
      if (u.firstRotationDone && keys.get(value.accessKeyId)?.status !== 'Active') {
        outages++;
        problems.push(`${stamp(now)} ${u.name}: OUTAGE: AWSCURRENT holds ${value.accessKeyId}, ${keys.get(value.accessKeyId)?.status ?? 'not a key of the user'}`);
      }
      if (keys.size > 2) problems.push(`${stamp(now)} ${u.name}: ${keys.size} keys`);
      for (const id of keys.keys()) {
        if (!labels.includes(id) && id !== u.adopted) problems.push(`${stamp(now)} ${u.name}: key ${id} is held by no version of the secret`);
      }
      for (const [id, before] of u.keys) {
        const after = keys.get(id);
        if (before.status === 'Active' && after?.status === 'Inactive') deactivations++;
        if (!after) deletions++;
        // An active key's age peaks when it stops being active (or now): nothing changed since the last checkpoint.
        if (before.status === 'Active') maxActiveAgeDays = Math.max(maxActiveAgeDays, (now.getTime() - before.createdAt.getTime()) / DAY);
      }
      for (const k of keys.values()) if (k.status === 'Active') maxActiveAgeDays = Math.max(maxActiveAgeDays, (now.getTime() - k.createdAt.getTime()) / DAY);
      u.keys = keys;
    }
  };

  /** Secrets Manager runs the four steps of the rotation it started; the checks run after each. */
  const finishRotation = async (u: ManagedUser, token: string) => {
    for (const step of STEPS) {
      await h.rotator.rotationStep({ Step: step, SecretId: u.arn, ClientRequestToken: token });
      await checkpoint([u]);
    }
    u.firstRotationDone = true;
    rotations++;
  };

  // ---- the real CLI, as an operator runs it ----------------------------------------------------

  const cli = async (user: string, args: string[], show = true) => {
    const r = await runCli(args, { env: { AWS_ENDPOINT_URL: proxy.endpoint, ROTATING_ACCESS_KEYS_NOW: clock.now().toISOString() } });
    if (show) {
      console.log(`${stamp(clock.now())}  $ npx cdk-rotating-access-keys ${args.join(' ')}`);
      for (const line of `${r.stdout}${r.stderr}`.trimEnd().split('\n')) console.log(`                  ${line}`);
    }
    if (r.code !== 0) problems.push(`${stamp(clock.now())} the CLI's ${args[0]} exited with ${r.code}: ${r.stderr.trim()}`);
    note(user, `operator: ${args.slice(0, 1).join(' ')}${r.code === 0 ? '' : ` (exit ${r.code})`}`);
    await checkpoint();
    return r;
  };

  // ---- consumers ----------------------------------------------------------------------------

  const stsClients = new Map<string, STSClient>();
  const signWith = async (key: { accessKeyId: string; secretAccessKey: string }) => {
    let sts = stsClients.get(key.accessKeyId);
    if (!sts) {
      sts = new STSClient({ region: 'us-east-1', credentials: key });
      stsClients.set(key.accessKeyId, sts);
    }
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn!;
  };
  const readCurrent = async (u: ManagedUser) => {
    const v = await world.secretsManager.send(new GetSecretValueCommand({ SecretId: u.arn, VersionStage: Stage.CURRENT }));
    const { accessKeyId, secretAccessKey } = JSON.parse(v.SecretString!);
    return { accessKeyId, secretAccessKey, readAt: clock.now() };
  };
  const consumers: Consumer[] = [
    // The backup shipper reads the secret before each nightly run.
    { user: 'backup-server', everyHours: 24, atHour: 3, cacheHours: 0, uses: 0, failures: 0 },
    // The legacy CI system re-reads its key every 2 days and runs jobs twice a day: after a rotation it keeps the old key a while.
    { user: 'legacy-ci', everyHours: 12, atHour: 6, cacheHours: 48, uses: 0, failures: 0 },
  ];
  const use = async (c: Consumer) => {
    const u = userOf(c.user);
    const now = clock.now();
    if (!c.cached || now.getTime() - c.cached.readAt.getTime() >= c.cacheHours * HOUR) c.cached = await readCurrent(u);
    // moto accepts any key; IAM would refuse an inactive or deleted one, so the demo asks IAM first.
    const status = u.keys.get(c.cached.accessKeyId)?.status;
    if (status !== 'Active') {
      c.failures++;
      note(u.name, `consumer: its cached key ${c.cached.accessKeyId} was refused (${status ?? 'deleted'}); it re-reads the secret`);
      c.cached = await readCurrent(u);
    }
    await signWith(c.cached);
    c.uses++;
  };

  // ---- the operator's script ---------------------------------------------------------------------

  const at = (days: number, hour: number) => new Date(START.getTime() + days * DAY + (hour - 9) * HOUR);
  const script: { when: Date; run: () => Promise<void> }[] = [
    { when: at(31, 10), run: async () => { await cli('backup-server', ['deactivate', '--user', 'backup-server', '--yes']); } },
    { when: at(32, 10), run: async () => { await cli('backup-server', ['activate', '--user', 'backup-server']); } },
    { when: at(33, 10), run: async () => { await cli('backup-server', ['status', '--user', 'backup-server']); } },
    { when: at(36, 10), run: async () => { await cli('backup-server', ['release', '--user', 'backup-server']); } },
    {
      when: at(100, 12),
      run: async () => {
        const r = await cli('backup-server', ['export', '--user', 'backup-server', '--format', 'credential-process'], false);
        const creds = JSON.parse(r.stdout);
        const who = await signWith({ accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey });
        console.log(`${stamp(clock.now())}  $ npx cdk-rotating-access-keys export --user backup-server --format credential-process`);
        console.log(`                  {"Version":1,"AccessKeyId":"${creds.AccessKeyId}","SecretAccessKey":"(${creds.SecretAccessKey.length} characters, not shown)",`
          + '"Expiration":"(an hour from now on the real clock, which SDKs compare it with)"}');
        console.log(`                  STS GetCallerIdentity signed with it: ${who}`);
      },
    },
    {
      when: at(201, 15),
      run: async () => {
        const u = userOf('legacy-ci');
        await cli(u.name, ['revoke', '--user', u.name, '--yes']);
        const token = await world.pendingToken(u.arn);
        if (!token) throw new Error('revoke started no rotation');
        await finishRotation(u, token);
      },
    },
  ];

  // 3. The year: the deployment's rotations, then hour by hour.
  console.log(`simulating ${DAYS} days from ${stamp(START)} UTC: scheduled rotations, the hourly lifecycle, consumers, and an operator with the CLI\n`);
  const started = Date.now();
  let rotationCalls: string[] = [];
  for (const u of users) {
    await checkpoint([u]);
    const token = await world.startRotation(u.arn);
    const before = h.calls.length;
    await finishRotation(u, token); // rotateOnDeploy: the first key
    if (rotationCalls.length === 0) rotationCalls = h.calls.slice(before);
    u.nextRotation = nextRotationAfter(u.registration.scheduleExpression, u.registration.windowHours, START);
  }
  let lifecycleRuns = 0;
  let lifecycleCalls = 0;
  const end = START.getTime() + DAYS * DAY;
  while (clock.now().getTime() < end) {
    setClock(new Date(clock.now().getTime() + HOUR));
    const now = clock.now();
    for (const u of users) {
      if (now.getTime() >= u.nextRotation.getTime()) {
        await finishRotation(u, await world.startRotation(u.arn));
        u.nextRotation = nextRotationAfter(u.registration.scheduleExpression, u.registration.windowHours, now);
      }
    }
    for (const c of consumers) if (now.getUTCHours() % c.everyHours === c.atHour % c.everyHours) await use(c);
    for (const step of script.filter((s) => s.when.getTime() === now.getTime())) await step.run();
    const eventsBefore = h.gateway.events.length;
    const callsBefore = h.calls.length;
    const run = await h.rotator.lifecycle();
    lifecycleCalls += h.calls.length - callsBefore;
    lifecycleRuns++;
    if (run.failed > 0) problems.push(`${stamp(now)} a lifecycle run failed for ${run.failed} secret(s)`);
    // Every change the lifecycle makes to a key is an audit event naming its user: check those users.
    const changed = new Set(h.gateway.events.slice(eventsBefore).map((e) => JSON.parse(e.Detail!).userName as string));
    if (changed.size > 0) await checkpoint(users.filter((u) => changed.has(u.name)));
  }
  await checkpoint();
  const seconds = (Date.now() - started) / 1000;

  // 4. The timeline, per user: the events of the first weeks (40 days, or 30 lines), then a line a month.
  const events = h.gateway.events.map((e) => {
    const detail = JSON.parse(e.Detail!) as Record<string, string | undefined>;
    return { at: new Date(e.Time!), type: e.DetailType!, userName: detail.userName, accessKeyId: detail.accessKeyId, reason: detail.reason ?? '' };
  });
  for (const u of users) {
    console.log(`\n${u.name}:`);
    const lines = [
      ...events.filter((e) => e.userName === u.name).map((e) => ({ at: e.at, text: `${e.type.replace('Access Key ', '').padEnd(14)} ${(e.accessKeyId ?? '').padEnd(20)} ${e.reason}` })),
      ...notes.filter((n) => n.user === u.name).map((n) => ({ at: n.at, text: n.text })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    for (const l of lines.filter((x) => day(x.at) < 40).slice(0, 30)) console.log(`  day ${day(l.at).toFixed(2).padStart(6)}  ${l.text.length > 150 ? `${l.text.slice(0, 147)}...` : l.text}`);
    const table = new Table({ head: ['month', 'created', 'promoted', 'still in use', 'deactivated', 'deleted', 'revoked', 'held', 'operator', 'consumer refused'], style: { head: [], border: [], compact: true } });
    for (let m = 0; m < 12; m++) {
      const from = new Date(Date.UTC(START.getUTCFullYear(), m, 1)).getTime();
      const to = new Date(Date.UTC(START.getUTCFullYear(), m + 1, 1)).getTime();
      const inMonth = (d: Date) => d.getTime() >= from && d.getTime() < to;
      const count = (type: string) => events.filter((e) => e.userName === u.name && e.type === type && inMonth(e.at)).length;
      const noted = (prefix: string) => notes.filter((n) => n.user === u.name && n.text.startsWith(prefix) && inMonth(n.at)).length;
      table.push([new Date(from).toISOString().slice(0, 7), count(EventType.CREATED), count(EventType.PROMOTED), count(EventType.STILL_IN_USE),
        count(EventType.DEACTIVATED), count(EventType.DELETED), count(EventType.REVOKED), count(EventType.HELD), noted('operator'), noted('consumer')]);
    }
    console.log(table.toString());
  }
  for (const c of consumers) {
    console.log(`${c.user}'s consumer: ${c.uses} uses, ${c.failures} refused (a revoked or retired key it still held)`);
  }
  console.log(`${lifecycleRuns} hourly lifecycle runs and ${rotations} rotations in ${seconds.toFixed(0)} s`);
  console.log(`the lifecycle runs made ${lifecycleCalls} AWS calls (${(lifecycleCalls / lifecycleRuns).toFixed(2)} a run: one ListSecrets, `
    + 'plus Secrets Manager and IAM only where a transition may be due)');
  const own = rotationCalls.filter((c) => !c.startsWith('CloudFormation.'));
  console.log(`AWS calls of one rotation: ${own.length + 1} (plus the registry read at a cold start, `
    + `${rotationCalls.filter((c) => c.startsWith('CloudFormation.')).join(', ')}): ${[...own, 'STS.GetCallerIdentity (signed with the new key)'].join(', ')}`);

  // 5. The end of the year, as the operator sees it.
  console.log();
  await cli('', ['status']);

  for (const p of problems) console.error(`problem: ${p}`);
  console.log(`\ndemo: users=${users.length} rotations=${rotations} deactivations=${deactivations} deletions=${deletions} `
    + `outages=${outages} max_active_key_age_days=${Math.ceil(maxActiveAgeDays)}`);
  return outages > 0 || problems.length > 0 ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
}, (e) => {
  console.error(e);
  process.exitCode = 1;
});
