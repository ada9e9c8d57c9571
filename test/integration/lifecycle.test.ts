/**
 * The old key's lifecycle against moto's server: deactivate, then delete, at
 * the right simulated times; still-in-use warnings; operator holds; revoke;
 * the cost of a run over many secrets; and no secret in any log or event.
 */
import { DeleteAccessKeyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { defaultClients } from '../../src/rotation/aws';
import { Registration, Tags } from '../../src/rotation/contract';
import { nextTransition, readSecretState } from '../../src/rotation/state';
import { expectInvariants } from '../support/invariants';
import { MotoServer } from '../support/moto';
import { DAY, DeployedRegistry, HOUR, makeRotator, rotate, SimulatedClock, STEPS, World } from '../support/world';

let moto: MotoServer;
// IAM's clock follows the simulated one: keys are created (and used) at the simulated time.
beforeAll(async () => { moto = await MotoServer.start({ clock: true }); });
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => { await moto.reset(); });

const DAYS = (n: number) => n * 86_400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(config: Partial<Registration> = {}) {
  const world = new World();
  await world.createUser('alice');
  const arn = await world.createManagedSecret('alice', { deactivateAfterSeconds: DAYS(7), deleteAfterSeconds: DAYS(14), ...config });
  const h = makeRotator();
  const check = () => expectInvariants(world, arn, 'alice');
  return { world, arn, h, check };
}

/** Signs one request with a key, as a consumer that has not picked up the new key would. */
async function useKey(creds: Record<string, string>): Promise<void> {
  const sts = new STSClient({ credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey } });
  await sts.send(new GetCallerIdentityCommand({}));
}

type Transition = { day: number; type: string; accessKeyId: string };

describe('deactivate, then delete', () => {
  test('GIVEN rotations every 30 days and a run every 6 hours THEN each old key is deactivated 7 days after promotion and deleted 14 days later', async () => {
    const { world, arn, h, check } = await setup();
    const start = h.clock.now().getTime();
    const day = () => (h.clock.now().getTime() - start) / DAY;
    const timeline: Transition[] = [];
    let seen = 0;
    const collect = () => {
      for (const e of h.gateway.events.slice(seen)) {
        timeline.push({ day: day(), type: e.DetailType!, accessKeyId: JSON.parse(e.Detail!).accessKeyId });
      }
      seen = h.gateway.events.length;
    };

    await rotate(world, h.rotator, arn);
    const keys = [(await world.stages(arn)).AWSCURRENT!];
    collect();
    while (day() < 75) {
      h.clock.advance(6 * HOUR);
      if (day() % 30 === 0) {
        await rotate(world, h.rotator, arn);
        keys.push((await world.stages(arn)).AWSCURRENT!);
      }
      await h.rotator.lifecycle();
      collect();
      await check();
    }

    expect(timeline.filter((t) => t.type !== 'Access Key Created')).toEqual([
      { day: 0, type: 'Access Key Promoted', accessKeyId: keys[0] },
      { day: 30, type: 'Access Key Promoted', accessKeyId: keys[1] },
      { day: 37, type: 'Access Key Deactivated', accessKeyId: keys[0] },
      { day: 51, type: 'Access Key Deleted', accessKeyId: keys[0] },
      { day: 60, type: 'Access Key Promoted', accessKeyId: keys[2] },
      { day: 67, type: 'Access Key Deactivated', accessKeyId: keys[1] },
    ]);
    expect(await world.keys('alice')).toEqual(expect.arrayContaining([
      { accessKeyId: keys[1], status: 'Inactive' }, { accessKeyId: keys[2], status: 'Active' },
    ]));
  });

  test('GIVEN the schedule missed weeks of runs THEN the next run catches up one step: deactivate now, delete deleteAfter later', async () => {
    const { world, arn, h, check } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    const old = (await world.stages(arn)).AWSPREVIOUS!;

    h.clock.advance(60 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 1, deleted: 0 });
    expect(await world.keyStatus('alice', old)).toBe('Inactive');
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 0, deleted: 0 });

    h.clock.advance(14 * DAY - 1000);
    expect(await h.rotator.lifecycle()).toMatchObject({ deleted: 0 });
    h.clock.advance(1000);
    expect(await h.rotator.lifecycle()).toMatchObject({ deleted: 1 });
    expect(await world.keyStatus('alice', old)).toBeUndefined();
    await check();
  });
});

