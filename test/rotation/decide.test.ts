/**
 * The pure decision core (`src/rotation/decide.ts`), specified case by case
 * and then by properties over generated inputs. Every time is a fixed Date:
 * no test reads the clock.
 */
import * as fc from 'fast-check';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import {
  CreateInput, CreatePlan, deactivationDueAt, deletionDueAt, LifecycleAction, LifecycleInput, MAX_KEYS_PER_USER,
  planCreate, planDeactivation, planLifecycle, usageCheckAt, usedAfterPromotion,
} from '../../src/rotation/decide';
import { AccessKey, ACTIVE, CreatingMarker, INACTIVE, PreviousKeyState, SecretConfig } from '../../src/rotation/model';

const USER = 'alice';
const CURRENT = 'AKIACURRENT00000001';
const PREVIOUS = 'AKIAPREVIOUS0000001';
const OTHER_PREVIOUS = 'AKIAPREVIOUS0000002';
const FOREIGN = 'AKIAFOREIGN00000001';
const OTHER_FOREIGN = 'AKIAFOREIGN00000002';
const ADOPTING = 'AKIAADOPTING0000001';
const ORPHAN = 'AKIAORPHAN000000001';

const SECOND = 1000;
const HOUR = 3_600 * SECOND;
const DAY = 24 * HOUR;

const active = (accessKeyId: string): AccessKey => ({ accessKeyId, status: ACTIVE });
const inactive = (accessKeyId: string): AccessKey => ({ accessKeyId, status: INACTIVE });
const marker = (...knownKeyIds: string[]): CreatingMarker => ({ knownKeyIds, since: new Date('2024-01-01T00:00:00Z') });

function plan(input: Partial<CreateInput>): CreatePlan {
  return planCreate({ userName: USER, keys: [], previousKeyIds: [], policy: ForeignKeyPolicy.FAIL, ...input });
}

function expectCreate(p: CreatePlan): Extract<CreatePlan, { kind: 'create' }> {
  if (p.kind !== 'create') throw new Error(`expected a create plan, got: ${p.reason}`);
  return p;
}

function expectFail(p: CreatePlan): Extract<CreatePlan, { kind: 'fail' }> {
  if (p.kind !== 'fail') throw new Error(`expected a fail plan, got: ${JSON.stringify(p)}`);
  return p;
}

const deletedIds = (p: CreatePlan) => (p.kind === 'create' ? p.deletions.map((d) => d.accessKeyId) : []);

