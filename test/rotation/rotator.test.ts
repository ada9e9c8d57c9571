/**
 * The façade's own duties, on the in-memory AWS: failure metrics (put only on
 * failure, never in the way of the failure itself) and the key owner carried
 * in every audit event, so notifications can be routed to whoever uses the key.
 */
import { EventType, Metrics, Registration } from '../../src/rotation/contract';
import { FakeAws } from '../support/fake-aws';
import { DAY, fakeRotatorForAlice } from '../support/fake-rotator';

function setUp(config: Partial<Registration> = {}, functionName: string | null = 'rotator-fn') {
  return fakeRotatorForAlice({ config, functionName });
}

describe('failure metrics', () => {
  test('GIVEN a rotation step that fails THEN RotationFailures is put once with the function\'s name, and the step still fails with its own error', async () => {
    const { fake, arn, rotator } = setUp();
    const token = fake.startRotation(arn);
    fake.failOnce('createAccessKey', 'before');
    await expect(rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(/InjectedFault|injected/i);
    expect(fake.metrics).toEqual([{ name: Metrics.ROTATION_FAILURES, value: 1, dimensions: { FunctionName: 'rotator-fn' } }]);
  });

  test('GIVEN CloudWatch failing too THEN the step fails with its own error, and the metric\'s failure is logged', async () => {
    const { fake, arn, rotator, logs } = setUp();
    const token = fake.startRotation(arn);
    fake.failOnce('createAccessKey', 'before');
    fake.failOnce('putMetric', 'before');
    await expect(rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(/createAccessKey/);
    expect(fake.metrics).toEqual([]);
    expect(logs.map((l) => JSON.parse(l)).filter((l) => l.level === 'WARN')).toEqual([
      expect.objectContaining({ message: 'could not put the failure metric', metric: Metrics.ROTATION_FAILURES }),
    ]);
  });

  test('GIVEN a lifecycle run with a failing secret THEN LifecycleFailures counts the failed secrets; a healthy run puts nothing', async () => {
    const { fake, rotator, rotate, advance } = setUp();
    await rotate();
    await rotate();
    await rotator.lifecycle();
    expect(fake.metrics).toEqual([]);
    advance(8 * DAY);
    fake.failOnce('setAccessKeyStatus', 'before');
    expect((await rotator.lifecycle()).failed).toBe(1);
    expect(fake.metrics).toEqual([{ name: Metrics.LIFECYCLE_FAILURES, value: 1, dimensions: { FunctionName: 'rotator-fn' } }]);
  });

  test('GIVEN no function name (not running in Lambda) THEN no metric is put', async () => {
    const { fake, arn, rotator } = setUp({}, null);
    const token = fake.startRotation(arn);
    fake.failOnce('createAccessKey', 'before');
    await expect(rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow();
    expect(fake.metrics).toEqual([]);
  });
});

describe('the key\'s owner in the audit events', () => {
  const detailOf = (fake: FakeAws) => fake.events.map((e) => ({ type: e.DetailType, ...JSON.parse(e.Detail!) }));

  test('GIVEN an owner WHEN keys are created, promoted, found in use, deactivated and deleted THEN every event names the owner', async () => {
    const { fake, arn, rotate, rotator, advance } = setUp({ owner: 'team-storage@example.com' });
    await rotate();
    await rotate();
    advance(DAY);
    // A consumer still on the old key when its use is checked.
    const old = JSON.parse(fake.valueAt(arn, 'AWSPREVIOUS')!);
    fake.signWith(old.accessKeyId, old.secretAccessKey);
    advance(4 * DAY);
    await rotator.lifecycle();
    advance(4 * DAY);
    await rotator.lifecycle();
    advance(15 * DAY);
    await rotator.lifecycle();
    const types = detailOf(fake).map((d) => d.type);
    expect(types).toEqual(expect.arrayContaining([
      EventType.CREATED, EventType.PROMOTED, EventType.STILL_IN_USE, EventType.DEACTIVATED, EventType.DELETED,
    ]));
    for (const d of detailOf(fake)) expect(d.owner).toBe('team-storage@example.com');
  });

  test('GIVEN no owner THEN events carry no owner field', async () => {
    const { fake, rotate } = setUp();
    await rotate();
    for (const d of detailOf(fake)) expect(d).not.toHaveProperty('owner');
  });
});