describe('an old key still in use', () => {
  async function rotateTwiceThenPromoteNow(config: Partial<Registration> = {}) {
    const s = await setup(config);
    await rotate(s.world, s.h.rotator, s.arn);
    const old = (await s.world.credentials(s.arn, 'AWSCURRENT'))!;
    // IAM stamps last use with the simulated time: promote a minute after the old key's own test, then move on.
    s.h.clock.advance(60_000);
    await rotate(s.world, s.h.rotator, s.arn);
    s.h.clock.advance(60_000);
    return { ...s, old };
  }

  test('GIVEN a consumer still uses the old key THEN a warning event comes halfway through the grace period, before deactivation', async () => {
    const { h, old } = await rotateTwiceThenPromoteNow();
    await useKey(old);

    h.clock.advance(3.5 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ checkedUsage: 1 });

    const warning = h.gateway.events.find((e) => e.DetailType === 'Access Key Still In Use');
    expect(JSON.parse(warning!.Detail!)).toMatchObject({ accessKeyId: old.accessKeyId, reason: expect.stringContaining('will be deactivated at') });
    h.clock.advance(HOUR);
    expect(await h.rotator.lifecycle()).toMatchObject({ checkedUsage: 0 });
  });

  test('GIVEN nobody uses the old key THEN the check emits nothing', async () => {
    const { h } = await rotateTwiceThenPromoteNow();
    h.clock.advance(3.5 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ checkedUsage: 1 });
    expect(h.gateway.events.map((e) => e.DetailType)).not.toContain('Access Key Still In Use');
  });

  test('GIVEN postponing is opted into THEN deactivation waits while the key is used, up to the bound', async () => {
    const { world, h, old } = await rotateTwiceThenPromoteNow({ postponeWhileInUseSeconds: DAYS(3) });
    await useKey(old);

    h.clock.advance(7 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ postponed: 1, deactivated: 0 });
    expect(await world.keyStatus('alice', old.accessKeyId)).toBe('Active');
    h.clock.advance(3 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 1 });
    expect(await world.keyStatus('alice', old.accessKeyId)).toBe('Inactive');
  });

  test('GIVEN postponing is not opted into THEN a used key is deactivated on time, with a warning', async () => {
    const { world, h, old } = await rotateTwiceThenPromoteNow();
    await useKey(old);
    h.clock.advance(7 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 1 });
    expect(await world.keyStatus('alice', old.accessKeyId)).toBe('Inactive');
    expect(h.gateway.events.map((e) => e.DetailType)).toEqual(expect.arrayContaining(['Access Key Still In Use', 'Access Key Deactivated']));
  });
});