describe('planCreate', () => {
  describe('keys this library owns', () => {
    test('GIVEN a user with no keys and no current key WHEN a rotation plans THEN it creates the first key and deletes nothing', () => {
      expect(plan({})).toEqual({ kind: 'create', deletions: [], remainingKeyIds: [], adoptKeyId: undefined });
    });

    test('GIVEN only the current key WHEN a rotation plans THEN it creates a key next to it and deletes nothing', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT)], currentKeyId: CURRENT }));
      expect(p.deletions).toEqual([]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
    });

    test('GIVEN the current key and an active previous key WHEN a rotation plans THEN the previous key is deleted to make room, reported as active', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), active(PREVIOUS)], currentKeyId: CURRENT, previousKeyIds: [PREVIOUS] }));
      expect(p.deletions).toEqual([{ accessKeyId: PREVIOUS, reason: expect.stringMatching(/make room/), wasActive: true }]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
    });

    test('GIVEN the current key and an inactive previous key WHEN a rotation plans THEN the previous key is deleted, reported as inactive', () => {
      const p = expectCreate(plan({ keys: [inactive(PREVIOUS), active(CURRENT)], currentKeyId: CURRENT, previousKeyIds: [PREVIOUS] }));
      expect(p.deletions).toEqual([{ accessKeyId: PREVIOUS, reason: expect.any(String), wasActive: false }]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
    });

    test('GIVEN a previous key and no current key WHEN a rotation plans THEN the previous key is kept (there is a free slot)', () => {
      const p = expectCreate(plan({ keys: [active(PREVIOUS)], previousKeyIds: [PREVIOUS] }));
      expect(p.deletions).toEqual([]);
      expect(p.remainingKeyIds).toEqual([PREVIOUS]);
    });

    test('GIVEN two previous keys and no current key WHEN a rotation plans THEN exactly one of them is deleted', () => {
      const p = expectCreate(plan({ keys: [active(PREVIOUS), active(OTHER_PREVIOUS)], previousKeyIds: [PREVIOUS, OTHER_PREVIOUS] }));
      expect(p.deletions).toHaveLength(1);
      expect(p.remainingKeyIds).toHaveLength(1);
      expect([...deletedIds(p), ...p.remainingKeyIds].sort()).toEqual([OTHER_PREVIOUS, PREVIOUS].sort());
    });

    test('GIVEN the current key also recorded as a previous key WHEN a rotation plans THEN the current key is still never deleted', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), active(PREVIOUS)], currentKeyId: CURRENT, previousKeyIds: [CURRENT, PREVIOUS] }));
      expect(deletedIds(p)).toEqual([PREVIOUS]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
    });

    test('GIVEN a previous key and an adopting key and no current key WHEN a rotation plans THEN the previous key (older generation) goes first and the adoption stands', () => {
      const p = expectCreate(plan({
        keys: [active(ADOPTING), active(PREVIOUS)], previousKeyIds: [PREVIOUS], adoptingKeyId: ADOPTING, policy: ForeignKeyPolicy.ADOPT,
      }));
      expect(deletedIds(p)).toEqual([PREVIOUS]);
      expect(p.remainingKeyIds).toEqual([ADOPTING]);
      expect(p.adoptKeyId).toBe(ADOPTING);
    });

    test('GIVEN the current key and a recorded adopting key WHEN a rotation plans THEN the adopting key makes room and is no longer reported as adopted', () => {
      const p = expectCreate(plan({
        keys: [active(CURRENT), active(ADOPTING)], currentKeyId: CURRENT, adoptingKeyId: ADOPTING, policy: ForeignKeyPolicy.ADOPT,
      }));
      expect(p.deletions).toEqual([{ accessKeyId: ADOPTING, reason: expect.any(String), wasActive: true }]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
      expect(p.adoptKeyId).toBeUndefined();
    });
  });

  describe('orphans of an interrupted attempt', () => {
    test('GIVEN a creating marker and an unowned key absent from its known keys WHEN a rotation plans THEN the key is deleted as an orphan, even under FAIL', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), active(ORPHAN)], currentKeyId: CURRENT, marker: marker(CURRENT) }));
      expect(p.deletions).toEqual([{ accessKeyId: ORPHAN, reason: expect.stringMatching(/orphan/), wasActive: true }]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
    });

    test('GIVEN a creating marker listing no key WHEN a rotation plans THEN an orphan is deleted and the owned keys are not treated as orphans', () => {
      const p = expectCreate(plan({ keys: [active(ORPHAN), active(PREVIOUS)], previousKeyIds: [PREVIOUS], marker: marker() }));
      expect(p.deletions).toEqual([{ accessKeyId: ORPHAN, reason: expect.stringMatching(/orphan/), wasActive: true }]);
      expect(p.remainingKeyIds).toEqual([PREVIOUS]);
    });

    test('GIVEN a creating marker that does not list the current and previous keys WHEN a rotation plans THEN neither is deleted as an orphan', () => {
      const p = expectCreate(plan({
        keys: [active(CURRENT), active(PREVIOUS)], currentKeyId: CURRENT, previousKeyIds: [PREVIOUS], marker: marker(),
      }));
      expect(p.deletions).toEqual([{ accessKeyId: PREVIOUS, reason: expect.not.stringMatching(/orphan/), wasActive: true }]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
    });

    test('GIVEN no creating marker and an unowned key WHEN a rotation plans under FAIL THEN the key is foreign, not an orphan: the plan fails naming it', () => {
      const p = expectFail(plan({ keys: [active(CURRENT), active(ORPHAN)], currentKeyId: CURRENT }));
      expect(p.accessKeyIds).toEqual([ORPHAN]);
    });

    test('GIVEN a creating marker that lists an unowned key WHEN a rotation plans under FAIL THEN the key is foreign: the plan fails naming it', () => {
      const p = expectFail(plan({ keys: [active(CURRENT), active(FOREIGN)], currentKeyId: CURRENT, marker: marker(CURRENT, FOREIGN) }));
      expect(p.accessKeyIds).toEqual([FOREIGN]);
      expect(p.reason).toContain(FOREIGN);
    });
  });

  describe('foreign keys under ForeignKeyPolicy.FAIL', () => {
    test.each([
      ['an inactive', inactive(FOREIGN)],
      ['an active', active(FOREIGN)],
    ])('GIVEN %s foreign key WHEN a rotation plans THEN it fails naming the user and the key, and deletes nothing', (_, key) => {
      const p = expectFail(plan({ keys: [active(CURRENT), key], currentKeyId: CURRENT, policy: ForeignKeyPolicy.FAIL }));
      expect(p.accessKeyIds).toEqual([FOREIGN]);
      expect(p.reason).toContain(`user ${USER}`);
      expect(p.reason).toContain(FOREIGN);
      expect(p.reason).not.toContain(CURRENT);
    });

    test('GIVEN two foreign keys and no current key WHEN a rotation plans THEN it fails naming both', () => {
      const p = expectFail(plan({ keys: [active(FOREIGN), inactive(OTHER_FOREIGN)], policy: ForeignKeyPolicy.FAIL }));
      expect(p.accessKeyIds.sort()).toEqual([FOREIGN, OTHER_FOREIGN].sort());
      expect(p.reason).toContain(FOREIGN);
      expect(p.reason).toContain(OTHER_FOREIGN);
    });
  });

  describe('foreign keys under ForeignKeyPolicy.DELETE_INACTIVE', () => {
    test('GIVEN an inactive foreign key WHEN a rotation plans THEN it is deleted, reported as inactive, with the policy as the reason', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), inactive(FOREIGN)], currentKeyId: CURRENT, policy: ForeignKeyPolicy.DELETE_INACTIVE }));
      expect(p.deletions).toEqual([{ accessKeyId: FOREIGN, reason: expect.stringContaining('DELETE_INACTIVE'), wasActive: false }]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
      expect(p.adoptKeyId).toBeUndefined();
    });

    test('GIVEN an active foreign key WHEN a rotation plans THEN it fails naming the user and that key', () => {
      const p = expectFail(plan({ keys: [active(CURRENT), active(FOREIGN)], currentKeyId: CURRENT, policy: ForeignKeyPolicy.DELETE_INACTIVE }));
      expect(p.accessKeyIds).toEqual([FOREIGN]);
      expect(p.reason).toContain(`user ${USER}`);
      expect(p.reason).toContain(FOREIGN);
    });

    test('GIVEN an active and an inactive foreign key WHEN a rotation plans THEN it fails naming only the active one', () => {
      const p = expectFail(plan({ keys: [inactive(OTHER_FOREIGN), active(FOREIGN)], policy: ForeignKeyPolicy.DELETE_INACTIVE }));
      expect(p.accessKeyIds).toEqual([FOREIGN]);
      expect(p.reason).toContain(FOREIGN);
      expect(p.reason).not.toContain(OTHER_FOREIGN);
    });
  });

  describe('foreign keys under ForeignKeyPolicy.ADOPT', () => {
    test('GIVEN one active foreign key and no current key WHEN a rotation plans THEN the key is adopted and kept', () => {
      const p = expectCreate(plan({ keys: [active(FOREIGN)], policy: ForeignKeyPolicy.ADOPT }));
      expect(p).toEqual({ kind: 'create', deletions: [], remainingKeyIds: [FOREIGN], adoptKeyId: FOREIGN });
    });

    test('GIVEN one active and one inactive foreign key WHEN a rotation plans THEN the inactive one is deleted and the active one adopted', () => {
      const p = expectCreate(plan({ keys: [inactive(OTHER_FOREIGN), active(FOREIGN)], policy: ForeignKeyPolicy.ADOPT }));
      expect(p.deletions).toEqual([{ accessKeyId: OTHER_FOREIGN, reason: expect.stringContaining('ADOPT'), wasActive: false }]);
      expect(p.remainingKeyIds).toEqual([FOREIGN]);
      expect(p.adoptKeyId).toBe(FOREIGN);
    });

    test('GIVEN the current key and an inactive foreign key WHEN a rotation plans THEN the foreign key is deleted and nothing is adopted', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), inactive(FOREIGN)], currentKeyId: CURRENT, policy: ForeignKeyPolicy.ADOPT }));
      expect(deletedIds(p)).toEqual([FOREIGN]);
      expect(p.remainingKeyIds).toEqual([CURRENT]);
      expect(p.adoptKeyId).toBeUndefined();
    });

    test('GIVEN two active foreign keys WHEN a rotation plans THEN it fails naming the user and both keys', () => {
      const p = expectFail(plan({ keys: [active(FOREIGN), active(OTHER_FOREIGN)], policy: ForeignKeyPolicy.ADOPT }));
      expect(p.accessKeyIds.sort()).toEqual([FOREIGN, OTHER_FOREIGN].sort());
      expect(p.reason).toContain(`user ${USER}`);
      expect(p.reason).toContain(FOREIGN);
      expect(p.reason).toContain(OTHER_FOREIGN);
    });

    test('GIVEN an adopting key already recorded and another active foreign key WHEN a rotation plans THEN it fails naming both', () => {
      const p = expectFail(plan({ keys: [active(ADOPTING), active(FOREIGN)], adoptingKeyId: ADOPTING, policy: ForeignKeyPolicy.ADOPT }));
      expect(p.accessKeyIds.sort()).toEqual([ADOPTING, FOREIGN].sort());
      expect(p.reason).toContain(`user ${USER}`);
      expect(p.reason).toContain(ADOPTING);
      expect(p.reason).toContain(FOREIGN);
    });

    test('GIVEN a retry that finds its own adopting key recorded WHEN a rotation plans THEN the adoption is kept and nothing is deleted', () => {
      const p = expectCreate(plan({ keys: [active(ADOPTING)], adoptingKeyId: ADOPTING, marker: marker(ADOPTING), policy: ForeignKeyPolicy.ADOPT }));
      expect(p).toEqual({ kind: 'create', deletions: [], remainingKeyIds: [ADOPTING], adoptKeyId: ADOPTING });
    });

    // Documents the README ("one active foreign key becomes the previous key after the first rotation and
    // follows the lifecycle") and ForeignKeyPolicy.ADOPT; see the report: src deletes the key at once.
    test('GIVEN the current key and one active foreign key WHEN a rotation plans THEN the active foreign key is not deleted', () => {
      const p = plan({ keys: [active(CURRENT), active(FOREIGN)], currentKeyId: CURRENT, policy: ForeignKeyPolicy.ADOPT });
      expect(deletedIds(p)).not.toContain(FOREIGN);
      if (p.kind === 'fail') expect(p.reason).toContain(FOREIGN);
    });
  });
});

