/**
 * Every registered secret converges to its registry (promise 6), through the
 * shipped bundle against moto (run with Secrets Manager's rotation set-up kept
 * as Secrets Manager keeps it: see test/support/moto_server.py) and the
 * CloudFormation stand-in. A lifecycle run reads each secret's rotation
 * set-up from the listing it already makes: drift (rotation turned off,
 * another function, a schedule moved out of reach) is put back with the
 * registry's rules and an event; a secret that holds no key of its user is
 * rotated; nothing is called for a secret that has not drifted; nothing is
 * put back while the stack is being deployed.
 */
import { DeleteAccessKeyCommand, IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { CancelRotateSecretCommand, DescribeSecretCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventType } from '../../src/rotation/contract';
import { buildBundle, fakeDateOnly, Handler, loadBundle } from '../support/bundle';
import { MotoServer } from '../support/moto';
import { STEPS, World } from '../support/world';

let moto: MotoServer;
const lines: string[] = [];

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  jest.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
});
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => {
  await moto.reset();
  lines.length = 0;
});

const sm = () => new SecretsManagerClient({});
const REGISTERED = { scheduleExpression: 'rate(30 days)', windowHours: 2 };

/** A registered secret as a deployment leaves it: rotation set up with the registry's rules, rotated once. */
async function deployed(world: World, userName: string): Promise<{ arn: string; functionArn: string; handler: Handler }> {
  await world.createUser(userName);
  const arn = await world.createManagedSecret(userName, REGISTERED);
  const functionArn = await world.rotationFunctionArn();
  const handler = loadBundle();
  const out = await sm().send(new RotateSecretCommand({
    SecretId: arn, RotationLambdaARN: functionArn, RotationRules: { ScheduleExpression: 'rate(30 days)', Duration: '2h' }, RotateImmediately: true,
  }));
  for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: out.VersionId });
  return { arn, functionArn, handler };
}

/** The lifecycle as the schedule invokes it: Lambda passes the function's own ARN in the context. */
const lifecycle = (handler: Handler, functionArn: string) => handler({ action: 'lifecycle' }, { invokedFunctionArn: functionArn });

async function rotationOf(arn: string) {
  const d = await sm().send(new DescribeSecretCommand({ SecretId: arn }));
  return { enabled: d.RotationEnabled, fn: d.RotationLambdaARN, rules: d.RotationRules };
}

async function restoredEvents(): Promise<{ secretArn: string; reason: string }[]> {
  const put = (await moto.requests()).filter((r) => r.action === 'PutEvents')
    .flatMap((r) => (r.body.Entries as { DetailType: string; Detail: string }[]))
    .filter((e) => e.DetailType === EventType.RESTORED);
  return put.map((e) => JSON.parse(e.Detail));
}