describe('operators', () => {
  test('GIVEN an operator hold THEN the lifecycle leaves the old key alone until the hold is removed', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    const old = (await world.stages(arn)).AWSPREVIOUS!;
    await h.gateway.tag(arn, { [Tags.HOLD]: 'troubleshooting ticket 42' });

    h.clock.advance(30 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 0 });
    expect(await world.keyStatus('alice', old)).toBe('Active');

    await h.gateway.untag(arn, [Tags.HOLD]);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 1 });
  });

  test('GIVEN someone re-activated the old key THEN it is not deleted: the lifecycle sets a visible hold', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    const old = (await world.stages(arn)).AWSPREVIOUS!;
    h.clock.advance(7 * DAY);
    await h.rotator.lifecycle();
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: old, Status: 'Active' }));

    h.clock.advance(14 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ held: 1, deleted: 0 });
    h.clock.advance(14 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ held: 0, deleted: 0 });

    expect(await world.keyStatus('alice', old)).toBe('Active');
    expect((await world.tags(arn))[Tags.HOLD]).toMatch(new RegExp(`^id=${old} found re-activated outside the lifecycle at `));
    expect(h.gateway.events.map((e) => e.DetailType)).toContain('Access Key Held');
  });

  test('GIVEN someone made the current key inactive by hand WHEN the old key\'s grace period ends THEN the old key, the user\'s only active key, is not deactivated, and each run fails naming both keys and the ways out', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    const { AWSCURRENT: current, AWSPREVIOUS: old } = await world.stages(arn);
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: current!, Status: 'Inactive' }));

    h.clock.advance(7 * DAY + HOUR);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 0, failed: 1 });

    expect(await world.keyStatus('alice', old!)).toBe('Active');
    const [failed] = h.gateway.events.filter((e) => e.DetailType === 'Access Key Lifecycle Failed').map((e) => JSON.parse(e.Detail!));
    expect(failed).toMatchObject({ secretArn: arn, userName: 'alice', accessKeyId: old });
    expect(failed.reason).toBe(`the current key ${current} is Inactive, so the old key ${old}, the user's only active key, `
      + `is not deactivated: make ${current} active again, or revoke (a new current key, and ${old} deleted at once)`);
    // status says the same: the lifecycle's next step is blocked, and why.
    const registration = (await new DeployedRegistry(h.gateway).load()).require(arn);
    const { state, input } = await readSecretState(h.gateway, registration, h.clock.now());
    expect(nextTransition(state, input)).toEqual({ action: 'blocked', accessKeyId: old, due: false, reason: failed.reason });
    // Made active again, the current key lets the timeline go on.
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: current!, Status: 'Active' }));
    h.clock.advance(HOUR);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 1, failed: 0 });
  });

  test('GIVEN someone deleted the current key by hand WHEN the old key\'s grace period ends THEN the old key stays active, and the run fails saying so', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    const { AWSCURRENT: current, AWSPREVIOUS: old } = await world.stages(arn);
    await world.iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: current! }));

    h.clock.advance(7 * DAY + HOUR);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 0, failed: 1 });

    expect(await world.keyStatus('alice', old!)).toBe('Active');
    const [failed] = h.gateway.events.filter((e) => e.DetailType === 'Access Key Lifecycle Failed').map((e) => JSON.parse(e.Detail!));
    expect(failed.reason).toBe(`the current key ${current} no longer exists, so the old key ${old}, the user's only active key, is not deactivated: `
      + `rotate, for a working current key (${old} is then no longer on this secret's timeline: deactivate and delete it in IAM once nothing uses it)`);
  });

  test('GIVEN someone removed the previous-key tag THEN the lifecycle still finds the old key (its version\'s label) and retires it on time, dated by IAM', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    const old = (await world.stages(arn)).AWSPREVIOUS!;
    await h.gateway.untag(arn, [Tags.PREVIOUS_KEY, Tags.CURRENT_KEY]);

    // Dated by IAM's creation of the current key (moto's real time, a moment after this test's clock started).
    h.clock.advance(7 * DAY + 60_000);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 1, failed: 0 });
    expect(await world.keyStatus('alice', old)).toBe('Inactive');
  });

  test('GIVEN a leaked key WHEN an operator revokes it (tag + RotateSecret, no invocation) THEN a new key is current, the old one is inactive at once and deleted at the next run', async () => {
    const { world, arn, h, check } = await setup();
    await rotate(world, h.rotator, arn);
    const leaked = (await world.stages(arn)).AWSCURRENT!;

    const token = await world.revoke(arn, h.clock.now());
    for (const step of STEPS) {
      await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
      await check();
    }

    expect(await world.keyStatus('alice', leaked)).toBe('Inactive');
    expect((await world.stages(arn)).AWSCURRENT).not.toBe(leaked);
    expect(h.gateway.events.find((e) => e.DetailType === 'Access Key Revoked')?.Detail).toContain(leaked);
    expect((await world.tags(arn))[Tags.REVOKE]).toBeUndefined();

    h.clock.advance(HOUR);
    expect(await h.rotator.lifecycle()).toMatchObject({ deleted: 1 });
    expect(await world.keyStatus('alice', leaked)).toBeUndefined();
  });

  test('GIVEN a revoked key made active again THEN it is deleted anyway, never held', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const leaked = (await world.stages(arn)).AWSCURRENT!;
    const token = await world.revoke(arn, h.clock.now());
    for (const step of STEPS) await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: leaked, Status: 'Active' }));

    expect(await h.rotator.lifecycle()).toMatchObject({ deleted: 1, held: 0 });
    expect(await world.keyStatus('alice', leaked)).toBeUndefined();
    expect(JSON.parse(h.gateway.events.find((e) => e.DetailType === 'Access Key Deleted')!.Detail!).reason).toContain('made active again');
  });

  test('GIVEN a revoke request older than an hour WHEN the next scheduled rotation runs THEN it is an ordinary rotation: the old key keeps its grace period', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const old = (await world.stages(arn)).AWSCURRENT!;
    const token = await world.revoke(arn, new Date(h.clock.now().getTime() - 2 * HOUR));
    for (const step of STEPS) await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });

    expect(await world.keyStatus('alice', old)).toBe('Active');
    expect((await world.tags(arn))[Tags.REVOKE]).toBeUndefined();
    expect(h.logs.join('\n')).toContain('a revoke request was ignored');
  });
});