describe('planLifecycle', () => {
  const SUPERSEDED = new Date('2024-03-01T00:00:00Z');
  const config: SecretConfig = {
    userName: USER,
    deactivateAfterSeconds: 7 * 86_400,
    deleteAfterSeconds: 14 * 86_400,
    postponeWhileInUseSeconds: 0,
    foreignKeyPolicy: ForeignKeyPolicy.FAIL,
  };
  const CHECK_AT = new Date(SUPERSEDED.getTime() + 3.5 * DAY);
  const DUE = new Date(SUPERSEDED.getTime() + 7 * DAY);
  const DEACTIVATED = new Date(DUE.getTime() + 2 * HOUR);
  const DELETE_AT = new Date(DEACTIVATED.getTime() + 14 * DAY);
  const at = (d: Date, deltaMs: number) => new Date(d.getTime() + deltaMs);
  const previous = (state: Partial<PreviousKeyState> = {}): PreviousKeyState => ({ accessKeyId: PREVIOUS, supersededAt: SUPERSEDED, ...state });
  const decide = (input: Partial<LifecycleInput>, now: Date): LifecycleAction => planLifecycle({ config, currentKeyId: CURRENT, ...input }, now);

  describe('due times', () => {
    test('GIVEN a 7-day grace period WHEN the times are computed THEN usage is checked at 3.5 days and deactivation is due at 7 days', () => {
      expect(usageCheckAt(config, previous())).toEqual(CHECK_AT);
      expect(deactivationDueAt(config, previous())).toEqual(DUE);
    });

    test('GIVEN a key not deactivated yet WHEN the deletion time is computed THEN there is none', () => {
      expect(deletionDueAt(config, previous())).toBeUndefined();
    });

    test('GIVEN a deactivated key WHEN the deletion time is computed THEN it is deleteAfter after deactivation', () => {
      expect(deletionDueAt(config, previous({ deactivatedAt: DEACTIVATED }))).toEqual(DELETE_AT);
    });
  });

  describe('nothing to do', () => {
    test('GIVEN no previous key WHEN the lifecycle runs THEN nothing is done and no next time is given', () => {
      expect(decide({ previous: undefined }, DUE)).toEqual({ kind: 'none', reason: 'no previous key' });
    });

    test('GIVEN a previous key already deleted WHEN the lifecycle runs long after THEN nothing is done', () => {
      const p = previous({ deactivatedAt: DEACTIVATED, deletedAt: DELETE_AT });
      expect(decide({ previous: p }, at(DELETE_AT, 30 * DAY))).toMatchObject({ kind: 'none', reason: 'previous key deleted' });
    });

    test('GIVEN a previous key that is the current key WHEN the lifecycle runs after the due time THEN nothing is done to it', () => {
      const action = decide({ previous: previous({ accessKeyId: CURRENT }), currentKeyId: CURRENT }, at(DUE, DAY));
      expect(action.kind).toBe('none');
      expect(action).toMatchObject({ reason: expect.stringContaining(CURRENT) });
    });

    test.each([
      ['before the usage check', at(CHECK_AT, HOUR), previous()],
      ['after the due time', at(DUE, DAY), previous()],
      ['after the deletion time', at(DELETE_AT, DAY), previous({ deactivatedAt: DEACTIVATED })],
    ])('GIVEN an operator hold, %s, WHEN the lifecycle runs THEN nothing is done and the reason names the hold', (_, now, p) => {
      expect(decide({ previous: p, hold: 're-activated by bob' }, now)).toEqual({ kind: 'none', reason: expect.stringContaining('re-activated by bob') });
    });

    test('GIVEN an empty operator hold WHEN the lifecycle runs after the due time THEN the hold still applies', () => {
      expect(decide({ previous: previous(), hold: '' }, at(DUE, DAY)).kind).toBe('none');
    });

    test('GIVEN a hold that names the previous key WHEN the lifecycle runs after the due time THEN the key is held', () => {
      const p = previous();
      expect(decide({ previous: p, hold: `id=${p.accessKeyId} re-activated outside the lifecycle` }, at(DUE, DAY)).kind).toBe('none');
    });

    test('GIVEN a hold that names an older key WHEN a newer previous key is due THEN the hold does not keep the newer key active', () => {
      expect(decide({ previous: previous(), hold: 'id=AKIAOLDERKEY0000001 re-activated outside the lifecycle' }, at(DUE, DAY)).kind).toBe('deactivate');
    });
  });

  describe('grace period and usage check', () => {
    test('GIVEN a key just superseded WHEN the lifecycle runs before the usage-check point THEN nothing is done until that point', () => {
      expect(decide({ previous: previous() }, at(CHECK_AT, -1))).toEqual({ kind: 'none', reason: 'grace period', nextAt: CHECK_AT });
    });

    test('GIVEN usage not checked yet WHEN the lifecycle runs exactly at the usage-check point THEN it checks usage', () => {
      expect(decide({ previous: previous() }, CHECK_AT)).toEqual({ kind: 'check-usage', accessKeyId: PREVIOUS });
    });

    test('GIVEN usage not checked yet WHEN the lifecycle runs between the usage-check point and the due time THEN it checks usage', () => {
      expect(decide({ previous: previous() }, at(DUE, -1))).toEqual({ kind: 'check-usage', accessKeyId: PREVIOUS });
    });

    test('GIVEN usage already checked WHEN the lifecycle runs before the due time THEN it does not check again and waits for the due time', () => {
      const p = previous({ usageCheckedAt: CHECK_AT });
      expect(decide({ previous: p }, at(CHECK_AT, HOUR))).toEqual({ kind: 'none', reason: 'grace period', nextAt: DUE });
      expect(decide({ previous: p }, at(DUE, -1))).toEqual({ kind: 'none', reason: 'grace period', nextAt: DUE });
    });
  });

  describe('deactivation', () => {
    test('GIVEN usage checked WHEN the lifecycle runs exactly at the due time THEN it deactivates', () => {
      expect(decide({ previous: previous({ usageCheckedAt: CHECK_AT }) }, DUE)).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN usage never checked (missed runs) WHEN the lifecycle runs at the due time THEN it deactivates rather than checking usage', () => {
      expect(decide({ previous: previous() }, DUE)).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN a key long overdue WHEN the lifecycle runs after the deletion would have been due THEN it deactivates (never deletes an active key)', () => {
      expect(decide({ previous: previous() }, at(DUE, 60 * DAY))).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });
  });

  describe('deletion', () => {
    test('GIVEN a deactivated key WHEN the lifecycle runs before the deletion time THEN nothing is done until the deletion time', () => {
      const p = previous({ usageCheckedAt: CHECK_AT, deactivatedAt: DEACTIVATED });
      expect(decide({ previous: p }, DEACTIVATED)).toEqual({ kind: 'none', reason: 'inactive, retained', nextAt: DELETE_AT });
      expect(decide({ previous: p }, at(DELETE_AT, -1))).toEqual({ kind: 'none', reason: 'inactive, retained', nextAt: DELETE_AT });
    });

    test('GIVEN a deactivated key WHEN the lifecycle runs exactly at the deletion time THEN it deletes', () => {
      expect(decide({ previous: previous({ deactivatedAt: DEACTIVATED }) }, DELETE_AT)).toEqual({ kind: 'delete', accessKeyId: PREVIOUS });
    });

    test('GIVEN a deactivated key WHEN the lifecycle runs after the deletion time THEN it deletes', () => {
      expect(decide({ previous: previous({ deactivatedAt: DEACTIVATED }) }, at(DELETE_AT, DAY))).toEqual({ kind: 'delete', accessKeyId: PREVIOUS });
    });
  });
});