describe('a registered secret whose rotation set-up drifted', () => {
  test('GIVEN a grantee moved the schedule out of reach (rate(1000 days), not now) WHEN the lifecycle runs THEN the registry\'s rules are back, with an event naming both', async () => {
    const world = new World();
    const { arn, functionArn, handler } = await deployed(world, 'alice');
    await sm().send(new RotateSecretCommand({ SecretId: arn, RotationRules: { ScheduleExpression: 'rate(1000 days)' }, RotateImmediately: false }));
    expect((await rotationOf(arn)).rules).toEqual({ ScheduleExpression: 'rate(1000 days)' });

    expect(await lifecycle(handler, functionArn)).toMatchObject({ restored: 1, failed: 0 });

    expect(await rotationOf(arn)).toEqual({ enabled: true, fn: functionArn, rules: { ScheduleExpression: 'rate(30 days)', Duration: '2h' } });
    const [event] = await restoredEvents();
    expect(event.secretArn).toBe(arn);
    expect(event.reason).toMatch(/its schedule was rate\(1000 days\), not rate\(30 days\) in a 2h window: put back to the registry's rotation set-up$/);
    // Only the set-up was put back: the user's key stays, no rotation was started.
    expect((await world.keys('alice')).length).toBe(1);
    expect(await world.pendingToken(arn)).toBeUndefined();
  });

  test('GIVEN rotation was turned off WHEN the lifecycle runs THEN it is on again, through this function', async () => {
    const world = new World();
    const { arn, functionArn, handler } = await deployed(world, 'alice');
    await sm().send(new CancelRotateSecretCommand({ SecretId: arn }));
    expect((await rotationOf(arn)).enabled).toBe(false);

    expect(await lifecycle(handler, functionArn)).toMatchObject({ restored: 1, failed: 0 });

    expect(await rotationOf(arn)).toMatchObject({ enabled: true, fn: functionArn });
    expect((await restoredEvents())[0].reason).toMatch(/^rotation was off: put back/);
  });

  test('GIVEN the secret rotates through another function WHEN the lifecycle runs THEN it goes through this one again', async () => {
    const world = new World();
    const { arn, functionArn, handler } = await deployed(world, 'alice');
    const other = await world.createFunction('exfiltrate', {});
    await sm().send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: other, RotateImmediately: false }));

    expect(await lifecycle(handler, functionArn)).toMatchObject({ restored: 1, failed: 0 });

    expect((await rotationOf(arn)).fn).toBe(functionArn);
    expect((await restoredEvents())[0].reason).toContain(`its rotation function was ${other}, not ${functionArn}`);
  });

  test('GIVEN a registered secret that holds no key (never rotated) WHEN the lifecycle runs THEN a rotation starts, and its steps give the user a key', async () => {
    const world = new World();
    await world.createUser('bob');
    const arn = await world.createManagedSecret('bob', REGISTERED);
    const functionArn = await world.rotationFunctionArn();
    const handler = loadBundle();

    expect(await lifecycle(handler, functionArn)).toMatchObject({ restored: 1, failed: 0 });

    expect((await restoredEvents())[0].reason).toMatch(/it held no key of its user .*: put back to the registry's rotation set-up and rotated now$/);
    const token = await world.pendingToken(arn);
    expect(token).toBeDefined();
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
    const current = (await world.stages(arn)).AWSCURRENT;
    expect(await world.keyStatus('bob', current!)).toBe('Active');
    // Converged: the next run has nothing to put back.
    expect(await lifecycle(handler, functionArn)).toMatchObject({ restored: 0, failed: 0 });
  });

  test('GIVEN the stack is being deployed WHEN the lifecycle runs THEN drift waits: its custom resources are setting rotation up', async () => {
    const world = new World();
    const { arn, functionArn, handler } = await deployed(world, 'alice');
    await sm().send(new CancelRotateSecretCommand({ SecretId: arn }));
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');

    expect(await lifecycle(handler, functionArn)).toMatchObject({ restored: 0, failed: 0 });
    expect((await rotationOf(arn)).enabled).toBe(false);
    moto.cloudFormation.begin('UPDATE_COMPLETE');
    expect(await lifecycle(handler, functionArn)).toMatchObject({ restored: 1, failed: 0 });
  });
});

describe('what convergence costs', () => {
  test('GIVEN registered secrets as deployed WHEN the lifecycle runs THEN nothing is put back and the run is one ListSecrets after the registry read', async () => {
    const world = new World();
    const { functionArn } = await deployed(world, 'alice');
    await deployed(world, 'bob');
    moto.cloudFormation.calls.length = 0;
    await moto.restartRecording();
    const fresh = loadBundle();

    expect(await lifecycle(fresh, functionArn)).toMatchObject({ registered: 2, restored: 0, failed: 0 });

    expect(moto.cloudFormation.calls).toEqual(['DescribeStackResource']);
    expect((await moto.requests({ queryProtocol: true })).map((r) => r.action)).toEqual(['ListSecrets']);
  });
});

