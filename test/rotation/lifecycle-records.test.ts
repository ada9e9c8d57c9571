/**
 * What the lifecycle's deletion of an old key leaves on the secret, and what
 * it costs: the key label's removal is the proof that the key is retired, and
 * the progress record is emptied in one TagResource (the tag stays, so no tag
 * quota can stop the next write); under ADOPT, where the previous-key tag
 * alone names an adopted key, that tag is emptied in the same call, so nothing
 * is left saying "deleted" for a reader to trust. The next rotation has
 * nothing left to untag. A crash at any point of the deletion converges: on
 * the next lifecycle run, or at the latest on the next rotation, with no extra
 * call in the run that did not crash.
 */
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import { EventType, Stage } from '../../src/rotation/contract';
import { parseKeyProgress, parsePreviousKeyHint, progressKeyOf } from '../../src/rotation/model';
import { readSecretState } from '../../src/rotation/state';
import { GatewayMethod } from '../support/fake-aws';
import { DAY, fakeRotatorForAlice } from '../support/fake-rotator';


/** The gateway calls of one lifecycle deletion: the run's listing, the re-read, the deletion, the label, the record, the event. */
const DELETION: GatewayMethod[] = ['listSecrets', 'describeSecret', 'listAccessKeys', 'deleteAccessKey', 'removeLabel', 'tag', 'putEvents'];
/** A rotation's gateway calls in steady state: as the first and the second rotation's, no UntagResource. */
const ROTATION: GatewayMethod[] = [
  'describeSecret', 'listAccessKeys', 'createAccessKey', 'tag', 'putEvents', 'putPendingValue',
  'readVersion', 'callerArn',
  'describeSecret', 'moveLabel', 'removeLabel', 'putEvents', 'tag',
];

function setUp(policy: ForeignKeyPolicy = ForeignKeyPolicy.FAIL) {
  const alice = fakeRotatorForAlice({ config: { foreignKeyPolicy: policy } });
  const { fake, arn, registration, clock, rotator, rotate: rotateSteps, advance: advanceMs } = alice;
  /** The gateway calls of `action`, in order. */
  const calls = async (action: () => Promise<unknown>): Promise<GatewayMethod[]> => {
    const from = fake.calls.length;
    await action();
    return fake.calls.slice(from);
  };
  const rotate = () => calls(rotateSteps);
  const lifecycle = () => calls(() => rotator.lifecycle());
  const advance = (days: number) => advanceMs(days * DAY);
  const tags = () => fake.inspectSecret(arn).tags;
  /** The key the progress record names (none once it is emptied). */
  const progressRecords = () => [progressKeyOf(tags())].filter((id) => id !== undefined);
  const labelled = (id: string) => fake.inspectSecret(arn).versions.some((v) => v.labels.includes(id));
  /** Two rotations, then weeks: the usage check and the deactivation of the first key; its deletion is due. */
  const untilDeletionDue = async () => {
    await rotate();
    await rotate();
    const first = fake.keyLabelAt(arn, Stage.PREVIOUS)!;
    for (const days of [4, 4]) {
      advance(days);
      await lifecycle();
    }
    advance(15);
    return first;
  };
  /** The audit events of a type sent so far (their detail). */
  const events = (type: string): { accessKeyId?: string; reason?: string }[] =>
    fake.events.filter((e) => e.DetailType === type).map((e) => JSON.parse(e.Detail!));
  return { fake, arn, registration, clock, rotator, rotate, lifecycle, advance, tags, progressRecords, labelled, events, untilDeletionDue };
}