describe('planDeactivation', () => {
  const SUPERSEDED = new Date('2024-03-01T00:00:00Z');
  const DUE = new Date(SUPERSEDED.getTime() + 7 * DAY);
  const configWith = (postponeWhileInUseSeconds: number): SecretConfig => ({
    userName: USER,
    deactivateAfterSeconds: 7 * 86_400,
    deleteAfterSeconds: 14 * 86_400,
    postponeWhileInUseSeconds,
    foreignKeyPolicy: ForeignKeyPolicy.FAIL,
  });
  const previous = (usageCheckedAt?: Date): PreviousKeyState => ({ accessKeyId: PREVIOUS, supersededAt: SUPERSEDED, usageCheckedAt });
  const USED_AFTER = new Date(SUPERSEDED.getTime() + DAY);
  const BOUND = new Date(DUE.getTime() + 3 * DAY);

  describe('usedAfterPromotion', () => {
    test.each([
      ['never used', false, undefined],
      ['last used before promotion', false, new Date(SUPERSEDED.getTime() - HOUR)],
      ['last used at the promotion instant', false, SUPERSEDED],
      ['last used 1 ms after promotion', true, new Date(SUPERSEDED.getTime() + 1)],
    ])('GIVEN a key %s WHEN asked whether it is used after promotion THEN the answer is %s', (_, expected, lastUsed) => {
      expect(usedAfterPromotion(previous(), lastUsed)).toBe(expected);
    });
  });

  test('GIVEN a key never used WHEN deactivation is due THEN it is deactivated, not in use', () => {
    expect(planDeactivation(configWith(0), previous(), undefined, DUE)).toEqual({ kind: 'deactivate', stillInUse: false });
  });

  test('GIVEN a key last used before promotion WHEN deactivation is due, even with postponing opted into, THEN it is deactivated, not in use', () => {
    const lastUsed = new Date(SUPERSEDED.getTime() - DAY);
    expect(planDeactivation(configWith(3 * 86_400), previous(), lastUsed, DUE)).toEqual({ kind: 'deactivate', stillInUse: false });
  });

  test('GIVEN a key used after promotion and no postponing (0) WHEN deactivation is due THEN it is deactivated anyway, marked still in use', () => {
    expect(planDeactivation(configWith(0), previous(), USED_AFTER, DUE)).toEqual({ kind: 'deactivate', stillInUse: true });
  });

  test('GIVEN a key used after promotion and postponing of 3 days WHEN deactivation is due THEN it is postponed until the bound, with a warning', () => {
    expect(planDeactivation(configWith(3 * 86_400), previous(), USED_AFTER, DUE)).toEqual({ kind: 'postpone', until: BOUND, warn: true });
  });

  test('GIVEN a key used after promotion and postponing of 3 days WHEN it is 1 ms before the bound THEN it is still postponed', () => {
    expect(planDeactivation(configWith(3 * 86_400), previous(), USED_AFTER, new Date(BOUND.getTime() - 1)))
      .toMatchObject({ kind: 'postpone', until: BOUND });
  });

  test.each([
    ['exactly at', BOUND],
    ['after', new Date(BOUND.getTime() + DAY)],
  ])('GIVEN a key used after promotion and postponing of 3 days WHEN it is %s the bound THEN it is deactivated, marked still in use', (_, now) => {
    expect(planDeactivation(configWith(3 * 86_400), previous(), USED_AFTER, now)).toEqual({ kind: 'deactivate', stillInUse: true });
  });

  test.each([
    ['23 hours', false, 23 * HOUR],
    ['1 ms less than a day', false, DAY - 1],
    ['exactly a day', true, DAY],
    ['25 hours', true, DAY + HOUR],
  ])('GIVEN a postponed key whose usage was checked %s ago WHEN planning again THEN warn is %s', (_, warn, ago) => {
    const now = new Date(DUE.getTime() + DAY);
    const p = previous(new Date(now.getTime() - ago));
    expect(planDeactivation(configWith(3 * 86_400), p, USED_AFTER, now)).toEqual({ kind: 'postpone', until: BOUND, warn });
  });
});

