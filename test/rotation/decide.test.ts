/**
 * The pure decision core (`src/rotation/decide.ts`), specified case by case
 * and then by properties over generated inputs. Every time is a fixed Date:
 * no test reads the clock. What a decision acts on must be proven (staging
 * labels, IAM): tag hints may only postpone it, never widen it or bring it forward.
 */
import * as fc from 'fast-check';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import { Removal, Stage, Tags } from '../../src/rotation/contract';
import {
  CLOCK_TOLERANCE_MS, CreateInput, CreatePlan, currentKeySuspect, deactivationDueAt, departing, isRollback, keysToRelease, LifecycleAction,
  LifecycleInput,
  MAX_KEYS_PER_USER, OrphanEvidence, planCreate, ReleaseInput, planDeactivation, planLifecycle, planRemoval, provenOrphan, RemovalInput,
  RetirementConfig,
  MAX_PROMOTION_DELAY_MS, retirableKey, revokeRequested, supersededAt, usageCheckAt, usedAfterPromotion,
  planConvergence, rateSeconds,
} from '../../src/rotation/decide';
import type { AccessKey, ListedSecret } from '../../src/rotation/gateway';
import { ACTIVE, INACTIVE, KeyProgress, parseKeyProgress, StagedKeys } from '../../src/rotation/model';
import { RotationMode } from '../../src/rotation-mode';

const USER = 'alice';
const CURRENT = 'AKIACURRENT000000001';
const PREVIOUS = 'AKIAPREVIOUS00000001';
const OLDER = 'AKIAOLDER00000000001';
const PENDING = 'AKIAPENDING000000001';
const FOREIGN = 'AKIAFOREIGN000000001';
const OTHER_FOREIGN = 'AKIAFOREIGN000000002';
const ADOPTING = 'AKIAADOPTING00000001';
const ORPHAN = 'AKIAORPHAN0000000001';

const SECOND = 1000;
const HOUR = 3_600 * SECOND;
const DAY = 24 * HOUR;
const at = (d: Date, deltaMs: number) => new Date(d.getTime() + deltaMs);

const active = (accessKeyId: string, createdAt?: Date): AccessKey => ({ accessKeyId, status: ACTIVE, createdAt });
const inactive = (accessKeyId: string, createdAt?: Date): AccessKey => ({ accessKeyId, status: INACTIVE, createdAt });

// ---- planCreate -----------------------------------------------------------------------------------

/** The secret's state as its labels prove it: current and previous are held, as is every id in `held`. */
function plan(input: Partial<CreateInput>): CreatePlan {
  const staged = [input.currentKeyId, input.previousKeyId].filter((id): id is string => id !== undefined);
  const held = new Set([...(input.heldKeyIds ?? []), ...staged]);
  return planCreate({ userName: USER, keys: [], orphanKeyIds: [], policy: ForeignKeyPolicy.FAIL, ...input, heldKeyIds: [...held] });
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
  describe('keys the secret holds', () => {
    test('GIVEN a user with no keys and a metadata-only secret WHEN a rotation plans THEN it creates the first key and deletes nothing', () => {
      expect(plan({})).toEqual({ kind: 'create', deletions: [], adoptKeyId: undefined });
    });

    test('GIVEN only the current key WHEN a rotation plans THEN it creates a key next to it and deletes nothing', () => {
      expect(expectCreate(plan({ keys: [active(CURRENT)], currentKeyId: CURRENT })).deletions).toEqual([]);
    });

    test('GIVEN the current key and an active previous key WHEN a rotation plans THEN it fails before deleting anything, naming the key and the way out', () => {
      const p = expectFail(plan({ keys: [active(CURRENT), active(PREVIOUS)], currentKeyId: CURRENT, previousKeyId: PREVIOUS }));
      expect(p).toMatchObject({ accessKeyIds: [PREVIOUS], abandon: true });
      expect(p.reason).toMatch(new RegExp(`old key ${PREVIOUS} is still active .*a rotation never deletes an active key.*or revoke`));
    });

    test('GIVEN the previous key in its grace period WHEN a rotation plans THEN the failure says when the lifecycle deactivates it', () => {
      const due = new Date('2025-03-08T00:00:00.000Z');
      const p = expectFail(plan({
        keys: [active(CURRENT), active(PREVIOUS)],
        currentKeyId: CURRENT,
        previousKeyId: PREVIOUS,
        retiring: { accessKeyId: PREVIOUS, deactivationDueAt: due },
      }));
      expect(p.reason).toContain(`its grace period ends at ${due.toISOString()}, when the lifecycle deactivates it`);
      expect(p.reason).toContain('rotate after it is deactivated');
    });

    test('GIVEN the previous key active again under an operator\'s hold WHEN a rotation plans THEN it fails, saying to release the hold', () => {
      const p = expectFail(plan({
        keys: [active(CURRENT), active(PREVIOUS)],
        currentKeyId: CURRENT,
        previousKeyId: PREVIOUS,
        retiring: { accessKeyId: PREVIOUS, held: true },
      }));
      expect(p.reason).toMatch(/an operator's hold keeps it active.*release the hold/);
    });

    test('GIVEN an emergency revoke and an active previous key WHEN a rotation plans THEN the revoke deletes it at once, reported as active', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), active(PREVIOUS)], currentKeyId: CURRENT, previousKeyId: PREVIOUS, revoke: true }));
      expect(p.deletions).toEqual([{ accessKeyId: PREVIOUS, reason: expect.stringMatching(/emergency revoke.*make room/), wasActive: true }]);
    });

    test('GIVEN the current key and an inactive previous key WHEN a rotation plans THEN the previous key is deleted, reported as inactive', () => {
      const p = expectCreate(plan({ keys: [inactive(PREVIOUS), active(CURRENT)], currentKeyId: CURRENT, previousKeyId: PREVIOUS }));
      expect(p.deletions).toEqual([{ accessKeyId: PREVIOUS, reason: expect.any(String), wasActive: false }]);
    });

    test('GIVEN the current key and an older key still held by a version WHEN a rotation plans THEN the older key makes room', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), inactive(OLDER)], currentKeyId: CURRENT, heldKeyIds: [OLDER] }));
      expect(deletedIds(p)).toEqual([OLDER]);
    });

    test('GIVEN a previous key and no current key WHEN a rotation plans THEN the previous key is kept (there is a free slot)', () => {
      expect(expectCreate(plan({ keys: [active(PREVIOUS)], previousKeyId: PREVIOUS })).deletions).toEqual([]);
    });

    test('GIVEN two inactive held keys and no current key WHEN a rotation plans THEN exactly one of them is deleted, the previous one first', () => {
      const p = expectCreate(plan({ keys: [inactive(OLDER), inactive(PREVIOUS)], previousKeyId: PREVIOUS, heldKeyIds: [OLDER] }));
      expect(deletedIds(p)).toEqual([PREVIOUS]);
    });

    test('GIVEN an active previous key and an inactive older held key WHEN a rotation plans THEN the inactive one makes room', () => {
      const p = expectCreate(plan({ keys: [inactive(OLDER), active(PREVIOUS)], previousKeyId: PREVIOUS, heldKeyIds: [OLDER] }));
      expect(deletedIds(p)).toEqual([OLDER]);
    });

    test('GIVEN keys held by versions and a FAIL policy WHEN a rotation plans THEN none of them is foreign', () => {
      expect(plan({ keys: [active(CURRENT), inactive(OLDER)], currentKeyId: CURRENT, heldKeyIds: [OLDER] }).kind).toBe('create');
    });
  });

  describe('orphans of an interrupted attempt', () => {
    test('GIVEN a proven orphan WHEN a rotation plans THEN it is deleted as an orphan, even under FAIL', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), active(ORPHAN)], currentKeyId: CURRENT, orphanKeyIds: [ORPHAN] }));
      expect(p.deletions).toEqual([{ accessKeyId: ORPHAN, reason: expect.stringMatching(/orphan/), wasActive: true }]);
    });

    test('GIVEN a key named as an orphan that the secret holds WHEN a rotation plans THEN it is treated as held, never as an orphan', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT)], currentKeyId: CURRENT, orphanKeyIds: [CURRENT] }));
      expect(p.deletions).toEqual([]);
    });

    test('GIVEN an unheld key that is not a proven orphan WHEN a rotation plans under FAIL THEN it is foreign: the plan fails naming it', () => {
      const p = expectFail(plan({ keys: [active(CURRENT), active(ORPHAN)], currentKeyId: CURRENT }));
      expect(p.accessKeyIds).toEqual([ORPHAN]);
    });
  });

  describe('tag hints are not proof', () => {
    test.each([ForeignKeyPolicy.FAIL, ForeignKeyPolicy.DELETE_INACTIVE])(
      'GIVEN a previous-key hint naming an unheld active key under %s WHEN a rotation plans THEN the key is foreign, not the previous key', (policy) => {
        const p = expectFail(plan({ keys: [active(CURRENT), active(FOREIGN)], currentKeyId: CURRENT, previousHint: FOREIGN, policy }));
        expect(p.accessKeyIds).toEqual([FOREIGN]);
      });

    test.each([ForeignKeyPolicy.FAIL, ForeignKeyPolicy.DELETE_INACTIVE])(
      'GIVEN an adopting hint naming an unheld active key under %s WHEN a rotation plans THEN the key is foreign', (policy) => {
        const p = expectFail(plan({ keys: [active(FOREIGN)], adoptingHint: FOREIGN, policy }));
        expect(p.accessKeyIds).toEqual([FOREIGN]);
      });

    test('GIVEN a previous-key hint naming the current key under ADOPT WHEN a rotation plans THEN the current key is still never deleted', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT)], currentKeyId: CURRENT, previousHint: CURRENT, policy: ForeignKeyPolicy.ADOPT }));
      expect(p.deletions).toEqual([]);
    });

    test('GIVEN an adopting hint naming the current key under ADOPT WHEN a rotation plans THEN it is not adopted and not deleted', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT)], currentKeyId: CURRENT, adoptingHint: CURRENT, policy: ForeignKeyPolicy.ADOPT }));
      expect(p).toEqual({ kind: 'create', deletions: [], adoptKeyId: undefined });
    });

    test('GIVEN an adopting hint naming a key IAM does not list under ADOPT WHEN a rotation plans THEN nothing is adopted', () => {
      expect(plan({ keys: [active(CURRENT)], currentKeyId: CURRENT, adoptingHint: FOREIGN, policy: ForeignKeyPolicy.ADOPT }))
        .toEqual({ kind: 'create', deletions: [], adoptKeyId: undefined });
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
      expect(plan({ keys: [active(FOREIGN)], policy: ForeignKeyPolicy.ADOPT })).toEqual({ kind: 'create', deletions: [], adoptKeyId: FOREIGN });
    });

    test('GIVEN one active and one inactive foreign key WHEN a rotation plans THEN the inactive one is deleted and the active one adopted', () => {
      const p = expectCreate(plan({ keys: [inactive(OTHER_FOREIGN), active(FOREIGN)], policy: ForeignKeyPolicy.ADOPT }));
      expect(p.deletions).toEqual([{ accessKeyId: OTHER_FOREIGN, reason: expect.stringContaining('ADOPT'), wasActive: false }]);
      expect(p.adoptKeyId).toBe(FOREIGN);
    });

    test('GIVEN the current key and an inactive foreign key WHEN a rotation plans THEN the foreign key is deleted and nothing is adopted', () => {
      const p = expectCreate(plan({ keys: [active(CURRENT), inactive(FOREIGN)], currentKeyId: CURRENT, policy: ForeignKeyPolicy.ADOPT }));
      expect(deletedIds(p)).toEqual([FOREIGN]);
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
      const p = expectFail(plan({ keys: [active(ADOPTING), active(FOREIGN)], adoptingHint: ADOPTING, policy: ForeignKeyPolicy.ADOPT }));
      expect(p.accessKeyIds.sort()).toEqual([ADOPTING, FOREIGN].sort());
      expect(p.reason).toContain(ADOPTING);
      expect(p.reason).toContain(FOREIGN);
    });

    test('GIVEN a retry that finds its own adopting key recorded WHEN a rotation plans THEN the adoption is kept and nothing is deleted', () => {
      expect(plan({ keys: [active(ADOPTING)], adoptingHint: ADOPTING, policy: ForeignKeyPolicy.ADOPT }))
        .toEqual({ kind: 'create', deletions: [], adoptKeyId: ADOPTING });
    });

    test('GIVEN the current key and one active foreign key WHEN a rotation plans THEN it fails (adopting would delete it at once) and deletes nothing', () => {
      const p = expectFail(plan({ keys: [active(CURRENT), active(FOREIGN)], currentKeyId: CURRENT, policy: ForeignKeyPolicy.ADOPT }));
      expect(p.accessKeyIds).toEqual([FOREIGN]);
      expect(p.reason).toMatch(/deactivate it first/);
    });

    test('GIVEN the current key and an inactive adopted previous key (named by the previous-key hint) WHEN a rotation plans THEN it makes room', () => {
      const p = expectCreate(plan({
        keys: [active(CURRENT), inactive(ADOPTING)], currentKeyId: CURRENT, previousHint: ADOPTING, policy: ForeignKeyPolicy.ADOPT,
      }));
      expect(p.deletions).toEqual([{ accessKeyId: ADOPTING, reason: expect.stringMatching(/make room/), wasActive: false }]);
    });

    // See the report: a tag alone (previous-key or adopting hint, which anyone allowed to tag the secret can write) turns the
    // refusal above into deleting an active hand-made key at once, the outage the adopt guard exists to prevent.
    test.each([
      ['previous-key', { previousHint: FOREIGN }],
      ['adopting', { adoptingHint: FOREIGN }],
    ])('GIVEN the current key, an active hand-made key and a forged %s hint naming it under ADOPT WHEN a rotation plans THEN the active key is not deleted', (_, hint) => {
      const p = plan({ keys: [active(CURRENT), active(FOREIGN)], currentKeyId: CURRENT, policy: ForeignKeyPolicy.ADOPT, ...hint });
      expect(deletedIds(p)).not.toContain(FOREIGN);
    });
  });
});