describe('cost and scale of a run', () => {
  /** 150 registered secrets: one, `due`, rotated twice with a one-day grace period; 149 idle ones with an old key on record in their tags only. */
  async function manySecrets() {
    const world = new World();
    const clock = new SimulatedClock(new Date());
    const h = makeRotator({ clock });
    await world.createUser('due');
    const due = await world.createManagedSecret('due', { deactivateAfterSeconds: DAYS(1) });
    await rotate(world, h.rotator, due);
    await rotate(world, h.rotator, due);
    for (let i = 0; i < 149; i++) {
      const arn = await world.createManagedSecret(`idle-${i}`);
      await h.gateway.tag(arn, { [Tags.PREVIOUS_KEY]: `id=AKIAIDLE${String(i).padStart(12, '0')} superseded-at=${clock.now().toISOString()}` });
    }
    return { clock, h };
  }

  test('GIVEN 150 registered secrets of which one has a transition due THEN IAM is called for that one only', async () => {
    const { clock, h } = await manySecrets();

    clock.advance(DAY);
    h.calls.length = 0;
    const summary = await h.rotator.lifecycle();

    expect(summary).toMatchObject({ registered: 150, secrets: 150, deactivated: 1, failed: 0 });
    expect(h.calls.filter((c) => c === 'SecretsManager.ListSecrets')).toHaveLength(2); // 100 a page
    expect(h.calls.filter((c) => c.startsWith('IAM.'))).toEqual(['IAM.ListAccessKeys', 'IAM.GetAccessKeyLastUsed', 'IAM.UpdateAccessKey']);
  });

  test('GIVEN 150 registered secrets and none due THEN a run (after its cold start) is two ListSecrets pages and nothing else', async () => {
    const { clock, h } = await manySecrets();
    clock.advance(DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 1 }); // and the cold start read the registry

    h.calls.length = 0;
    clock.advance(HOUR);
    const summary = await h.rotator.lifecycle();

    expect(summary).toMatchObject({ registered: 150, secrets: 150, failed: 0 });
    expect(h.calls).toEqual(['SecretsManager.ListSecrets', 'SecretsManager.ListSecrets']);
  });

  test('GIVEN more due transitions than the concurrency THEN no more than that many run at once', async () => {
    const world = new World();
    const h = makeRotator({ lifecycleConcurrency: 2 });
    for (let i = 0; i < 6; i++) {
      await world.createUser(`u${i}`);
      const arn = await world.createManagedSecret(`u${i}`, { deactivateAfterSeconds: DAYS(1) });
      await rotate(world, h.rotator, arn);
      await rotate(world, h.rotator, arn);
    }
    let inFlight = 0;
    let most = 0;
    const lastUsed = h.gateway.lastUse.bind(h.gateway);
    jest.spyOn(h.gateway, 'lastUse').mockImplementation(async (id) => {
      most = Math.max(most, ++inFlight);
      await sleep(50);
      inFlight--;
      return lastUsed(id);
    });

    h.clock.advance(DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ deactivated: 6 });
    expect(most).toBe(2);
  });

  test('the SDK clients retry adaptively (IAM throttles with unpublished token buckets)', async () => {
    const clients = defaultClients('us-east-1');
    for (const client of [clients.iam, clients.secretsManager, clients.eventBridge, clients.cloudFormation]) {
      expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
    }
  });

  test('GIVEN one secret whose transition fails (IAM keeps throttling) THEN the others still run and the failure is an event naming it', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    await world.createUser('bob');
    const bad = await world.createManagedSecret('bob', { deactivateAfterSeconds: DAYS(7) });
    await rotate(world, h.rotator, bad);
    await rotate(world, h.rotator, bad);
    const list = h.gateway.listAccessKeys.bind(h.gateway);
    jest.spyOn(h.gateway, 'listAccessKeys').mockImplementation(async (user) => {
      if (user === 'bob') throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      return list(user);
    });

    h.clock.advance(7 * DAY);
    expect(await h.rotator.lifecycle()).toMatchObject({ secrets: 2, deactivated: 1, failed: 1 });
    const failure = JSON.parse(h.gateway.events.find((e) => e.DetailType === 'Access Key Lifecycle Failed')!.Detail!);
    expect(failure).toMatchObject({ secretArn: bad, userName: 'bob', reason: 'Throttling: Rate exceeded' });
  });

  test('GIVEN another stack\'s secret carrying the same tags THEN the run skips it: no call for it, no failure, no alarm', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    await world.createUser('carol');
    await world.createSecret('other-stack/carol', 'carol', {
      [Tags.PREVIOUS_KEY]: `id=AKIAELSEWHERE0000001 superseded-at=${new Date(0).toISOString()}`,
    });

    h.clock.advance(7 * DAY);
    h.calls.length = 0;
    expect(await h.rotator.lifecycle()).toMatchObject({ secrets: 1, deactivated: 1, failed: 0 });
    expect(h.logs.join('\n')).toContain('"notRegisteredHere":1');
    expect(h.calls.filter((c) => c === 'SecretsManager.DescribeSecret')).toHaveLength(1);
  });
});