describe('the current key, checked once a day against IAM\'s credential report', () => {
  const DAY_MS = 86_400_000;
  /** Just after the next midnight UTC: the first run of that day (keys made now are still in their grace period then). */
  const firstRunOfDay = (days = 1) => (Math.floor(Date.now() / DAY_MS) + days) * DAY_MS + 10 * 60_000;
  const withCheck = () => loadBundle({ ROTATOR_KEY_CHECK_WINDOW_SECONDS: '3600' });
  const iam = () => new IAMClient({});

  /** One lifecycle run at a simulated time (only Date is faked: moto and the SDK's timers run as they do). */
  async function runAt(at: number, handler: Handler, functionArn: string): Promise<unknown> {
    fakeDateOnly(at);
    try {
      return await lifecycle(handler, functionArn).catch((e: Error) => e);
    } finally {
      jest.useRealTimers();
    }
  }

  async function rotatedAgain(arn: string, handler: Handler): Promise<void> {
    const out = await sm().send(new RotateSecretCommand({ SecretId: arn }));
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: out.VersionId });
  }

  async function eventsOf(type: string): Promise<{ secretArn: string; accessKeyId: string; reason: string }[]> {
    return (await moto.requests()).filter((r) => r.action === 'PutEvents')
      .flatMap((r) => (r.body.Entries as { DetailType: string; Detail: string }[]))
      .filter((e) => e.DetailType === type).map((e) => JSON.parse(e.Detail));
  }

  test('GIVEN alice\'s only key, the current one, made inactive by hand WHEN the first run of the day checks the report THEN a rotation replaces it, with an event naming it', async () => {
    const world = new World();
    const { arn, functionArn } = await deployed(world, 'alice');
    const handler = withCheck();
    const current = (await world.stages(arn)).AWSCURRENT!;
    await iam().send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: current, Status: 'Inactive' }));

    expect(await runAt(firstRunOfDay(), handler, functionArn)).toMatchObject({ restored: 1, failed: 0 });

    const [event] = await restoredEvents();
    expect(event).toMatchObject({ secretArn: arn, accessKeyId: current });
    expect(event.reason).toBe(`the current key ${current} is Inactive (the credential report: the user has no active access key): `
      + 'rotated now, for a working current key');
    const token = await world.pendingToken(arn);
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
    const replaced = (await world.stages(arn)).AWSCURRENT!;
    expect(replaced).not.toBe(current);
    expect(await world.keyStatus('alice', replaced)).toBe('Active');
    // Converged: the next day's check finds nothing to read.
    await moto.restartRecording();
    expect(await runAt(firstRunOfDay(2), handler, functionArn)).toMatchObject({ restored: 0, failed: 0 });
    expect((await moto.requests({ queryProtocol: true })).map((r) => r.action).filter((a) => a !== 'GenerateCredentialReport'))
      .toEqual(['ListSecrets', 'GetCredentialReport']);
  });

  test('GIVEN the current key made inactive by hand while the old key is in its grace period WHEN the check runs THEN nothing is rotated or deactivated, and the run fails naming both keys', async () => {
    const world = new World();
    const { arn, functionArn, handler: plain } = await deployed(world, 'alice');
    await rotatedAgain(arn, plain);
    const { AWSCURRENT: current, AWSPREVIOUS: old } = await world.stages(arn);
    await iam().send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: current!, Status: 'Inactive' }));

    const outcome = await runAt(firstRunOfDay(), withCheck(), functionArn);

    expect(String(outcome)).toMatch(/lifecycle: 1 secret\(s\) failed/);
    const [failed] = await eventsOf(EventType.LIFECYCLE_FAILED);
    expect(failed).toMatchObject({ secretArn: arn, accessKeyId: current });
    expect(failed.reason).toMatch(new RegExp(`^the current key ${current} is Inactive \\(the credential report: the user's newest access key is inactive\\), `
      + `and a rotation cannot replace it now: user alice has no free access key slot: the old key ${old} is still active`));
    expect(await world.pendingToken(arn)).toBeUndefined();
    expect(await world.keyStatus('alice', old!)).toBe('Active');
  });

  test('GIVEN the current key deleted by hand WHEN the check runs THEN a rotation replaces it, and the event names the old key left active', async () => {
    const world = new World();
    const { arn, functionArn, handler: plain } = await deployed(world, 'alice');
    await rotatedAgain(arn, plain);
    const { AWSCURRENT: current, AWSPREVIOUS: old } = await world.stages(arn);
    await iam().send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: current! }));

    expect(await runAt(firstRunOfDay(), withCheck(), functionArn)).toMatchObject({ restored: 1, failed: 0 });

    expect((await restoredEvents())[0].reason).toBe(`the current key ${current} no longer exists (the credential report: the user has 1 access key(s), `
      + `fewer than the 2 its secret holds): rotated now, for a working current key; ${old} stays active, no longer on this secret's timeline: `
      + 'deactivate and delete it in IAM once nothing uses it');
    expect(await world.pendingToken(arn)).toBeDefined();
  });

  test('GIVEN secrets as deployed WHEN the first run of the day checks THEN the report costs its calls and no secret is read; later runs do not check', async () => {
    const world = new World();
    const { functionArn } = await deployed(world, 'alice');
    await deployed(world, 'bob');
    const handler = withCheck();
    await moto.restartRecording();

    expect(await runAt(firstRunOfDay(), handler, functionArn)).toMatchObject({ registered: 2, restored: 0, failed: 0 });
    const actions = (await moto.requests({ queryProtocol: true })).map((r) => r.action);
    // IAM answers STARTED to the first GenerateCredentialReport of an account, COMPLETE once the report exists.
    expect(actions.filter((a) => a !== 'GenerateCredentialReport')).toEqual(['ListSecrets', 'GetCredentialReport']);
    expect(actions.filter((a) => a === 'GenerateCredentialReport').length).toBeLessThanOrEqual(2);

    await moto.restartRecording();
    expect(await runAt(firstRunOfDay() + 3 * 3600_000, handler, functionArn)).toMatchObject({ restored: 0, failed: 0 });
    expect((await moto.requests({ queryProtocol: true })).map((r) => r.action)).toEqual(['ListSecrets']);
  });
});