describe('provenOrphan', () => {
  const START = new Date('2024-03-01T00:00:00Z');
  const evidence = (e: Partial<OrphanEvidence> = {}): OrphanEvidence => ({
    markerId: ORPHAN,
    key: active(ORPHAN, at(START, 2 * SECOND)),
    heldKeyIds: [CURRENT],
    lastUse: { gone: false },
    attemptStartedAt: START,
    ...e,
  });

  test('GIVEN every fact agreeing WHEN judged THEN the key is a proven orphan', () => {
    expect(provenOrphan(evidence())).toBe(true);
  });

  test('GIVEN the attempt\'s version dated to the millisecond (as Secrets Manager dates it) and the key dated to the whole second (as IAM does), in the same second THEN it is an orphan: compared at IAM\'s precision', () => {
    expect(provenOrphan(evidence({ attemptStartedAt: at(START, 400), key: active(ORPHAN, START) }))).toBe(true);
    expect(provenOrphan(evidence({ attemptStartedAt: at(START, 999), key: active(ORPHAN, START) }))).toBe(true);
    expect(provenOrphan(evidence({ attemptStartedAt: at(START, 400), key: active(ORPHAN, at(START, -SECOND)) }))).toBe(false);
  });

  test('GIVEN a key created in the very second the attempt began WHEN judged THEN it is still an orphan (inactive or not)', () => {
    expect(provenOrphan(evidence({ key: active(ORPHAN, START) }))).toBe(true);
    expect(provenOrphan(evidence({ key: inactive(ORPHAN, START) }))).toBe(true);
  });

  test.each([
    ['no marker', { markerId: undefined }],
    ['a marker naming another key', { markerId: FOREIGN }],
    ['no key', { key: undefined }],
    ['a key a version holds', { heldKeyIds: [CURRENT, ORPHAN] }],
    ['no usage known', { lastUse: undefined }],
    ['a key gone from IAM', { lastUse: { gone: true as const } }],
    ['a key that has been used', { lastUse: { gone: false as const, at: at(START, HOUR) } }],
    ['a key without a creation date', { key: active(ORPHAN) }],
    ['no attempt start known', { attemptStartedAt: undefined }],
    ['a key created 1 ms before the attempt', { key: active(ORPHAN, at(START, -1)) }],
    ['a key created a second before the attempt', { key: active(ORPHAN, at(START, -SECOND)) }],
    ['a key created a day before the attempt', { key: active(ORPHAN, at(START, -DAY)) }],
  ])('GIVEN %s WHEN judged THEN the key is not an orphan (it is foreign)', (_, e) => {
    expect(provenOrphan(evidence(e as Partial<OrphanEvidence>))).toBe(false);
  });

  test('GIVEN any evidence WHEN a key is proven an orphan THEN it is the recorded key, unheld, never used and created after the attempt began', () => {
    const ids = [ORPHAN, CURRENT, FOREIGN];
    const dateArb = fc.integer({ min: -DAY, max: DAY }).map((ms) => at(START, ms));
    const arb = fc.record({
      markerId: fc.option(fc.constantFrom(...ids), { nil: undefined }),
      key: fc.option(fc.record({
        accessKeyId: fc.constantFrom(...ids), status: fc.constantFrom(ACTIVE, INACTIVE), createdAt: fc.option(dateArb, { nil: undefined }),
      }), { nil: undefined }),
      heldKeyIds: fc.subarray(ids),
      lastUse: fc.option(fc.oneof(
        fc.constant({ gone: true as const }),
        fc.record({ gone: fc.constant(false as const), at: fc.option(dateArb, { nil: undefined }) }),
      ), { nil: undefined }),
      attemptStartedAt: fc.option(dateArb, { nil: undefined }),
    });
    fc.assert(fc.property(arb, (e) => {
      if (!provenOrphan(e)) return;
      expect(e.key!.accessKeyId).toBe(e.markerId);
      expect(e.heldKeyIds).not.toContain(e.markerId);
      expect(e.lastUse).toEqual({ gone: false, at: undefined });
      expect(e.key!.createdAt!.getTime()).toBeGreaterThanOrEqual(e.attemptStartedAt!.getTime());
    }), { numRuns: 1000 });
  });
});

// ---- the lifecycle ------------------------------------------------------------------------------------

const config: RetirementConfig = {
  deactivateAfterSeconds: 7 * 86_400,
  deleteAfterSeconds: 14 * 86_400,
  postponeWhileInUseSeconds: 0,
  foreignKeyPolicy: ForeignKeyPolicy.FAIL,
};

const staged = (s: Partial<StagedKeys> = {}): StagedKeys => ({ current: CURRENT, previous: PREVIOUS, revokedPredecessor: false, ...s });

describe('retirableKey', () => {
  test('GIVEN AWSPREVIOUS holds a key WHEN the retirable key is chosen THEN it is that key, whatever the hint says', () => {
    for (const policy of Object.values(ForeignKeyPolicy)) {
      const input = { config: { ...config, foreignKeyPolicy: policy }, staged: staged(), previousHint: { accessKeyId: FOREIGN } };
      expect(retirableKey(input)).toBe(PREVIOUS);
    }
  });

  test.each([ForeignKeyPolicy.FAIL, ForeignKeyPolicy.DELETE_INACTIVE])(
    'GIVEN no key in AWSPREVIOUS and a previous-key hint under %s WHEN the retirable key is chosen THEN there is none (a tag is not proof)', (policy) => {
      const input = {
        config: { ...config, foreignKeyPolicy: policy }, staged: staged({ previous: undefined }), previousHint: { accessKeyId: FOREIGN },
      };
      expect(retirableKey(input)).toBeUndefined();
    });

  test('GIVEN no key in AWSPREVIOUS and a previous-key hint under ADOPT WHEN the retirable key is chosen THEN it is the adopted key the hint names', () => {
    const adopt = { ...config, foreignKeyPolicy: ForeignKeyPolicy.ADOPT };
    expect(retirableKey({ config: adopt, staged: staged({ previous: undefined }), previousHint: { accessKeyId: ADOPTING } })).toBe(ADOPTING);
  });

  test.each([
    ['the current key', CURRENT],
    ['the pending key', PENDING],
  ])('GIVEN a hint naming %s under ADOPT WHEN the retirable key is chosen THEN there is none', (_, id) => {
    const s = staged({ previous: undefined, pending: PENDING });
    const adopt = { ...config, foreignKeyPolicy: ForeignKeyPolicy.ADOPT };
    expect(retirableKey({ config: adopt, staged: s, previousHint: { accessKeyId: id } })).toBeUndefined();
  });

  test('GIVEN no old key at all WHEN the retirable key is chosen THEN there is none', () => {
    expect(retirableKey({ config, staged: staged({ previous: undefined }) })).toBeUndefined();
  });
});