describe('the deletion of an old key, under FAIL and DELETE_INACTIVE', () => {
  test.each([ForeignKeyPolicy.FAIL, ForeignKeyPolicy.DELETE_INACTIVE])(
    'GIVEN %s WHEN the lifecycle deletes the old key THEN its label goes and its progress record is emptied in as many calls as before, and the next rotation makes no UntagResource',
    async (policy) => {
      const { fake, rotate, lifecycle, advance, progressRecords, labelled, events, untilDeletionDue } = setUp(policy);
      const old = await untilDeletionDue();

      expect(await lifecycle()).toEqual(DELETION);
      expect(fake.keysOf('alice').map((k) => k.accessKeyId)).not.toContain(old);
      expect(labelled(old)).toBe(false);
      expect(progressRecords()).toEqual([]);
      expect(events(EventType.DELETED).map((e) => e.accessKeyId)).toEqual([old]);

      // Nothing is due any more: the listing alone says so, every hour.
      expect(await lifecycle()).toEqual(['listSecrets']);

      advance(8);
      expect(await rotate()).toEqual(ROTATION);
      // And the cycle repeats, at the same cost.
      advance(8);
      await lifecycle();
      advance(16);
      expect(await lifecycle()).toEqual(DELETION);
      advance(8);
      expect(await rotate()).toEqual(ROTATION);
    },
  );

  test('GIVEN the deletion done THEN the operator\'s view (the read model) shows no key to retire, and nothing due', async () => {
    const { fake, registration, clock, lifecycle, untilDeletionDue } = setUp();
    await untilDeletionDue();
    await lifecycle();
    const { state } = await readSecretState(fake, registration, clock());
    expect(state.retiring).toBeUndefined();
    expect(state.next).toEqual({ kind: 'none', reason: 'no old key to retire' });
    expect(state.keys.map((k) => k.role)).toEqual(['current']);
  });

  test('GIVEN the old key deleted by hand before any progress was recorded WHEN the lifecycle finds it gone THEN its label goes, and no tag call is made', async () => {
    const { fake, arn, rotate, lifecycle, advance, progressRecords, labelled, events } = setUp();
    await rotate();
    await rotate();
    const old = fake.keyLabelAt(arn, Stage.PREVIOUS)!;
    fake.operatorDeleteKey('alice', old);
    advance(4);
    expect(await lifecycle()).toEqual(['listSecrets', 'describeSecret', 'listAccessKeys', 'removeLabel', 'putEvents']);
    expect(labelled(old)).toBe(false);
    expect(progressRecords()).toEqual([]);
    expect(events(EventType.DELETED).map((e) => e.reason)).toEqual(['key was already gone (deleted outside the lifecycle)']);
  });
});

describe('the deletion of an old key, under ADOPT', () => {
  test('GIVEN ADOPT WHEN the lifecycle deletes the old key THEN the previous-key tag and the record are emptied in one call, and the next rotation has nothing to untag', async () => {
    const { rotate, lifecycle, advance, tags, labelled, events, untilDeletionDue } = setUp(ForeignKeyPolicy.ADOPT);
    const old = await untilDeletionDue();

    expect(await lifecycle()).toEqual(DELETION);
    expect(labelled(old)).toBe(false);
    expect(parsePreviousKeyHint(tags())).toBeUndefined();
    expect(progressKeyOf(tags())).toBeUndefined();
    // Nothing names a key to retire: the listing alone rules every transition out.
    expect(await lifecycle()).toEqual(['listSecrets']);

    advance(8);
    expect(await rotate()).toEqual(ROTATION);
    expect(events(EventType.LIFECYCLE_FAILED)).toEqual([]);
  });
});

describe('a crash in the middle of a deletion', () => {
  test('GIVEN the run dies after DeleteAccessKey, before the label goes WHEN the next run comes THEN it finds the key gone and forgets it', async () => {
    const { fake, rotator, rotate, lifecycle, advance, progressRecords, labelled, events, untilDeletionDue } = setUp();
    const old = await untilDeletionDue();
    fake.failOnce('deleteAccessKey', 'after');
    expect((await rotator.lifecycle()).failed).toBe(1);
    expect(fake.keysOf('alice').map((k) => k.accessKeyId)).not.toContain(old);
    expect(labelled(old)).toBe(true);

    expect(await lifecycle()).toEqual(DELETION.filter((m) => m !== 'deleteAccessKey'));
    expect(labelled(old)).toBe(false);
    expect(progressRecords()).toEqual([]);
    expect(events(EventType.DELETED).filter((e) => e.accessKeyId === old).map((e) => e.reason))
      .toEqual(['key was already gone (deleted outside the lifecycle)']);
    advance(8);
    expect(await rotate()).toEqual(ROTATION);
  });

  test('GIVEN the run dies after the label went, before the record is emptied THEN nothing is left to retire, and the next rotation empties the record', async () => {
    const { fake, rotator, rotate, lifecycle, advance, tags, progressRecords, labelled, untilDeletionDue } = setUp();
    const old = await untilDeletionDue();
    fake.failOnce('tag', 'before');
    expect((await rotator.lifecycle()).failed).toBe(1);
    expect(labelled(old)).toBe(false);
    expect(progressRecords()).toEqual([old]);
    expect(parseKeyProgress(tags(), old).deactivatedAt).toBeDefined();

    // The record names a key no label names any more: no decision reads it, nothing is due.
    expect(await lifecycle()).toEqual(['listSecrets']);
    advance(8);
    expect(await rotate()).toEqual(ROTATION);
    expect(progressRecords()).toEqual([]);
  });
});