describe('the read model of a secret (what an operator\'s status shows)', () => {
  test('GIVEN two rotations and a consumer still on the old key THEN each key has its role, its last use when asked, and the next transition has its date', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const old = (await world.stages(arn)).AWSCURRENT!;
    const promotedAt = h.clock.advance(DAY);
    await rotate(world, h.rotator, arn);
    const current = (await world.stages(arn)).AWSCURRENT!;
    await useKey((await world.credentials(arn, 'AWSPREVIOUS'))!);
    const registration = (await new DeployedRegistry(h.gateway).load()).require(arn);

    const { state } = await readSecretState(h.gateway, registration, h.clock.now(), { lastUsed: true });

    expect(state).toMatchObject({
      secretArn: arn,
      userName: 'alice',
      retiring: { accessKeyId: old, supersededAt: promotedAt },
      next: { kind: 'none', reason: 'grace period', nextAt: new Date(promotedAt.getTime() + 3.5 * DAY) },
    });
    expect(state.keys.map((k) => [k.accessKeyId, k.role, k.status]).sort()).toEqual([[current, 'current', 'Active'], [old, 'previous', 'Active']].sort());
    expect(state.keys.find((k) => k.accessKeyId === old)!.lastUsed).toMatchObject({ at: expect.any(Date), service: 'sts' });
  });
});

describe('no secret leaves the function', () => {
  test('GIVEN a full lifecycle with retries, a failure and a revoke THEN no secret access key appears in any log line, event or error', async () => {
    const { world, arn, h } = await setup();
    const secrets = new Set<string>();
    const collect = async () => {
      for (const stage of ['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS']) {
        const c = await world.credentials(arn, stage);
        if (c?.secretAccessKey) secrets.add(c.secretAccessKey);
      }
    };
    const errors: string[] = [];
    jest.spyOn(h.gateway, 'putPendingValue').mockImplementationOnce(async (_id, _token, value) => {
      secrets.add(JSON.parse(value).secretAccessKey);
      // A failure whose message echoes the request, secret included, as a careless service might.
      throw new Error(`ValidationException: could not store ${value}`);
    });

    await rotate(world, h.rotator, arn).catch((e) => errors.push(String(e.message)));
    for (let i = 0; i < 3; i++) {
      const token = await world.startRotation(arn);
      for (const step of STEPS) {
        await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token }).catch((e) => errors.push(String(e.message)));
        await collect();
      }
      h.clock.advance(8 * DAY);
      await h.rotator.lifecycle();
    }
    const token = await world.revoke(arn, h.clock.now());
    for (const step of STEPS) await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
    await collect();
    h.clock.advance(30 * DAY);
    await h.rotator.lifecycle();

    expect(secrets.size).toBeGreaterThanOrEqual(5);
    expect(errors.join('\n')).toContain('[REDACTED]');
    const everything = [...h.logs, ...h.gateway.events.map((e) => JSON.stringify(e)), ...errors].join('\n');
    expect(h.logs.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(everything.includes(secret)).toBe(false);
  });
});