describe('supersededAt', () => {
  const HINTED = new Date('2024-03-01T00:00:00Z');
  const input = (i: Partial<LifecycleInput>): LifecycleInput => ({ config, staged: staged(), progress: {}, ...i });

  test('GIVEN a hint later than the current key\'s creation WHEN the supersession is bounded THEN the hint stands', () => {
    const keys = [active(CURRENT, at(HINTED, -HOUR))];
    expect(supersededAt(input({ previousHint: { accessKeyId: PREVIOUS, supersededAt: HINTED }, keys }), PREVIOUS)).toEqual(HINTED);
  });

  test('GIVEN a clock tolerance WHEN read THEN it is 5 minutes', () => {
    expect(CLOCK_TOLERANCE_MS).toBe(5 * 60 * SECOND);
  });

  test('GIVEN a hint earlier than the current key\'s creation WHEN the supersession is bounded THEN IAM\'s creation date (less the clock tolerance) stands: a tag cannot bring it forward', () => {
    const created = at(HINTED, DAY);
    expect(supersededAt(input({ previousHint: { accessKeyId: PREVIOUS, supersededAt: HINTED }, keys: [active(CURRENT, created)] }), PREVIOUS))
      .toEqual(at(created, -CLOCK_TOLERANCE_MS));
  });

  test('GIVEN a hint within the clock tolerance before the current key\'s creation WHEN the supersession is bounded THEN the hint stands', () => {
    const created = at(HINTED, 60 * SECOND);
    const keys = [active(CURRENT, created)];
    expect(supersededAt(input({ previousHint: { accessKeyId: PREVIOUS, supersededAt: HINTED }, keys }), PREVIOUS)).toEqual(HINTED);
  });

  test('GIVEN a hint about another key WHEN the supersession is bounded THEN only IAM\'s creation date of the current key counts', () => {
    const created = at(HINTED, DAY);
    const hint = { accessKeyId: OLDER, supersededAt: at(HINTED, 30 * DAY) };
    expect(supersededAt(input({ previousHint: hint, keys: [active(CURRENT, created)] }), PREVIOUS)).toEqual(created);
  });

  test('GIVEN a listing (no keys) WHEN the supersession is read THEN it is the hint', () => {
    expect(supersededAt(input({ previousHint: { accessKeyId: PREVIOUS, supersededAt: HINTED } }), PREVIOUS)).toEqual(HINTED);
  });

  test('GIVEN neither a hint nor the current key in IAM WHEN the supersession is read THEN nothing bounds it', () => {
    expect(supersededAt(input({ keys: [active(PREVIOUS, HINTED)] }), PREVIOUS)).toBeUndefined();
  });
});