// ---- Properties ----------------------------------------------------------------------------------

const accessKeyIdArb = fc.stringMatching(/^AKIA[A-Z2-7]{4}$/);
const statusArb = fc.constantFrom(ACTIVE, INACTIVE);
const policyArb = fc.constantFrom(...Object.values(ForeignKeyPolicy));
/** Absent half of the time (fast-check's default is one time in five). */
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
/** planCreate is cheap and its interesting cases are narrow: search more widely than the default 100 runs. */
const RUNS = { numRuns: 2_000 };

/** Up to two IAM keys, and ids for the secret's state drawn from those keys or not. */
const createInputArb: fc.Arbitrary<CreateInput> = fc
  .uniqueArray(fc.record({ accessKeyId: accessKeyIdArb, status: statusArb }), { maxLength: MAX_KEYS_PER_USER, selector: (k) => k.accessKeyId })
  .chain((keys) => {
    const listed = keys.map((k) => k.accessKeyId);
    const idArb = listed.length > 0 ? fc.oneof(fc.constantFrom(...listed), accessKeyIdArb) : accessKeyIdArb;
    return fc.record({
      userName: fc.constant(USER),
      keys: fc.constant(keys as AccessKey[]),
      currentKeyId: optional(idArb),
      previousKeyIds: fc.uniqueArray(idArb, { maxLength: 2 }),
      adoptingKeyId: optional(idArb),
      marker: optional(fc.record({ knownKeyIds: fc.uniqueArray(idArb, { maxLength: 3 }), since: fc.constant(new Date('2024-01-01T00:00:00Z')) })),
      policy: policyArb,
    });
  });