describe('planLifecycle with the keys (deciding)', () => {
  const SUPERSEDED = new Date('2024-03-01T00:00:00Z');
  const CURRENT_CREATED = at(SUPERSEDED, -5 * 60 * SECOND);
  const CHECK_AT = at(SUPERSEDED, 3.5 * DAY);
  const DUE = at(SUPERSEDED, 7 * DAY);
  const DEACTIVATED = at(DUE, 2 * HOUR);
  const DELETE_AT = at(DEACTIVATED, 14 * DAY);
  const keysWith = (previousStatus = ACTIVE) => [
    active(CURRENT, CURRENT_CREATED),
    { accessKeyId: PREVIOUS, status: previousStatus, createdAt: at(SUPERSEDED, -30 * DAY) },
  ];
  const decide = (i: Partial<LifecycleInput>, now: Date): LifecycleAction => planLifecycle({
    config, staged: staged(), previousHint: { accessKeyId: PREVIOUS, supersededAt: SUPERSEDED }, progress: {}, keys: keysWith(), ...i,
  }, now);
  const progress = (p: KeyProgress) => ({ progress: p, keys: keysWith(p.deactivatedAt ? INACTIVE : ACTIVE) });

  test('GIVEN a 7-day grace period WHEN the due time is computed THEN deactivation is due 7 days after supersession', () => {
    expect(deactivationDueAt(config, SUPERSEDED)).toEqual(DUE);
  });

  describe('nothing to do', () => {
    test('GIVEN no old key WHEN the lifecycle runs THEN nothing is done and no next time is given', () => {
      expect(decide({ staged: staged({ previous: undefined }) }, DUE)).toEqual({ kind: 'none', reason: 'no old key to retire' });
    });

    test('GIVEN an old key\'s progress recorded for another key WHEN the lifecycle decides THEN that record says nothing of this key', () => {
      const other = parseKeyProgress({ [Tags.PROGRESS]: `id=${OLDER} deactivated-at=${DEACTIVATED.toISOString()}` }, PREVIOUS);
      expect(other).toEqual({});
      expect(decide({ progress: other }, at(DUE, HOUR))).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test.each([
      ['before the usage check', at(CHECK_AT, HOUR), {}],
      ['after the due time, its hold recorded', at(DUE, DAY), { heldAt: at(DUE, HOUR) }],
      ['after the deletion time', at(DELETE_AT, DAY), { deactivatedAt: DEACTIVATED }],
    ])('GIVEN an operator hold, %s, WHEN the lifecycle runs THEN nothing is done and the reason names the hold', (_, now, p) => {
      expect(decide({ ...progress(p), hold: 're-activated by bob' }, now)).toEqual({ kind: 'none', reason: expect.stringContaining('re-activated by bob') });
    });

    test('GIVEN an operator hold keeping an active key past its grace period WHEN the lifecycle runs THEN the hold is recorded once (with an event), never the key deactivated', () => {
      expect(decide({ hold: 'kept by bob' }, at(DUE, DAY))).toEqual({ kind: 'record-hold', accessKeyId: PREVIOUS });
      expect(decide({ hold: 'kept by bob', progress: { heldAt: at(DUE, DAY) } }, at(DUE, 2 * DAY))).toMatchObject({ kind: 'none' });
    });

    test('GIVEN an empty operator hold WHEN the lifecycle runs after the due time THEN the hold still applies', () => {
      expect(decide({ hold: '' }, at(DUE, DAY)).kind).toBe('record-hold');
      expect(decide({ hold: '', progress: { heldAt: at(DUE, HOUR) } }, at(DUE, DAY)).kind).toBe('none');
    });

    test('GIVEN a hold that names the old key WHEN the lifecycle runs after the due time THEN the key is held', () => {
      expect(decide({ hold: `id=${PREVIOUS} re-activated outside the lifecycle`, progress: { heldAt: at(DUE, HOUR) } }, at(DUE, DAY)).kind).toBe('none');
    });

    test('GIVEN a hold that names an older key WHEN a newer old key is due THEN the hold does not keep the newer key active', () => {
      expect(decide({ hold: `id=${OLDER} re-activated outside the lifecycle` }, at(DUE, DAY))).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN no hint and the current key missing from IAM WHEN the lifecycle runs THEN the old key, all the user has, is not deactivated: blocked, saying why', () => {
      expect(decide({ previousHint: undefined, keys: [active(PREVIOUS)] }, at(DUE, 60 * DAY))).toEqual({
        kind: 'blocked',
        accessKeyId: PREVIOUS,
        reason: `the current key ${CURRENT} no longer exists, so the old key ${PREVIOUS}, the user's only active key, is not deactivated: rotate, for a `
          + `working current key (${PREVIOUS} is then no longer on this secret's timeline: deactivate and delete it in IAM once nothing uses it)`,
      });
    });

    test('GIVEN no hint, the current key missing from IAM and the old key inactive WHEN the lifecycle runs THEN nothing is done: nothing bounds the supersession', () => {
      expect(decide({ previousHint: undefined, keys: [{ ...active(PREVIOUS), status: 'Inactive' }] }, at(DUE, 60 * DAY)))
        .toEqual({ kind: 'none', reason: `no record of when ${PREVIOUS} was superseded` });
    });

    test('GIVEN the current key inactive in IAM WHEN the old key\'s grace period is over THEN it is not deactivated: blocked', () => {
      expect(decide({ keys: [{ ...keysWith()[0], status: INACTIVE }, keysWith()[1]] }, DUE)).toMatchObject({
        kind: 'blocked', accessKeyId: PREVIOUS, reason: expect.stringMatching(new RegExp(`^the current key ${CURRENT} is Inactive, so the old key ${PREVIOUS}`)),
      });
    });
  });

  describe('grace period and usage check', () => {
    test('GIVEN a key just superseded WHEN the lifecycle runs before the usage-check point THEN nothing is done until that point', () => {
      expect(decide({}, at(CHECK_AT, -1))).toEqual({ kind: 'none', reason: 'grace period', nextAt: CHECK_AT });
    });

    test('GIVEN usage not checked yet WHEN the lifecycle runs exactly at the usage-check point THEN it checks usage', () => {
      expect(decide({}, CHECK_AT)).toEqual({ kind: 'check-usage', accessKeyId: PREVIOUS });
    });

    test('GIVEN usage not checked yet WHEN the lifecycle runs between the usage-check point and the due time THEN it checks usage', () => {
      expect(decide({}, at(DUE, -1))).toEqual({ kind: 'check-usage', accessKeyId: PREVIOUS });
    });

    test('GIVEN usage already checked WHEN the lifecycle runs before the due time THEN it does not check again and waits for the due time', () => {
      expect(decide(progress({ usageCheckedAt: CHECK_AT }), at(CHECK_AT, HOUR))).toEqual({ kind: 'none', reason: 'grace period', nextAt: DUE });
      expect(decide(progress({ usageCheckedAt: CHECK_AT }), at(DUE, -1))).toEqual({ kind: 'none', reason: 'grace period', nextAt: DUE });
    });
  });

  describe('early notice (noticeBefore: when the old key\'s use is checked)', () => {
    const notice = (noticeBeforeSeconds: number) => ({ ...config, noticeBeforeSeconds });

    test('GIVEN noticeBefore of 6 days in a 7-day grace period WHEN the due time nears THEN usage is checked 6 days before deactivation', () => {
      expect(usageCheckAt(notice(6 * DAY / SECOND), SUPERSEDED)).toEqual(at(SUPERSEDED, DAY));
      expect(decide({ config: notice(6 * DAY / SECOND) }, at(SUPERSEDED, DAY - 1))).toEqual({ kind: 'none', reason: 'grace period', nextAt: at(SUPERSEDED, DAY) });
      expect(decide({ config: notice(6 * DAY / SECOND) }, at(SUPERSEDED, DAY))).toEqual({ kind: 'check-usage', accessKeyId: PREVIOUS });
    });

    test('GIVEN noticeBefore equal to the grace period WHEN the key is just superseded THEN usage is checked at once', () => {
      expect(decide({ config: notice(7 * DAY / SECOND) }, SUPERSEDED)).toEqual({ kind: 'check-usage', accessKeyId: PREVIOUS });
    });

    test('GIVEN no noticeBefore WHEN the check point is computed THEN it is halfway through the grace period', () => {
      expect(usageCheckAt(config, SUPERSEDED)).toEqual(CHECK_AT);
    });
  });

  describe('an operator\'s hold, then its release', () => {
    const reactivated = (p: KeyProgress) => ({ progress: p, keys: keysWith(ACTIVE) });

    test('GIVEN a key the lifecycle deactivated, made active again under a hold naming it WHEN the lifecycle runs THEN it records the hold (once)', () => {
      expect(decide({ ...reactivated({ deactivatedAt: DEACTIVATED }), hold: `id=${PREVIOUS}` }, at(DEACTIVATED, HOUR)))
        .toEqual({ kind: 'record-hold', accessKeyId: PREVIOUS });
      expect(decide({ ...reactivated({ deactivatedAt: DEACTIVATED, heldAt: at(DEACTIVATED, HOUR) }), hold: `id=${PREVIOUS}` }, at(DELETE_AT, DAY)).kind)
        .toBe('none');
    });

    test('GIVEN a recorded hold released while the key is active WHEN the lifecycle runs THEN it deactivates the key again (its retention restarts)', () => {
      expect(decide(reactivated({ deactivatedAt: DEACTIVATED, heldAt: at(DEACTIVATED, HOUR) }), at(DEACTIVATED, 2 * HOUR)))
        .toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN a recorded hold released after the operator made the key inactive WHEN the lifecycle runs THEN the new deactivation is recorded (not an early deletion)', () => {
      expect(decide({ progress: { deactivatedAt: DEACTIVATED, heldAt: at(DEACTIVATED, HOUR) }, keys: keysWith(INACTIVE) }, at(DELETE_AT, DAY)))
        .toEqual({ kind: 'record-deactivation', accessKeyId: PREVIOUS });
    });

    test('GIVEN a hold on an inactive key in retention WHEN deletion is due THEN nothing is done and nothing is recorded', () => {
      expect(decide({ progress: { deactivatedAt: DEACTIVATED }, keys: keysWith(INACTIVE), hold: '' }, at(DELETE_AT, DAY)).kind).toBe('none');
    });

    test('GIVEN a hold on a key never deactivated WHEN its grace period ends THEN the hold is recorded, and its release resumes the grace period\'s end', () => {
      expect(decide({ hold: `id=${PREVIOUS}` }, at(DUE, DAY))).toEqual({ kind: 'record-hold', accessKeyId: PREVIOUS });
      expect(decide({ progress: { heldAt: at(DUE, DAY) } }, at(DUE, 2 * DAY))).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN a forged record of a released hold (deactivated and held) on a key in its grace period WHEN the lifecycle runs THEN nothing is brought forward', () => {
      const forged = { deactivatedAt: at(SUPERSEDED, HOUR), heldAt: at(SUPERSEDED, 2 * HOUR) };
      expect(decide({ progress: forged }, at(SUPERSEDED, 3 * HOUR))).toMatchObject({ kind: 'none', reason: 'grace period' });
      expect(decide({ progress: forged }, at(CHECK_AT, HOUR))).toEqual({ kind: 'check-usage', accessKeyId: PREVIOUS });
      expect(decide({ progress: forged }, DUE)).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });
  });

  describe('deactivation', () => {
    test('GIVEN usage checked WHEN the lifecycle runs exactly at the due time THEN it deactivates', () => {
      expect(decide(progress({ usageCheckedAt: CHECK_AT }), DUE)).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN usage never checked (missed runs) WHEN the lifecycle runs at the due time THEN it deactivates rather than checking usage', () => {
      expect(decide({}, DUE)).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN a key long overdue WHEN the lifecycle runs after the deletion would have been due THEN it deactivates (never deletes an active key)', () => {
      expect(decide({}, at(DUE, 60 * DAY))).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN a hint dating the supersession a year back WHEN the lifecycle runs a day after the current key was created THEN nothing is due yet', () => {
      const hint = { accessKeyId: PREVIOUS, supersededAt: at(SUPERSEDED, -365 * DAY) };
      const earliest = at(CURRENT_CREATED, 7 * DAY - CLOCK_TOLERANCE_MS);
      expect(decide({ previousHint: hint }, at(CURRENT_CREATED, DAY))).toMatchObject({ kind: 'none', reason: 'grace period' });
      expect(decide({ previousHint: hint, progress: { usageCheckedAt: CHECK_AT } }, at(earliest, -1))).toMatchObject({ kind: 'none', reason: 'grace period' });
      expect(decide({ previousHint: hint }, earliest)).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    // See the report: without the current key in IAM nothing bounds the hint, so a tag alone dates the supersession.
    test('GIVEN the current key gone from IAM and a hint dating the supersession a year back WHEN the lifecycle runs THEN it does not deactivate on the tag\'s word', () => {
      const hint = { accessKeyId: PREVIOUS, supersededAt: at(SUPERSEDED, -365 * DAY) };
      expect(decide({ previousHint: hint, keys: [active(PREVIOUS)] }, at(SUPERSEDED, HOUR)).kind).not.toBe('deactivate');
    });

    test('GIVEN a hint dating the supersession far in the future WHEN the lifecycle runs THEN it is held to a day after IAM created the current key: a tag postpones by a day at most', () => {
      const hint = { accessKeyId: PREVIOUS, supersededAt: at(SUPERSEDED, 100 * DAY) };
      const latest = at(CURRENT_CREATED, MAX_PROMOTION_DELAY_MS + 7 * DAY);
      expect(decide({ previousHint: hint, progress: { usageCheckedAt: CHECK_AT } }, at(latest, -1)).kind).toBe('none');
      expect(decide({ previousHint: hint }, latest)).toEqual({ kind: 'deactivate', accessKeyId: PREVIOUS });
    });

    test('GIVEN the key found inactive without a record WHEN the lifecycle runs THEN the deactivation is recorded (deleted deleteAfter later)', () => {
      expect(decide({ keys: keysWith(INACTIVE) }, at(CHECK_AT, -HOUR))).toEqual({ kind: 'record-deactivation', accessKeyId: PREVIOUS });
    });
  });

  describe('deletion', () => {
    test('GIVEN a deactivated key WHEN the lifecycle runs before the deletion time THEN nothing is done until the deletion time', () => {
      const p = progress({ usageCheckedAt: CHECK_AT, deactivatedAt: DEACTIVATED });
      expect(decide(p, DEACTIVATED)).toEqual({ kind: 'none', reason: 'inactive, retained', nextAt: DELETE_AT });
      expect(decide(p, at(DELETE_AT, -1))).toEqual({ kind: 'none', reason: 'inactive, retained', nextAt: DELETE_AT });
    });

    test('GIVEN a deactivated key WHEN the lifecycle runs exactly at the deletion time THEN it deletes', () => {
      expect(decide(progress({ deactivatedAt: DEACTIVATED }), DELETE_AT)).toEqual({ kind: 'delete', accessKeyId: PREVIOUS });
    });

    test('GIVEN a deactivated key WHEN the lifecycle runs after the deletion time THEN it deletes', () => {
      expect(decide(progress({ deactivatedAt: DEACTIVATED }), at(DELETE_AT, DAY))).toEqual({ kind: 'delete', accessKeyId: PREVIOUS });
    });

    test('GIVEN a deactivation recorded a year back WHEN the lifecycle runs THEN deletion still waits for deleteAfter after the due time', () => {
      const p = progress({ deactivatedAt: at(SUPERSEDED, -365 * DAY) });
      expect(decide(p, at(DUE, 14 * DAY - 1)).kind).toBe('none');
      expect(decide(p, at(DUE, 14 * DAY))).toEqual({ kind: 'delete', accessKeyId: PREVIOUS });
    });

    test('GIVEN a deactivated key made active again WHEN deletion is due THEN the lifecycle holds it instead of deleting it', () => {
      expect(decide({ progress: { deactivatedAt: DEACTIVATED }, keys: keysWith(ACTIVE) }, DELETE_AT)).toEqual({ kind: 'hold', accessKeyId: PREVIOUS });
    });

    test('GIVEN the old key gone from IAM WHEN the lifecycle runs THEN it is forgotten (recorded as deleted)', () => {
      expect(decide({ keys: [active(CURRENT, CURRENT_CREATED)] }, CHECK_AT)).toEqual({ kind: 'forget', accessKeyId: PREVIOUS });
    });
  });

  describe('emergency revoke (the REVOKED_PREDECESSOR label on AWSCURRENT)', () => {
    test.each([
      ['active', ACTIVE, true],
      ['inactive', INACTIVE, false],
    ])('GIVEN a revoked %s predecessor WHEN the lifecycle runs THEN it is deleted at once', (_, status, wasActive) => {
      expect(decide({ staged: staged({ revokedPredecessor: true }), keys: keysWith(status) }, SUPERSEDED))
        .toEqual({ kind: 'delete-revoked', accessKeyId: PREVIOUS, wasActive });
    });

    test('GIVEN a revoked predecessor and an operator hold WHEN the lifecycle runs THEN the revoke wins (a hold cannot keep a revoked key)', () => {
      expect(decide({ staged: staged({ revokedPredecessor: true }), hold: '' }, SUPERSEDED).kind).toBe('delete-revoked');
    });

    test('GIVEN a revoked predecessor already gone WHEN the lifecycle runs THEN it is forgotten', () => {
      expect(decide({ staged: staged({ revokedPredecessor: true }), keys: [active(CURRENT, CURRENT_CREATED)] }, SUPERSEDED).kind).toBe('forget');
    });

    test('GIVEN an adopted key (named by the hint only) and the revoke label under ADOPT WHEN the lifecycle runs THEN it is not revoked: only the labelled predecessor is', () => {
      const adopt = { ...config, foreignKeyPolicy: ForeignKeyPolicy.ADOPT };
      const action = decide({
        config: adopt,
        staged: staged({ previous: undefined, revokedPredecessor: true }),
        previousHint: { accessKeyId: ADOPTING, supersededAt: SUPERSEDED },
        keys: [active(CURRENT, CURRENT_CREATED), active(ADOPTING)],
      }, CHECK_AT);
      expect(action).toEqual({ kind: 'check-usage', accessKeyId: ADOPTING });
    });
  });
});

describe('planLifecycle from a listing (no keys: deciding whether to read)', () => {
  const SUPERSEDED = new Date('2024-03-01T00:00:00Z');
  const CHECK_AT = at(SUPERSEDED, 3.5 * DAY);
  const DUE = at(SUPERSEDED, 7 * DAY);
  const DEACTIVATED = at(DUE, HOUR);
  const DELETE_AT = at(DEACTIVATED, 14 * DAY);
  const list = (i: Partial<LifecycleInput>, now: Date): LifecycleAction => planLifecycle({
    config, staged: staged(), previousHint: { accessKeyId: PREVIOUS, supersededAt: SUPERSEDED }, progress: {}, ...i,
  }, now);

  test('GIVEN hints showing the grace period runs WHEN listed THEN nothing is read until the usage check', () => {
    expect(list({}, at(CHECK_AT, -1))).toEqual({ kind: 'none', reason: 'grace period', nextAt: CHECK_AT });
  });

  test.each([
    ['the usage check is due', {}, CHECK_AT],
    ['deactivation is due', { progress: { usageCheckedAt: CHECK_AT } }, DUE],
    ['deletion is due', { progress: { deactivatedAt: DEACTIVATED } }, DELETE_AT],
    ['the predecessor was revoked', { staged: staged({ revokedPredecessor: true }) }, SUPERSEDED],
    ['there is no hint', { previousHint: undefined }, SUPERSEDED],
    ['the hint is about another key', { previousHint: { accessKeyId: OLDER, supersededAt: at(SUPERSEDED, 100 * DAY) } }, SUPERSEDED],
    ['the hint has no date', { previousHint: { accessKeyId: PREVIOUS } }, SUPERSEDED],
  ])('GIVEN %s WHEN listed THEN the secret and keys are read', (_, i, now) => {
    expect(list(i as Partial<LifecycleInput>, now)).toEqual({ kind: 'read' });
  });

  test('GIVEN usage checked WHEN listed before the due time THEN nothing is read until the due time', () => {
    expect(list({ progress: { usageCheckedAt: CHECK_AT } }, at(DUE, -1))).toEqual({ kind: 'none', reason: 'grace period', nextAt: DUE });
  });

  test('GIVEN a deactivated key WHEN listed before the deletion time THEN nothing is read until then', () => {
    expect(list({ progress: { deactivatedAt: DEACTIVATED } }, at(DELETE_AT, -1))).toEqual({ kind: 'none', reason: 'inactive, retained', nextAt: DELETE_AT });
  });

  test('GIVEN a hold WHEN listed long after the due time THEN it is read once, to record the hold, and then no more', () => {
    expect(list({ hold: 'x' }, at(DUE, 100 * DAY))).toEqual({ kind: 'read' });
    expect(list({ hold: 'x', progress: { heldAt: at(DUE, HOUR) } }, at(DUE, 100 * DAY)).kind).toBe('none');
  });

  test('GIVEN a hold on a key the lifecycle deactivated and no hold recorded WHEN listed THEN it is read (to record the hold if the key is active again)', () => {
    expect(list({ hold: 'x', progress: { deactivatedAt: DEACTIVATED } }, at(DEACTIVATED, HOUR))).toEqual({ kind: 'read' });
    expect(list({ hold: 'x', progress: { deactivatedAt: DEACTIVATED, heldAt: at(DEACTIVATED, HOUR) } }, at(DELETE_AT, DAY)).kind).toBe('none');
  });

  test('GIVEN a recorded hold that was released WHEN listed THEN it is read', () => {
    expect(list({ progress: { deactivatedAt: DEACTIVATED, heldAt: at(DEACTIVATED, HOUR) } }, at(DEACTIVATED, 2 * HOUR))).toEqual({ kind: 'read' });
  });

  test('GIVEN a previous-key tag dated in the future WHEN listed THEN it is read (a date from the future is no date)', () => {
    expect(list({ previousHint: { accessKeyId: PREVIOUS, supersededAt: at(DUE, 365 * DAY) } }, at(SUPERSEDED, HOUR))).toEqual({ kind: 'read' });
  });
});

describe('planDeactivation', () => {
  const SUPERSEDED = new Date('2024-03-01T00:00:00Z');
  const DUE = at(SUPERSEDED, 7 * DAY);
  const configWith = (postponeWhileInUseSeconds: number): RetirementConfig => ({ ...config, postponeWhileInUseSeconds });
  const USED_AFTER = at(SUPERSEDED, DAY);
  const BOUND = at(DUE, 3 * DAY);

  describe('usedAfterPromotion', () => {
    test.each([
      ['never used', false, undefined],
      ['last used before promotion', false, at(SUPERSEDED, -HOUR)],
      ['last used at the promotion instant', false, SUPERSEDED],
      ['last used 1 ms after promotion', true, at(SUPERSEDED, 1)],
    ])('GIVEN a key %s WHEN asked whether it is used after promotion THEN the answer is %s', (_, expected, lastUsed) => {
      expect(usedAfterPromotion(SUPERSEDED, lastUsed)).toBe(expected);
    });
  });

  test('GIVEN a key never used WHEN deactivation is due THEN it is deactivated, not in use', () => {
    expect(planDeactivation(configWith(0), SUPERSEDED, undefined, undefined, DUE)).toEqual({ kind: 'deactivate', stillInUse: false });
  });

  test('GIVEN a key last used before promotion WHEN deactivation is due, even with postponing opted into, THEN it is deactivated, not in use', () => {
    expect(planDeactivation(configWith(3 * 86_400), SUPERSEDED, undefined, at(SUPERSEDED, -DAY), DUE)).toEqual({ kind: 'deactivate', stillInUse: false });
  });

  test('GIVEN a key used after promotion and no postponing (0) WHEN deactivation is due THEN it is deactivated anyway, marked still in use', () => {
    expect(planDeactivation(configWith(0), SUPERSEDED, undefined, USED_AFTER, DUE)).toEqual({ kind: 'deactivate', stillInUse: true });
  });

  test('GIVEN a key used after promotion and postponing of 3 days WHEN deactivation is due THEN it is postponed until the bound, with a warning', () => {
    expect(planDeactivation(configWith(3 * 86_400), SUPERSEDED, undefined, USED_AFTER, DUE)).toEqual({ kind: 'postpone', until: BOUND, warn: true });
  });

  test('GIVEN a key used after promotion and postponing of 3 days WHEN it is 1 ms before the bound THEN it is still postponed', () => {
    expect(planDeactivation(configWith(3 * 86_400), SUPERSEDED, undefined, USED_AFTER, at(BOUND, -1))).toMatchObject({ kind: 'postpone', until: BOUND });
  });

  test.each([
    ['exactly at', BOUND],
    ['after', at(BOUND, DAY)],
  ])('GIVEN a key used after promotion and postponing of 3 days WHEN it is %s the bound THEN it is deactivated, marked still in use', (_, now) => {
    expect(planDeactivation(configWith(3 * 86_400), SUPERSEDED, undefined, USED_AFTER, now)).toEqual({ kind: 'deactivate', stillInUse: true });
  });

  test.each([
    ['23 hours', false, 23 * HOUR],
    ['1 ms less than a day', false, DAY - 1],
    ['exactly a day', true, DAY],
    ['25 hours', true, DAY + HOUR],
  ])('GIVEN a postponed key whose usage was checked %s ago WHEN planning again THEN warn is %s', (_, warn, ago) => {
    const now = at(DUE, DAY);
    expect(planDeactivation(configWith(3 * 86_400), SUPERSEDED, at(now, -ago), USED_AFTER, now)).toEqual({ kind: 'postpone', until: BOUND, warn });
  });
});

describe('revokeRequested', () => {
  const NOW = new Date('2024-03-01T12:00:00Z');
  test.each([
    ['no request', undefined, false],
    ['a malformed request', 'malformed' as const, false],
    ['a request made now', NOW, true],
    ['a request an hour old', at(NOW, -HOUR), true],
    ['a request an hour and 1 ms old', at(NOW, -HOUR - 1), false],
    ['a request from a week ago, lying in wait', at(NOW, -7 * DAY), false],
    ['a request 5 minutes ahead (clock skew)', at(NOW, 5 * 60 * SECOND), true],
    ['a request more than 5 minutes ahead', at(NOW, 5 * 60 * SECOND + 1), false],
  ])('GIVEN %s WHEN a rotation starts THEN the revoke applies: %s', (_, requestedAt, expected) => {
    expect(revokeRequested(requestedAt, NOW, 3600)).toBe(expected);
  });
});

// ---- CloudFormation --------------------------------------------------------------------------------

const STACK_STATUSES = [
  'CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED',
  'DELETE_IN_PROGRESS', 'DELETE_FAILED', 'DELETE_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE',
  'UPDATE_FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS', 'IMPORT_IN_PROGRESS', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_COMPLETE',
];
const ROLLBACKS = ['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS'];

describe('isRollback', () => {
  test.each(STACK_STATUSES)('GIVEN the stack status %s WHEN asked THEN it is a rollback only while CloudFormation undoes an operation', (status) => {
    expect(isRollback(status)).toBe(ROLLBACKS.includes(status));
  });
});

describe('planRemoval', () => {
  const removal = (i: Partial<RemovalInput>) => planRemoval({ stackStatus: 'DELETE_IN_PROGRESS', removal: Removal.DESTROY, ...i });

  test.each([Removal.DESTROY, Removal.RETAIN])('GIVEN the stack being deleted with %s WHEN a registration is removed THEN it is released, keys deleted only with DESTROY', (r) => {
    expect(removal({ removal: r })).toEqual({
      kind: 'release', deleteKeys: r === Removal.DESTROY, onlyCreatedByOperation: false, reason: expect.stringContaining('the stack is being deleted'),
    });
  });

  test('GIVEN an update\'s cleanup of a registration that left the template WHEN it is removed THEN its keys are deleted under DESTROY', () => {
    expect(removal({ stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' }))
      .toEqual({ kind: 'release', deleteKeys: true, onlyCreatedByOperation: false, reason: expect.stringContaining('left the stack') });
  });

  test('GIVEN an update\'s cleanup of a resource replaced for another secret or user WHEN it is removed THEN it is released', () => {
    expect(removal({ stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', replacedBy: 'other-registration' }))
      .toEqual({ kind: 'release', deleteKeys: true, onlyCreatedByOperation: false, reason: expect.stringContaining('secret or user changed') });
  });

  test('GIVEN an update\'s cleanup of a resource replaced for the same registration (a DESTROY↔RETAIN flip) WHEN it is removed THEN nothing is done', () => {
    expect(removal({ stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', replacedBy: 'same-registration' }).kind).toBe('nothing');
  });

  test.each(ROLLBACKS)('GIVEN a rollback (%s) to the same registration WHEN the resource is removed THEN its keys stay', (stackStatus) => {
    expect(removal({ stackStatus, replacedBy: 'same-registration' }).kind).toBe('nothing');
  });

  test.each(ROLLBACKS)('GIVEN a rollback (%s) of a registration the undone operation created WHEN it is removed THEN it is released, only what that operation created', (stackStatus) => {
    expect(removal({ stackStatus })).toMatchObject({ kind: 'release', deleteKeys: true, onlyCreatedByOperation: true });
    expect(removal({ stackStatus, removal: Removal.RETAIN })).toMatchObject({ kind: 'release', deleteKeys: false });
  });

  test.each(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'CREATE_COMPLETE', 'CREATE_IN_PROGRESS', 'DELETE_COMPLETE', 'garbage'])(
    'GIVEN the stack %s WHEN a Delete arrives THEN it is refused: CloudFormation does not delete registrations then', (stackStatus) => {
      expect(removal({ stackStatus })).toEqual({ kind: 'refuse', reason: expect.stringContaining(stackStatus) });
    });

  test('GIVEN any removal WHEN planned THEN keys are deleted only when the registration really leaves, only with DESTROY, and in a rollback only what it created', () => {
    const arb = fc.record({
      stackStatus: fc.oneof(fc.constantFrom(...STACK_STATUSES), fc.string()),
      replacedBy: fc.constantFrom(undefined, 'same-registration' as const, 'other-registration' as const),
      removal: fc.constantFrom(Removal.DESTROY, Removal.RETAIN),
    });
    fc.assert(fc.property(arb, (input) => {
      const p = planRemoval(input);
      if (p.kind !== 'release' || !p.deleteKeys) return;
      expect(input.removal).toBe(Removal.DESTROY);
      const rollback = ROLLBACKS.includes(input.stackStatus);
      const leaves = input.stackStatus === 'DELETE_IN_PROGRESS'
        || (input.replacedBy !== 'same-registration' && (input.stackStatus === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' || rollback));
      expect({ input, leaves, onlyCreatedByOperation: p.onlyCreatedByOperation }).toEqual({ input, leaves: true, onlyCreatedByOperation: rollback });
    }), { numRuns: 1000 });
  });
});

describe('keysToRelease', () => {
  const T = new Date('2025-06-01T00:00:00.000Z');
  const release = (i: Partial<ReleaseInput>) => keysToRelease({ keys: [], heldKeyIds: [], orphanKeyIds: [], servedKeyIds: [], ...i });

  test('GIVEN keys held by versions, a proven orphan and a hand-made key WHEN a departing registration releases THEN the hand-made key stays', () => {
    const keys = [active(CURRENT), inactive(PREVIOUS), active(ORPHAN), active(FOREIGN)];
    expect(release({ keys, heldKeyIds: [CURRENT, PREVIOUS], orphanKeyIds: [ORPHAN] }))
      .toEqual({ release: [keys[0], keys[1], keys[2]], foreign: [keys[3]], served: [] });
  });

  test('GIVEN no keys WHEN released THEN nothing is released', () => {
    expect(release({ heldKeyIds: [CURRENT] })).toEqual({ release: [], foreign: [], served: [] });
  });

  test('GIVEN the departing secret\'s keys held by the registration of the same user that replaces it WHEN released THEN none of them is deleted', () => {
    const keys = [active(CURRENT), active(PREVIOUS)];
    expect(release({ keys, heldKeyIds: [CURRENT, PREVIOUS], servedKeyIds: [CURRENT, PREVIOUS] })).toEqual({ release: [], foreign: [], served: keys });
  });

  test('GIVEN a rollback WHEN released THEN only the keys IAM created since the undone operation began go; older ones the secret holds stay', () => {
    const old = active(PREVIOUS, at(T, -DAY));
    const made = active(CURRENT, at(T, HOUR));
    expect(release({ keys: [old, made], heldKeyIds: [CURRENT, PREVIOUS], operationStartedAt: T }))
      .toEqual({ release: [made], foreign: [], served: [] });
  });

  test('GIVEN a rollback and a departing secret the role can no longer read WHEN released THEN the keys the undone operation created go, and no older one', () => {
    const old = active(FOREIGN, at(T, -DAY));
    const made = active(CURRENT, at(T, HOUR));
    expect(release({ keys: [old, made], operationStartedAt: T })).toEqual({ release: [made], foreign: [old], served: [] });
  });
});

describe('departing', () => {
  const A = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a arn:aws:iam::123456789012:user/alice';
  const B = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:b arn:aws:iam::123456789012:user/bob';
  const B2 = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:b2 arn:aws:iam::123456789012:user/bob';

  test('GIVEN registrations removed by an update WHEN compared THEN their secrets and users depart, the kept ones do not', () => {
    expect(departing([A, B], [A])).toEqual({ secretArns: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:b'], userArns: ['arn:aws:iam::123456789012:user/bob'] });
  });

  test('GIVEN nothing removed WHEN compared THEN nothing departs', () => {
    expect(departing([A], [A, B])).toEqual({ secretArns: [], userArns: [] });
  });

  test('GIVEN the rollback of an update that added a registration (before and after swapped) WHEN compared THEN the added registration departs', () => {
    expect(departing([A, B], [A])).toEqual({ secretArns: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:b'], userArns: ['arn:aws:iam::123456789012:user/bob'] });
  });

  test('GIVEN nothing changed WHEN compared THEN nothing is named', () => {
    expect(departing([A, B], [B, A])).toEqual({ secretArns: [], userArns: [] });
  });

  test('GIVEN two departing registrations of one user and a repeated entry WHEN compared THEN each secret and user is named once', () => {
    expect(departing([B, B2, B], [])).toEqual({
      secretArns: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:b', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:b2'],
      userArns: ['arn:aws:iam::123456789012:user/bob'],
    });
  });
});

// ---- Properties ----------------------------------------------------------------------------------

const accessKeyIdArb = fc.stringMatching(/^AKIA[A-Z2-7]{12}$/);
const statusArb = fc.constantFrom(ACTIVE, INACTIVE);
const policyArb = fc.constantFrom(...Object.values(ForeignKeyPolicy));
/** Absent half of the time (fast-check's default is one time in five). */
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
/** planCreate is cheap and its interesting cases are narrow: search more widely than the default 100 runs. */
const RUNS = { numRuns: 2_000 };

/**
 * Up to two IAM keys; the secret's labels (current, previous, other held keys)
 * drawn from those keys or not; tag hints naming anything; proven orphans
 * among the listed keys no version holds (what `provenOrphan` can return).
 */
const createInputArb = (policy: fc.Arbitrary<ForeignKeyPolicy> = policyArb): fc.Arbitrary<CreateInput> => fc
  .uniqueArray(fc.record({ accessKeyId: accessKeyIdArb, status: statusArb }), { maxLength: MAX_KEYS_PER_USER, selector: (k) => k.accessKeyId })
  .chain((keys) => {
    const listed = keys.map((k) => k.accessKeyId);
    const idArb = listed.length > 0 ? fc.oneof(fc.constantFrom(...listed), accessKeyIdArb) : accessKeyIdArb;
    return fc.record({
      current: optional(idArb),
      previous: optional(idArb),
      older: fc.uniqueArray(idArb, { maxLength: 2 }),
      adoptingHint: optional(idArb),
      previousHint: optional(idArb),
      orphans: fc.subarray(listed),
      policy,
    }).map(({ current, previous, older, adoptingHint, previousHint, orphans, policy: p }): CreateInput => {
      const previousKeyId = previous !== current ? previous : undefined;
      const held = [...new Set([...(current ? [current] : []), ...(previousKeyId ? [previousKeyId] : []), ...older])];
      return {
        userName: USER,
        keys: keys as AccessKey[],
        currentKeyId: current,
        previousKeyId,
        heldKeyIds: held,
        adoptingHint,
        previousHint,
        orphanKeyIds: orphans.filter((id) => !held.includes(id)),
        policy: p,
      };
    });
  });

/** Keys no version holds and not proven orphans: the ones ForeignKeyPolicy is about (whatever the tags say). */
const foreignKeys = (input: CreateInput) =>
  input.keys.filter((k) => !input.heldKeyIds.includes(k.accessKeyId) && !input.orphanKeyIds.includes(k.accessKeyId));

describe('planCreate properties', () => {
  test('GIVEN any keys, labels, hints and policy WHEN a rotation that is not a revoke plans THEN no active key is deleted but a proven orphan', () => {
    fc.assert(fc.property(createInputArb(), (input) => {
      const deleted = deletedIds(planCreate(input));
      for (const key of input.keys.filter((k) => k.status === ACTIVE && !input.orphanKeyIds.includes(k.accessKeyId))) {
        expect(deleted).not.toContain(key.accessKeyId);
      }
    }), RUNS);
  });

  test('GIVEN any keys, labels, hints and policy WHEN a rotation plans THEN the current key is never deleted', () => {
    fc.assert(fc.property(createInputArb(), (input) => {
      if (input.currentKeyId) expect(deletedIds(planCreate(input))).not.toContain(input.currentKeyId);
    }), RUNS);
  });

  test.each([ForeignKeyPolicy.FAIL, ForeignKeyPolicy.DELETE_INACTIVE])(
    'GIVEN any keys, labels and hints under %s WHEN a rotation plans THEN an active key neither held by a version nor a proven orphan is never deleted', (policy) => {
      fc.assert(fc.property(createInputArb(fc.constant(policy)), (input) => {
        const deleted = deletedIds(planCreate(input));
        for (const key of foreignKeys(input).filter((k) => k.status === ACTIVE)) expect(deleted).not.toContain(key.accessKeyId);
      }), RUNS);
    });

  // See the report: under ADOPT a tag hint (previous-key, adopting) makes an unheld active key deletable at once.
  test('GIVEN any keys, labels and hints under ADOPT WHEN a rotation plans THEN an active key neither held by a version nor a proven orphan is never deleted', () => {
    fc.assert(fc.property(createInputArb(fc.constant(ForeignKeyPolicy.ADOPT)), (input) => {
      const deleted = deletedIds(planCreate(input));
      for (const key of foreignKeys(input).filter((k) => k.status === ACTIVE)) expect(deleted).not.toContain(key.accessKeyId);
    }), RUNS);
  });

  test('GIVEN any keys, labels and hints under ADOPT WHEN a rotation plans THEN an active key neither held, nor an orphan, nor named by a hint is never deleted', () => {
    fc.assert(fc.property(createInputArb(fc.constant(ForeignKeyPolicy.ADOPT)), (input) => {
      const deleted = deletedIds(planCreate(input));
      const hinted = [input.adoptingHint, input.previousHint];
      for (const key of foreignKeys(input).filter((k) => k.status === ACTIVE && !hinted.includes(k.accessKeyId))) {
        expect(deleted).not.toContain(key.accessKeyId);
      }
    }), RUNS);
  });

  test('GIVEN any input WHEN the plan is to create THEN the deletions are distinct listed keys and leave room for the new key', () => {
    fc.assert(fc.property(createInputArb(), (input) => {
      const p = planCreate(input);
      if (p.kind !== 'create') return;
      const deleted = p.deletions.map((d) => d.accessKeyId);
      expect(new Set(deleted).size).toBe(deleted.length);
      const listed = input.keys.map((k) => k.accessKeyId);
      for (const id of deleted) expect(listed).toContain(id);
      expect(listed.filter((id) => !deleted.includes(id)).length).toBeLessThanOrEqual(MAX_KEYS_PER_USER - 1);
      for (const d of p.deletions) expect(d.wasActive).toBe(input.keys.find((k) => k.accessKeyId === d.accessKeyId)!.status === ACTIVE);
      if (p.adoptKeyId) {
        expect(input.policy).toBe(ForeignKeyPolicy.ADOPT);
        expect(listed.filter((id) => !deleted.includes(id))).toContain(p.adoptKeyId);
      }
    }), RUNS);
  });

  test('GIVEN policy FAIL and a key neither held nor a proven orphan WHEN a rotation plans THEN it fails naming the user and every such key', () => {
    fc.assert(fc.property(createInputArb(fc.constant(ForeignKeyPolicy.FAIL)), (input) => {
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
const KEY_IDS = ['AKIAAAAAAAAAAAAA', 'AKIABBBBBBBBBBBB', 'AKIACCCCCCCCCCCC', 'AKIADDDDDDDDDDDD'];

const configArb: fc.Arbitrary<RetirementConfig> = fc.record({
  deactivateAfterSeconds: fc.integer({ min: 3600, max: MAX_SECONDS }),
  deleteAfterSeconds: fc.integer({ min: 3600, max: MAX_SECONDS }),
  postponeWhileInUseSeconds: fc.integer({ min: 0, max: MAX_SECONDS }),
  foreignKeyPolicy: policyArb,
});

/** Times around T0: tag dates may lie anywhere, far in the past or the future. */
const timeArb = fc.integer({ min: T0 - 400 * DAY, max: T0 + 4 * MAX_SECONDS * SECOND }).map((ms) => new Date(ms));

/**
 * A secret's labels (current, pending and previous keys: distinct), IAM's keys
 * of the user (the current key always among them, with its creation date), and
 * tag hints naming any key with any date.
 */
const lifecycleInputArb = fc.record({
  config: configArb,
  ids: fc.shuffledSubarray(KEY_IDS, { minLength: 3, maxLength: 3 }),
  hasPrevious: fc.boolean(),
  hasPending: fc.boolean(),
  revokedPredecessor: fc.boolean(),
  currentCreated: timeArb,
  others: fc.subarray(KEY_IDS)
    .chain((ids) => fc.tuple(...ids.map((id) => fc.record({ accessKeyId: fc.constant(id), status: statusArb, createdAt: timeArb })))),
  currentStatus: statusArb,
  previousHint: optional(fc.record({ accessKeyId: fc.constantFrom(...KEY_IDS), supersededAt: optional(timeArb) })),
  progress: fc.record({
    usageCheckedAt: optional(timeArb),
    deactivatedAt: optional(timeArb),
    heldAt: fc.option(timeArb, { nil: undefined, freq: 5 }),
  }),
  hold: fc.option(fc.oneof(fc.string(), fc.constantFrom(...KEY_IDS).map((id) => `id=${id}`)), { nil: undefined, freq: 5 }),
}).map((g): LifecycleInput => {
  const [current, pending, previous] = g.ids;
  const keys: AccessKey[] = [
    { accessKeyId: current, status: g.currentStatus, createdAt: g.currentCreated },
    ...g.others.filter((k) => k.accessKeyId !== current),
  ];
  return {
    config: g.config,
    staged: {
      current,
      pending: g.hasPending ? pending : undefined,
      previous: g.hasPrevious ? previous : undefined,
      revokedPredecessor: g.revokedPredecessor,
    },
    previousHint: g.previousHint,
    progress: g.progress,
    hold: g.hold,
    keys,
  };
});

const targetOf = (a: LifecycleAction) => ('accessKeyId' in a ? a.accessKeyId : undefined);
/** Full-mode decisions that leave every key as it is: catching up on records of what happened outside. */
const NO_TRANSITION = new Set<LifecycleAction['kind']>(['none', 'forget', 'record-deactivation']);

describe('planLifecycle properties', () => {
  test('GIVEN any labels, keys and tags WHEN the lifecycle plans (listing or deciding) THEN it never targets the current or the pending key', () => {
    fc.assert(fc.property(lifecycleInputArb, timeArb, fc.boolean(), (input, now, listing) => {
      const action = planLifecycle(listing ? { ...input, keys: undefined } : input, now);
      const target = targetOf(action);
      if (target === undefined) return;
      expect(target).not.toBe(input.staged.current);
      expect(target).not.toBe(input.staged.pending);
    }), { numRuns: 1000 });
  });

  // The listing has no IAM dates: a previous-key tag dating the promotion more than a day after IAM created the current key
  // (which only a forged tag does) postpones what the listing reads; deciding holds it to that day.
  test('GIVEN any labels, keys and tags WHEN the listing says nothing is due THEN deciding with the keys at the same time makes no transition, unless the tag dates the promotion past the bound IAM sets', () => {
    fc.assert(fc.property(lifecycleInputArb, timeArb, (input, now) => {
      const listed = planLifecycle({ ...input, keys: undefined }, now);
      fc.pre(listed.kind === 'none');
      const created = input.keys!.find((k) => k.accessKeyId === input.staged.current)!.createdAt!;
      const hinted = input.previousHint?.supersededAt;
      fc.pre(!hinted || hinted.getTime() <= created.getTime() + MAX_PROMOTION_DELAY_MS);
      const decided = planLifecycle(input, now);
      if (!NO_TRANSITION.has(decided.kind)) throw new Error(`the listing said ${JSON.stringify(listed)} but deciding at the same time says ${JSON.stringify(decided)}`);
    }), { numRuns: 2000 });
  });

  test('GIVEN any tag values WHEN the lifecycle deactivates THEN it is no earlier than IAM\'s creation of the current key plus deactivateAfter (less the clock tolerance)', () => {
    fc.assert(fc.property(lifecycleInputArb, timeArb, (input, now) => {
      const action = planLifecycle(input, now);
      const created = input.keys!.find((k) => k.accessKeyId === input.staged.current)!.createdAt!;
      const earliest = created.getTime() - CLOCK_TOLERANCE_MS + input.config.deactivateAfterSeconds * SECOND;
      if (action.kind === 'deactivate') expect(now.getTime()).toBeGreaterThanOrEqual(earliest);
      // Deletion (a revoke aside) waits a further deleteAfter.
      if (action.kind === 'delete') expect(now.getTime()).toBeGreaterThanOrEqual(earliest + input.config.deleteAfterSeconds * SECOND);
    }), { numRuns: 2000 });
  });

  test('GIVEN any labels, keys and tags WHEN the lifecycle plans THEN it never deletes an active key (a revoke aside), nor one never deactivated', () => {
    fc.assert(fc.property(lifecycleInputArb, timeArb, (input, now) => {
      const action = planLifecycle(input, now);
      if (action.kind === 'delete') {
        expect(input.keys!.find((k) => k.accessKeyId === action.accessKeyId)?.status).toBe(INACTIVE);
        expect(input.progress.deactivatedAt).toBeDefined();
      }
      if (action.kind === 'delete-revoked') {
        expect(input.staged.revokedPredecessor).toBe(true);
        expect(action.accessKeyId).toBe(input.staged.previous);
      }
    }), { numRuns: 2000 });
  });

  test('GIVEN runs at increasing times WHEN each action is applied THEN usage check, deactivation and deletion happen at the first due run, one step per run', () => {
    // Run times in seconds after the supersession, biased towards the boundaries.
    const scenarioArb = configArb.chain((c) => {
      const due = c.deactivateAfterSeconds;
      const offsetArb = fc.oneof(
        fc.integer({ min: 0, max: 3 * MAX_SECONDS }),
        fc.constantFrom(Math.floor(due / 2), Math.ceil(due / 2), due - 1, due, due + c.deleteAfterSeconds - 1, due + c.deleteAfterSeconds),
      );
      return fc.record({
        config: fc.constant(c),
        offsets: fc.uniqueArray(offsetArb.filter((s) => s >= 0), { minLength: 1, maxLength: 20 }).map((a) => a.sort((x, y) => x - y)),
      });
    });

    fc.assert(fc.property(scenarioArb, ({ config: c, offsets }) => {
      const runs = offsets.map((s) => new Date(T0 + s * SECOND));
      let progress: KeyProgress = {};
      let status = ACTIVE;
      let present = true;
      const done: Record<'check-usage' | 'deactivate' | 'delete', number[]> = { 'check-usage': [], 'deactivate': [], 'delete': [] };

      runs.forEach((now, run) => {
        const previousKey = { accessKeyId: PREVIOUS, status, createdAt: new Date(T0 - 30 * DAY) };
        const keys = [active(CURRENT, new Date(T0 - 60 * SECOND)), ...(present ? [previousKey] : [])];
        // Once deleted, the key is forgotten: its label goes (and with it the proof that it is the key to retire), and
        // under ADOPT the previous-key tag is emptied as well.
        const action = planLifecycle({
          config: c,
          staged: staged(present ? {} : { previous: undefined }),
          previousHint: present ? { accessKeyId: PREVIOUS, supersededAt: new Date(T0) } : undefined,
          progress,
          keys,
        }, now);
        if (action.kind === 'none') return;
        if (action.kind !== 'check-usage' && action.kind !== 'deactivate' && action.kind !== 'delete') throw new Error(`unexpected ${action.kind}`);
        done[action.kind].push(run);
        if (action.kind === 'check-usage') progress = { ...progress, usageCheckedAt: now };
        if (action.kind === 'deactivate') {
          progress = { ...progress, deactivatedAt: now };
          status = INACTIVE;
        }
        if (action.kind === 'delete') {
          progress = {};
          present = false;
        }
      });

      const dueMs = T0 + c.deactivateAfterSeconds * SECOND;
      const checkMs = T0 + c.deactivateAfterSeconds * SECOND / 2;
      const firstCheck = runs.findIndex((t) => t.getTime() >= checkMs && t.getTime() < dueMs);
      expect(done['check-usage']).toEqual(firstCheck < 0 ? [] : [firstCheck]);

      const firstDue = runs.findIndex((t) => t.getTime() >= dueMs);
      expect(done.deactivate).toEqual(firstDue < 0 ? [] : [firstDue]);
      if (firstDue < 0) {
        expect(done.delete).toEqual([]);
        return;
      }
      const deleteMs = runs[firstDue].getTime() + c.deleteAfterSeconds * SECOND;
      const firstDeletion = runs.findIndex((t, run) => run > firstDue && t.getTime() >= deleteMs);
      expect(done.delete).toEqual(firstDeletion < 0 ? [] : [firstDeletion]);
    }));
  });
});

describe('planConvergence: a registered secret\'s rotation set-up against its registration, from the listing', () => {
  const FN = 'arn:aws:lambda:us-east-1:123456789012:function:access-key-rotation';
  const registered = { scheduleExpression: 'rate(30 days)', windowHours: 2, rotateOnDeploy: true };
  const rotated = { v1: ['AWSCURRENT', 'AKIAAAAAAAAAAAAAAAAA'] };
  const listed = (over: Partial<ListedSecret> = {}): ListedSecret => ({
    arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/alice-AbCdEf',
    tags: {},
    versions: rotated,
    rotationEnabled: true,
    rotationLambdaArn: FN,
    rotationRules: { scheduleExpression: 'rate(30 days)', duration: '2h' },
    ...over,
  });

  test.each([
    ['as deployed', listed()],
    ['a rate in days reported as AutomaticallyAfterDays', listed({ rotationRules: { automaticallyAfterDays: 30, duration: '2h' } })],
    ['the expression in other case and spacing', listed({ rotationRules: { scheduleExpression: 'RATE(30  days)', duration: '2h' } })],
    ['the function named with a version', listed({ rotationLambdaArn: `${FN}:7` })],
  ])('GIVEN a secret %s THEN nothing is to be done', (_, secret) => {
    expect(planConvergence(secret, registered, `${FN}:$LATEST`)).toBeUndefined();
  });

  test.each([
    ['rotation turned off', listed({ rotationEnabled: false }), 'rotation was off'],
    ['another function', listed({ rotationLambdaArn: `${FN}-x` }), `its rotation function was ${FN}-x, not ${FN}`],
    ['no function', listed({ rotationLambdaArn: undefined }), `its rotation function was none, not ${FN}`],
    ['a schedule moved away', listed({ rotationRules: { scheduleExpression: 'rate(1000 days)', duration: '2h' } }),
      'its schedule was rate(1000 days) in a 2h window, not rate(30 days) in a 2h window'],
    ['AutomaticallyAfterDays of another rate', listed({ rotationRules: { automaticallyAfterDays: 1000, duration: '2h' } }),
      'its schedule was every 1000 days in a 2h window, not rate(30 days) in a 2h window'],
    ['another window', listed({ rotationRules: { scheduleExpression: 'rate(30 days)', duration: '24h' } }),
      'its schedule was rate(30 days) in a 24h window, not rate(30 days) in a 2h window'],
    ['no rules', listed({ rotationRules: undefined }), 'its schedule was no schedule, not rate(30 days) in a 2h window'],
  ])('GIVEN %s THEN it is put back, saying what it was', (_, secret, reason) => {
    expect(planConvergence(secret, registered, FN)).toEqual({ drift: [reason], rotateNow: false });
  });

  test('GIVEN a registry with no window THEN any window Secrets Manager reports is its default, not drift', () => {
    expect(planConvergence(listed({ rotationRules: { scheduleExpression: 'rate(30 days)', duration: '24h' } }),
      { ...registered, windowHours: undefined }, FN)).toBeUndefined();
  });

  test.each([
    ['holds no key (metadata only)', true, { v0: ['AWSCURRENT'] }],
    ['holds no key while a rotation is under way', false, { v0: ['AWSCURRENT'], v1: ['AWSPENDING'] }],
    ['holds no key and rotates on its schedule only', false, { v0: ['AWSCURRENT'] }, false],
    ['holds a key', false, rotated],
  ])('GIVEN a secret that %s THEN it rotates now: %s', (_, rotateNow, versions, rotateOnDeploy = true) => {
    const convergence = planConvergence(listed({ versions }), { ...registered, rotateOnDeploy }, FN);
    expect(convergence?.rotateNow ?? false).toBe(rotateNow);
  });
});

describe('currentKeySuspect: the credential report against a listing', () => {
  const NOW = new Date('2026-12-01T00:00:00Z');
  const listed = (versions: Record<string, string[]>) => ({ versions });
  const ROTATED = { v1: [Stage.PREVIOUS, PREVIOUS], v2: [Stage.CURRENT, CURRENT] };
  const key = (isActive: boolean, daysAgo: number) => ({ active: isActive, createdAt: new Date(NOW.getTime() - daysAgo * DAY) });

  test.each([
    ['both keys active (grace period)', ROTATED, [key(true, 30), key(true, 1)], undefined],
    ['the old key deactivated', ROTATED, [key(false, 30), key(true, 1)], undefined],
    ['no active key', ROTATED, [key(false, 30), key(false, 1)], 'the user has no active access key'],
    ['no key at all', ROTATED, [], 'the user has no access key'],
    ['the newest key inactive', ROTATED, [key(true, 30), key(false, 1)], 'the user\'s newest access key is inactive'],
    ['two keys of one second, one inactive', ROTATED, [key(true, 1), key(false, 1)], 'the user\'s newest access key is inactive'],
    ['fewer keys than the secret holds', ROTATED, [key(true, 30)], 'the user has 1 access key(s), fewer than the 2 its secret holds'],
    ['a secret that holds no key yet', { v1: [Stage.CURRENT] }, [], undefined],
  ])('GIVEN %s THEN %p', (_, versions, reported, expected) => {
    expect(currentKeySuspect(listed(versions as Record<string, string[]>), reported)).toBe(expected);
  });

  test('GIVEN a user the report predates (not in it) THEN nothing is suspected', () => {
    expect(currentKeySuspect(listed(ROTATED), undefined)).toBeUndefined();
  });
});

describe('mode OBSERVE in the convergence check, and rateSeconds', () => {
  const listed = (rotationEnabled: boolean): ListedSecret => ({ arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf', rotationEnabled, tags: {}, versions: {} });
  const observing = { scheduleExpression: 'rate(30 days)', rotateOnDeploy: true, mode: RotationMode.OBSERVE };
  const FN = 'arn:aws:lambda:us-east-1:123456789012:function:rotator';

  test('GIVEN an observing registration whose rotation is off THEN nothing is to be done (no key, no schedule: that is as deployed)', () => {
    expect(planConvergence(listed(false), observing, FN)).toBeUndefined();
  });

  test('GIVEN an observing registration whose rotation someone turned on THEN it is turned off again, never rotated', () => {
    expect(planConvergence(listed(true), observing, FN)).toEqual({ drift: ['rotation was on, in mode OBSERVE'], rotateNow: false, turnOff: true });
  });

  test.each([
    ['rate(30 days)', 30 * 86400], ['rate(1 day)', 86400], ['rate(6 hours)', 6 * 3600], ['rate(90 minutes)', 5400], ['cron(0 4 ? * SUN *)', undefined],
  ])('GIVEN %s THEN its interval is %p seconds', (expression, seconds) => {
    expect(rateSeconds(expression)).toBe(seconds);
  });
});