function ownedIds(input: CreateInput): Set<string> {
  return new Set([
    ...input.previousKeyIds,
    ...(input.currentKeyId ? [input.currentKeyId] : []),
    ...(input.adoptingKeyId ? [input.adoptingKeyId] : []),
  ]);
}

const isOrphan = (input: CreateInput, id: string) =>
  !ownedIds(input).has(id) && input.marker !== undefined && !input.marker.knownKeyIds.includes(id);

/** Keys neither owned (current, previous, adopting) nor orphans: the ones ForeignKeyPolicy is about. */
const foreignKeys = (input: CreateInput) => input.keys.filter((k) => !ownedIds(input).has(k.accessKeyId) && !isOrphan(input, k.accessKeyId));

describe('planCreate properties', () => {
  test('GIVEN any keys, secret state and policy WHEN a rotation plans THEN the current key is never deleted', () => {
    fc.assert(fc.property(createInputArb, (input) => {
      if (input.currentKeyId) expect(deletedIds(planCreate(input))).not.toContain(input.currentKeyId);
    }), RUNS);
  });

  test('GIVEN any keys, secret state and policy WHEN a rotation plans THEN an active key neither owned nor an orphan is never deleted', () => {
    fc.assert(fc.property(createInputArb, (input) => {
      const deleted = deletedIds(planCreate(input));
      for (const key of foreignKeys(input).filter((k) => k.status === ACTIVE)) {
        expect(deleted).not.toContain(key.accessKeyId);
      }
    }), RUNS);
  });

  test('GIVEN any input WHEN the plan is to create THEN the remaining keys are exactly the keys minus the deletions and leave room for the new key', () => {
    fc.assert(fc.property(createInputArb, (input) => {
      const p = planCreate(input);
      if (p.kind !== 'create') return;
      const deleted = p.deletions.map((d) => d.accessKeyId);
      expect(new Set(deleted).size).toBe(deleted.length);
      const listed = input.keys.map((k) => k.accessKeyId);
      for (const id of deleted) expect(listed).toContain(id);
      const remaining = listed.filter((id) => !deleted.includes(id));
      expect(remaining.length).toBeLessThanOrEqual(MAX_KEYS_PER_USER - 1);
      expect([...p.remainingKeyIds].sort()).toEqual(remaining.sort());
    }), RUNS);
  });

  test('GIVEN policy FAIL and a key neither owned nor an orphan WHEN a rotation plans THEN it fails naming the user and every such key', () => {
    fc.assert(fc.property(createInputArb.map((input) => ({ ...input, policy: ForeignKeyPolicy.FAIL })), (input) => {
      const foreign = foreignKeys(input);
      fc.pre(foreign.length > 0);
      const p = expectFail(planCreate(input));
      expect(p.reason).toContain(USER);
      for (const key of foreign) {
        expect(p.accessKeyIds).toContain(key.accessKeyId);
        expect(p.reason).toContain(key.accessKeyId);
      }
    }), RUNS);
  });
});

const T0 = Date.parse('2024-03-01T00:00:00Z');
const MAX_SECONDS = 30 * 86_400;

const configArb: fc.Arbitrary<SecretConfig> = fc.record({
  userName: fc.constant(USER),
  deactivateAfterSeconds: fc.integer({ min: 0, max: MAX_SECONDS }),
  deleteAfterSeconds: fc.integer({ min: 0, max: MAX_SECONDS }),
  postponeWhileInUseSeconds: fc.integer({ min: 0, max: MAX_SECONDS }),
  foreignKeyPolicy: policyArb,
});

const timeArb = fc.integer({ min: T0, max: T0 + 4 * MAX_SECONDS * SECOND }).map((ms) => new Date(ms));

describe('planLifecycle properties', () => {
  test('GIVEN any state WHEN the lifecycle plans THEN it never acts on the current key and never deletes a key that was not deactivated', () => {
    const ids = ['AKIAAAAA', 'AKIABBBB'];
    const inputArb = fc.record({
      config: configArb,
      previous: optional(fc.record({
        accessKeyId: fc.constantFrom(...ids),
        supersededAt: timeArb,
        deactivatedAt: optional(timeArb),
        deletedAt: optional(timeArb),
        usageCheckedAt: optional(timeArb),
      })),
      currentKeyId: optional(fc.constantFrom(...ids)),
      hold: optional(fc.string()),
    });
    fc.assert(fc.property(inputArb, timeArb, (input, now) => {
      const action = planLifecycle(input, now);
      if (action.kind === 'none') return;
      expect(action.accessKeyId).toBe(input.previous?.accessKeyId);
      expect(action.accessKeyId).not.toBe(input.currentKeyId);
      if (action.kind === 'delete') expect(input.previous?.deactivatedAt).toBeDefined();
    }));
  });

  test('GIVEN runs at increasing times WHEN each action is applied THEN deactivation and deletion happen at the first due run, one step per run', () => {
    // Run times in seconds after the supersession, biased towards the boundaries.
    const scenarioArb = configArb.chain((config) => {
      const due = config.deactivateAfterSeconds;
      const offsetArb = fc.oneof(
        fc.integer({ min: 0, max: 3 * MAX_SECONDS }),
        fc.constantFrom(Math.floor(due / 2), due - 1, due, due + config.deleteAfterSeconds - 1, due + config.deleteAfterSeconds),
      );
      return fc.record({
        config: fc.constant(config),
        offsets: fc.uniqueArray(offsetArb.filter((s) => s >= 0), { minLength: 1, maxLength: 20 }).map((a) => a.sort((x, y) => x - y)),
      });
    });

    fc.assert(fc.property(scenarioArb, ({ config, offsets }) => {
      const runs = offsets.map((s) => new Date(T0 + s * SECOND));
      let state: PreviousKeyState = { accessKeyId: PREVIOUS, supersededAt: new Date(T0) };
      const done: Record<'check-usage' | 'deactivate' | 'delete', number[]> = { 'check-usage': [], 'deactivate': [], 'delete': [] };

      runs.forEach((now, run) => {
        const action = planLifecycle({ config, previous: state, currentKeyId: CURRENT }, now);
        if (action.kind === 'none') return;
        done[action.kind].push(run);
        if (action.kind === 'check-usage') state = { ...state, usageCheckedAt: now };
        if (action.kind === 'deactivate') state = { ...state, deactivatedAt: now };
        if (action.kind === 'delete') state = { ...state, deletedAt: now };
      });

      const dueMs = T0 + config.deactivateAfterSeconds * SECOND;
      const checkMs = T0 + config.deactivateAfterSeconds * SECOND / 2;
      const firstCheck = runs.findIndex((t) => t.getTime() >= checkMs && t.getTime() < dueMs);
      expect(done['check-usage']).toEqual(firstCheck < 0 ? [] : [firstCheck]);

      const firstDue = runs.findIndex((t) => t.getTime() >= dueMs);
      expect(done.deactivate).toEqual(firstDue < 0 ? [] : [firstDue]);
      if (firstDue < 0) {
        expect(done.delete).toEqual([]);
        return;
      }
      const deleteMs = runs[firstDue].getTime() + config.deleteAfterSeconds * SECOND;
      const firstDeletion = runs.findIndex((t, run) => run > firstDue && t.getTime() >= deleteMs);
      expect(done.delete).toEqual(firstDeletion < 0 ? [] : [firstDeletion]);
    }));
  });
});
