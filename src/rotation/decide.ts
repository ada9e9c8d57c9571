/**
 * The rotation's decisions as pure functions of (keys, secret state, registry,
 * now) → actions. No AWS calls and no clock of their own, so every case is
 * unit-tested without any AWS at all; the job modules carry the actions out.
 *
 * What each decision may act on is proven, never taken from a tag: a key is
 * "ours" when a version of the registered secret holds it (its key label), or
 * under ForeignKeyPolicy.ADOPT, which allows taking over any key of the user;
 * a date from a tag can only postpone a transition, never bring it forward.
 */
import { ForeignKeyPolicy } from '../foreign-key-policy';
import { RotationMode } from '../rotation-mode';
import { DEPARTURE_FIELD_SEPARATOR, Registration, Removal, Stage } from './contract';
import type { AccessKey, LastUse, ListedSecret, ReportedKey, ReportedRotationRules } from './gateway';
import { ACTIVE, decodeFields, INACTIVE, KeyProgress, labelledKeys, PreviousKeyHint, StagedKeys, stagedKeys, versionWithLabel } from './model';

/** IAM's limit of access keys per user. */
export const MAX_KEYS_PER_USER = 2;

const MS = 1000;
const DAY_MS = 86_400 * MS;

const isActive = (k: AccessKey) => k.status === ACTIVE;
const plus = (d: Date, seconds: number) => new Date(d.getTime() + seconds * MS);
const later = (a: Date, b: Date | undefined) => (b && b > a ? b : a);

// ---- createSecret ------------------------------------------------------------------

export interface Deletion {
  readonly accessKeyId: string;
  readonly reason: string;
  readonly wasActive: boolean;
}

export interface CreateInput {
  readonly userName: string;
  /** The registered user's keys, from ListAccessKeys. */
  readonly keys: AccessKey[];
  /** The key AWSCURRENT's version holds. */
  readonly currentKeyId?: string;
  /** The key AWSPREVIOUS's version holds. */
  readonly previousKeyId?: string;
  /** Every key any version of the secret holds (current and previous included). */
  readonly heldKeyIds: string[];
  /** Tag hints, honoured under ADOPT only: the key being adopted, and the previous key (an adopted key has no version). */
  readonly adoptingHint?: string;
  readonly previousHint?: string;
  /** Keys proven to be orphans of an interrupted attempt of this rotation (see `provenOrphan`). */
  readonly orphanKeyIds: string[];
  readonly policy: ForeignKeyPolicy;
  /**
   * An operator's emergency revoke: every older key goes now, active or not
   * (the current one is deactivated when the new key is promoted).
   */
  readonly revoke?: boolean;
  /** What the lifecycle says of the key it retires, for the way out a refused rotation names. */
  readonly retiring?: RetiringKey;
}

/** The old key the lifecycle retires, as far as the rotation needs to say why it cannot make room yet. */
export interface RetiringKey {
  readonly accessKeyId: string;
  /** When its grace period ends and the lifecycle deactivates it. */
  readonly deactivationDueAt?: Date;
  /** An operator's hold keeps the lifecycle off it. */
  readonly held?: boolean;
}

export type CreatePlan =
  | {
    readonly kind: 'fail';
    readonly reason: string;
    readonly accessKeyIds: string[];
    /**
     * The rotation cannot go ahead until time (or an operator) retires an old
     * key: the attempt is given up, so that Secrets Manager can start the next one.
     */
    readonly abandon?: boolean;
  }
  | {
    readonly kind: 'create';
    /** Deleted, in order, before the new key is created. */
    readonly deletions: Deletion[];
    /** A foreign key taken over under ADOPT; it becomes the previous key at finishSecret. */
    readonly adoptKeyId?: string;
  };

/**
 * Reconciles the user's keys against the secret before a key is created.
 *
 * Every key is the current key, a key the secret holds (superseded), an
 * orphan (proven: see `provenOrphan`), or foreign — made outside this library,
 * handled by `policy`. The current key is never deleted; an active foreign key
 * is never deleted at all; and no other active key is deleted to make room
 * either, except by a revoke: an old key still in its grace period (or made
 * active again under a hold) is retired by the lifecycle's timeline only, so
 * a rotation that would need its slot fails before it changes anything,
 * naming the key and the way out.
 */
export function planCreate(input: CreateInput): CreatePlan {
  const adopt = input.policy === ForeignKeyPolicy.ADOPT;
  const present = new Set(input.keys.map((k) => k.accessKeyId));
  const held = new Set(input.heldKeyIds);
  const previous = new Set<string>();
  if (input.previousKeyId) previous.add(input.previousKeyId);
  // An adopted key is held by no version: under ADOPT (which allows taking over any key of the user) the tags say which.
  if (adopt && input.previousHint && !held.has(input.previousHint) && input.previousHint !== input.currentKeyId) previous.add(input.previousHint);
  const recordedAdoption = adopt && input.adoptingHint && present.has(input.adoptingHint)
    && !held.has(input.adoptingHint) && input.adoptingHint !== input.currentKeyId ? input.adoptingHint : undefined;
  const owned = (id: string) => id === input.currentKeyId || held.has(id) || previous.has(id) || id === recordedAdoption;

  const deletions: Deletion[] = [];
  const foreign: AccessKey[] = [];
  for (const key of input.keys) {
    if (owned(key.accessKeyId)) continue;
    if (input.orphanKeyIds.includes(key.accessKeyId)) {
      deletions.push({
        accessKeyId: key.accessKeyId,
        reason: 'orphan: created by an interrupted attempt of this rotation, never stored and never used',
        wasActive: isActive(key),
      });
    } else {
      foreign.push(key);
    }
  }

  let adoptKeyId = recordedAdoption;
  if (foreign.length > 0) {
    const ids = foreign.map((k) => `${k.accessKeyId} (${k.status})`).join(', ');
    const active = foreign.filter(isActive);
    const inactive = foreign.filter((k) => !isActive(k));
    switch (input.policy) {
      case ForeignKeyPolicy.FAIL:
        return {
          kind: 'fail',
          reason: `user ${input.userName} has access keys this library did not create: ${ids}; `
            + 'delete them, or choose a foreign key policy (DELETE_INACTIVE, ADOPT)',
          accessKeyIds: foreign.map((k) => k.accessKeyId),
        };
      case ForeignKeyPolicy.DELETE_INACTIVE:
        if (active.length > 0) {
          return {
            kind: 'fail',
            reason: `user ${input.userName} has active access keys this library did not create: `
              + `${active.map((k) => k.accessKeyId).join(', ')}; policy DELETE_INACTIVE deletes only inactive ones`,
            accessKeyIds: active.map((k) => k.accessKeyId),
          };
        }
        break;
      case ForeignKeyPolicy.ADOPT:
        if (active.length > 1 || (active.length === 1 && adoptKeyId)) {
          const names = [...active.map((k) => k.accessKeyId), ...(adoptKeyId ? [adoptKeyId] : [])];
          return {
            kind: 'fail',
            reason: `user ${input.userName} has more than one active access key this library did not create `
              + `(${names.join(', ')}); ADOPT takes over one: deactivate the other first`,
            accessKeyIds: names,
          };
        }
        if (active.length === 1) adoptKeyId = active[0].accessKeyId;
        break;
    }
    for (const key of inactive) {
      deletions.push({ accessKeyId: key.accessKeyId, reason: `foreign inactive key, policy ${input.policy}`, wasActive: false });
    }
  }

  // Make room: IAM allows two keys; the new one needs a free slot. An inactive
  // key goes first, and among equals the oldest generation (the previous key,
  // then older held keys, then an adopted key); never the current key.
  const deleted = new Set(deletions.map((d) => d.accessKeyId));
  const remaining = input.keys.filter((k) => !deleted.has(k.accessKeyId));
  const rank = (k: AccessKey) => (isActive(k) ? 3 : 0) + (previous.has(k.accessKeyId) ? 0 : held.has(k.accessKeyId) ? 1 : 2);
  const sacrificable = remaining.filter((k) => k.accessKeyId !== input.currentKeyId).sort((a, b) => rank(a) - rank(b));
  while (remaining.length >= MAX_KEYS_PER_USER) {
    const victim = sacrificable.shift();
    if (!victim) {
      // Unreachable with IAM's limit of two and one current key, kept as a guard.
      return { kind: 'fail', reason: `user ${input.userName} has no free access key slot`, accessKeyIds: remaining.map((k) => k.accessKeyId) };
    }
    if (isActive(victim) && !input.revoke) {
      // Held by a version, or the key the lifecycle retires: time (or releasing a hold) makes room, so the attempt is given up.
      // An adopted key no version holds waits for an operator to deactivate it, and the retry then goes ahead.
      const retired = held.has(victim.accessKeyId) || input.retiring?.accessKeyId === victim.accessKeyId;
      return { kind: 'fail', reason: stillActive(input, victim.accessKeyId, held.has(victim.accessKeyId)), accessKeyIds: [victim.accessKeyId], abandon: retired };
    }
    deletions.push({
      accessKeyId: victim.accessKeyId,
      reason: input.revoke ? 'older key deleted at once by an emergency revoke, to make room for the new key (IAM allows two per user)'
        : 'superseded key deleted to make room for the new key (IAM allows two per user)',
      wasActive: isActive(victim),
    });
    remaining.splice(remaining.indexOf(victim), 1);
    if (victim.accessKeyId === adoptKeyId) adoptKeyId = undefined;
  }
  return { kind: 'create', deletions, adoptKeyId };
}

/** Why a rotation cannot make room: the old key in the way is still active, and how to get it out of the way. */
function stillActive(input: CreateInput, accessKeyId: string, held: boolean): string {
  const retiring = input.retiring?.accessKeyId === accessKeyId ? input.retiring : undefined;
  const why = retiring?.held ? 'an operator\'s hold keeps it active'
    : retiring?.deactivationDueAt ? `its grace period ends at ${retiring.deactivationDueAt.toISOString()}, when the lifecycle deactivates it`
      : held ? 'the lifecycle has not deactivated it yet'
        : 'it is held by no version of the secret (an adopted key), so it is known to be this secret\'s from tags only';
  const wait = retiring?.held ? 'release the hold (the lifecycle then deactivates it)'
    : retiring?.deactivationDueAt ? 'rotate after it is deactivated'
      : 'deactivate it first';
  return `user ${input.userName} has no free access key slot: the old key ${accessKeyId} is still active (${why}), `
    + `and a rotation never deletes an active key; ${wait}, or revoke (which replaces the current key and deletes ${accessKeyId} at once)`;
}

export interface OrphanEvidence {
  /** The key id the function recorded right after CreateAccessKey (the `creating` tag). */
  readonly markerId?: string;
  readonly key?: AccessKey;
  /** Every key a version of the secret holds. */
  readonly heldKeyIds: string[];
  readonly lastUse?: LastUse;
  /** When the AWSPENDING placeholder of the rotation in progress was created. */
  readonly attemptStartedAt?: Date;
}

/**
 * A key is deleted as an orphan only when every fact agrees it was created by
 * an attempt of this rotation that never stored it: the function recorded its
 * id, no version holds it, it has never been used, and IAM created it after
 * the rotation started. A key that fails any of these is foreign — even one
 * that appeared after a crashed attempt — so an operator's hand-made key is
 * never deleted by a retry.
 */
export function provenOrphan(e: OrphanEvidence): boolean {
  if (!e.markerId || !e.key || e.key.accessKeyId !== e.markerId) return false;
  if (e.heldKeyIds.includes(e.markerId)) return false;
  if (!e.lastUse || e.lastUse.gone || e.lastUse.at !== undefined) return false;
  if (!e.key.createdAt || !e.attemptStartedAt) return false;
  // IAM dates a key to the second (rounded down), Secrets Manager a version to the millisecond: compared at IAM's
  // precision, a key made in the same second as the version, after it, counts as later; one made in an earlier
  // second (before the rotation started) does not.
  return e.key.createdAt.getTime() >= Math.floor(e.attemptStartedAt.getTime() / 1000) * 1000;
}

// ---- the lifecycle of the old key ----------------------------------------------------------

export type LifecycleAction =
  | { readonly kind: 'none'; readonly reason: string; readonly nextAt?: Date }
  /** The listing's hints cannot rule a transition out: read the secret and the keys. */
  | { readonly kind: 'read' }
  | { readonly kind: 'check-usage'; readonly accessKeyId: string }
  | { readonly kind: 'deactivate'; readonly accessKeyId: string }
  | { readonly kind: 'delete'; readonly accessKeyId: string }
  /** The current key replaced it by an emergency revoke: it goes now, active or not. */
  | { readonly kind: 'delete-revoked'; readonly accessKeyId: string; readonly wasActive: boolean }
  /** It was made active again after the lifecycle deactivated it: hold off, visibly. */
  | { readonly kind: 'hold'; readonly accessKeyId: string }
  /** An operator holds it, active again after its deactivation: noted, so that releasing the hold retires it anew. */
  | { readonly kind: 'record-hold'; readonly accessKeyId: string }
  /** Made inactive outside the lifecycle: record it, and keep it deleteAfter from now. */
  | { readonly kind: 'record-deactivation'; readonly accessKeyId: string }
  /** Deleted outside the lifecycle: nothing left to retire. */
  | { readonly kind: 'forget'; readonly accessKeyId: string }
  /**
   * Due, but the current key is not active in IAM (made inactive or deleted outside the library): the old key is the
   * user's only active key and stays so; the run fails, saying why and the way out.
   */
  | { readonly kind: 'blocked'; readonly accessKeyId: string; readonly reason: string };

export type RetirementConfig = Pick<Registration,
'deactivateAfterSeconds' | 'deleteAfterSeconds' | 'postponeWhileInUseSeconds' | 'foreignKeyPolicy' | 'noticeBeforeSeconds'>;

/** When the old key's use is checked (and a consumer still on it warned): `noticeBefore` ahead of deactivation, by default halfway. */
export function usageCheckAt(config: RetirementConfig, superseded: Date): Date {
  return plus(superseded, config.deactivateAfterSeconds - (config.noticeBeforeSeconds ?? config.deactivateAfterSeconds / 2));
}

export interface LifecycleInput {
  readonly config: RetirementConfig;
  /** The keys the secret's versions hold, by stage (proof). */
  readonly staged: StagedKeys;
  /** The rotation's previous-key tag (a hint). */
  readonly previousHint?: PreviousKeyHint;
  /** The lifecycle's progress tag of the old key (hints). */
  readonly progress: KeyProgress;
  /** The hold tag's value, when one is set (`id=<key>` in it limits the hold to that key). */
  readonly hold?: string;
  /** The registered user's keys from IAM; absent while deciding from a listing alone. */
  readonly keys?: AccessKey[];
}

/** The key the lifecycle may retire: the previous version's key, or under ADOPT the key the rotation adopted. */
export function retirableKey(input: Pick<LifecycleInput, 'config' | 'staged' | 'previousHint'>): string | undefined {
  const { staged } = input;
  const id = staged.previous
    ?? (input.config.foreignKeyPolicy === ForeignKeyPolicy.ADOPT ? input.previousHint?.accessKeyId : undefined);
  if (!id || id === staged.current || id === staged.pending) return undefined;
  return id;
}

/** How much earlier than IAM's creation of the current key a recorded promotion may be (clocks differ a little). */
export const CLOCK_TOLERANCE_MS = 5 * 60 * MS;
/**
 * How much later than IAM's creation of the current key its promotion may be
 * recorded: the four steps of one rotation, Secrets Manager's retries of them
 * included. A record dated later is held to this bound.
 */
export const MAX_PROMOTION_DELAY_MS = DAY_MS;

/**
 * When the old key was superseded, as far as can be proven: the tag's date,
 * held between IAM's creation of the current key (which happened before its
 * promotion, less a clock tolerance) and a day after it, so a tag can neither
 * bring a transition forward nor put it off for good. Undefined when nothing
 * bounds it yet.
 */
export function supersededAt(input: LifecycleInput, accessKeyId: string): Date | undefined {
  const hinted = input.previousHint?.accessKeyId === accessKeyId ? input.previousHint.supersededAt : undefined;
  const created = input.keys?.find((k) => k.accessKeyId === input.staged.current)?.createdAt;
  // IAM no longer has the current key: nothing bounds the tag's date, so nothing is due on its word.
  if (input.keys && !created) return undefined;
  if (!created) return hinted;
  if (!hinted) return created;
  const low = created.getTime() - CLOCK_TOLERANCE_MS;
  const high = created.getTime() + MAX_PROMOTION_DELAY_MS;
  return new Date(Math.min(Math.max(hinted.getTime(), low), high));
}

/**
 * The one transition due for a secret's old key. From a listing (no `keys`)
 * it answers `none` only when the hints prove nothing can be due, else `read`;
 * with the keys it decides. A missed run is caught up by the next one, one
 * step per run: a key is never deactivated and deleted in the same run, so the
 * reversible inactive period always lasts `deleteAfter` (a revoked key excepted).
 *
 * What others can write is weighed before anything else: a revoke (a label on
 * AWSCURRENT) comes first, whatever the tags say; a date from a tag is held to
 * IAM's dates; a record of a released hold counts only once the grace period
 * is over; an operator's hold that keeps an active key past its grace period
 * is recorded, with an event.
 */
export function planLifecycle(input: LifecycleInput, now: Date): LifecycleAction {
  const id = retirableKey(input);
  if (!id) return { kind: 'none', reason: 'no old key to retire' };
  const { config } = input;
  const revoked = input.staged.revokedPredecessor && id === input.staged.previous;
  const held = input.hold !== undefined && holds(input.hold, id);

  if (!input.keys) {
    // Deciding from the listing: hints can only postpone, so "not yet" by the hints is "not yet"; a date from the future is no date.
    if (revoked) return { kind: 'read' };
    const superseded = input.previousHint?.accessKeyId === id ? input.previousHint.supersededAt : undefined;
    if (!superseded || superseded > now) return { kind: 'read' };
    return planFromHints(input, superseded, held, now);
  }

  const key = input.keys.find((k) => k.accessKeyId === id);
  if (!key) return { kind: 'forget', accessKeyId: id };
  if (revoked) return { kind: 'delete-revoked', accessKeyId: id, wasActive: isActive(key) };
  const superseded = supersededAt(input, id);
  const due = superseded && plus(superseded, config.deactivateAfterSeconds);
  let progress = input.progress;
  if (held) {
    // Active again after its deactivation, or kept active past its grace period: noted once, with an event.
    const heldPastDue = !progress.deactivatedAt && due !== undefined && now >= due;
    if (key.status === ACTIVE && !progress.heldAt && (progress.deactivatedAt || heldPastDue)) return { kind: 'record-hold', accessKeyId: id };
    return { kind: 'none', reason: `held: ${input.hold}` };
  }
  if (!superseded || !due) {
    // IAM no longer has the current key (which dates the old one): the old key, if active, is all the user has.
    return (isActive(key) ? onlyActive(input, id) : undefined) ?? { kind: 'none', reason: `no record of when ${id} was superseded` };
  }
  if (progress.deactivatedAt && progress.heldAt) {
    // The hold on a key made active again was released: retire it anew, from now. Only a key whose grace period is
    // over can have been deactivated by the lifecycle at all: a record that says otherwise was not written by it.
    if (now >= due) return key.status === ACTIVE ? onlyActive(input, id) ?? { kind: 'deactivate', accessKeyId: id } : { kind: 'record-deactivation', accessKeyId: id };
    progress = { usageCheckedAt: progress.usageCheckedAt };
  }

  if (!progress.deactivatedAt) {
    if (key.status === INACTIVE) return { kind: 'record-deactivation', accessKeyId: id };
    if (now >= due) return onlyActive(input, id) ?? { kind: 'deactivate', accessKeyId: id };
    const checkAt = usageCheckAt(config, superseded);
    if (now >= checkAt && !progress.usageCheckedAt) return { kind: 'check-usage', accessKeyId: id };
    return { kind: 'none', reason: 'grace period', nextAt: progress.usageCheckedAt || now >= checkAt ? due : checkAt };
  }
  const deleteAt = plus(later(progress.deactivatedAt, due), config.deleteAfterSeconds);
  if (now < deleteAt) return { kind: 'none', reason: 'inactive, retained', nextAt: deleteAt };
  return key.status === ACTIVE ? { kind: 'hold', accessKeyId: id } : { kind: 'delete', accessKeyId: id };
}

/**
 * The old key `id` may not be deactivated while the current key is not active
 * in IAM: it is then the user's only working key. Promise 1 over the timeline.
 */
function onlyActive(input: LifecycleInput, id: string): LifecycleAction | undefined {
  const currentId = input.staged.current;
  if (!currentId || !input.keys) return undefined;
  const current = input.keys.find((k) => k.accessKeyId === currentId);
  if (current && isActive(current)) return undefined;
  const found = current ? `is ${current.status}` : 'no longer exists';
  const ways = current ? `make ${currentId} active again, or revoke (a new current key, and ${id} deleted at once)`
    : `rotate, for a working current key (${id} is then no longer on this secret's timeline: deactivate and delete it in IAM once nothing uses it)`;
  return {
    kind: 'blocked',
    accessKeyId: id,
    reason: `the current key ${currentId} ${found}, so the old key ${id}, the user's only active key, is not deactivated: ${ways}`,
  };
}

/** The listing's answer: `none` only when the hints prove nothing can be due yet (or a hold keeps it), else `read`. */
function planFromHints(input: LifecycleInput, superseded: Date, held: boolean, now: Date): LifecycleAction {
  const { config, progress } = input;
  const due = plus(superseded, config.deactivateAfterSeconds);
  if (held) {
    // Whether the held key is active again (or still active past its grace period) shows only in IAM.
    if (!progress.heldAt && (progress.deactivatedAt || now >= due)) return { kind: 'read' };
    return { kind: 'none', reason: `held: ${input.hold}` };
  }
  if (progress.deactivatedAt && !progress.heldAt) {
    const deleteAt = plus(later(progress.deactivatedAt, due), config.deleteAfterSeconds);
    return now >= deleteAt ? { kind: 'read' } : { kind: 'none', reason: 'inactive, retained', nextAt: deleteAt };
  }
  const checkAt = usageCheckAt(config, superseded);
  if (now >= due || (now >= checkAt && !progress.usageCheckedAt)) return { kind: 'read' };
  return { kind: 'none', reason: 'grace period', nextAt: progress.usageCheckedAt || now >= checkAt ? due : checkAt };
}

/** A hold that names a key holds that key only; one without a name holds whichever key is previous. */
export function holds(hold: string, accessKeyId: string): boolean {
  const named = decodeFields(hold).id;
  return named === undefined || named === accessKeyId;
}

/**
 * The old key the lifecycle retires, with when its grace period ends and
 * whether a hold keeps it: what a rotation that needs its slot names as the
 * way out (the function's refusal, and the CLI's forecast of it).
 */
export function retiringKey(input: LifecycleInput): RetiringKey | undefined {
  const id = retirableKey(input);
  if (!id) return undefined;
  const superseded = supersededAt(input, id);
  return {
    accessKeyId: id,
    deactivationDueAt: superseded && deactivationDueAt(input.config, superseded),
    held: input.hold !== undefined && holds(input.hold, id),
  };
}

/** When deactivation is due; from here on a still-used key may delay it (opt-in). */
export function deactivationDueAt(config: RetirementConfig, superseded: Date): Date {
  return plus(superseded, config.deactivateAfterSeconds);
}

export type DeactivationPlan =
  | { readonly kind: 'deactivate'; readonly stillInUse: boolean }
  | { readonly kind: 'postpone'; readonly until: Date; readonly warn: boolean };

/** True when the old key was used after the new one was promoted. */
export function usedAfterPromotion(superseded: Date, lastUsed: Date | undefined): boolean {
  return lastUsed !== undefined && lastUsed > superseded;
}

/**
 * Deactivation once `GetAccessKeyLastUsed` is known: a key still in use is
 * deactivated anyway unless postponing is opted into, and then only up to
 * the bound; the warning event repeats at most daily while postponed.
 */
export function planDeactivation(
  config: RetirementConfig, superseded: Date, usageCheckedAt: Date | undefined, lastUsed: Date | undefined, now: Date,
): DeactivationPlan {
  const inUse = usedAfterPromotion(superseded, lastUsed);
  const limit = plus(deactivationDueAt(config, superseded), config.postponeWhileInUseSeconds);
  if (inUse && now < limit) {
    const warn = !usageCheckedAt || now.getTime() - usageCheckedAt.getTime() >= DAY_MS;
    return { kind: 'postpone', until: limit, warn };
  }
  return { kind: 'deactivate', stillInUse: inUse };
}

// ---- emergency revoke ----------------------------------------------------------------------

/**
 * Whether an operator's revoke request applies to the rotation starting now:
 * it must be recent (a request lying in wait for the next scheduled rotation
 * is dropped) and not from the future.
 */
export function revokeRequested(requestedAt: Date | undefined | 'malformed', now: Date, ttlSeconds: number): boolean {
  if (!requestedAt || requestedAt === 'malformed') return false;
  const age = now.getTime() - requestedAt.getTime();
  return age >= -5 * 60 * MS && age <= ttlSeconds * MS;
}

// ---- CloudFormation: removal ---------------------------------------------------------------

/** Stack statuses in which CloudFormation undoes an operation. */
const ROLLBACK = new Set(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS']);

export function isRollback(stackStatus: string): boolean {
  return ROLLBACK.has(stackStatus);
}

export interface RemovalInput {
  readonly stackStatus: string;
  /**
   * CloudFormation holds a newer resource under this logical id, so this
   * Delete cleans up a replaced one: for the same secret and user (a changed
   * removal policy or schedule), or for another (a renamed secret or user).
   */
  readonly replacedBy?: 'same-registration' | 'other-registration';
  readonly removal: Removal;
}

export type RemovalPlan =
  | { readonly kind: 'nothing'; readonly reason: string }
  | {
    readonly kind: 'release';
    readonly deleteKeys: boolean;
    /** A rollback deletes only keys the operation being undone created. */
    readonly onlyCreatedByOperation: boolean;
    readonly reason: string;
  }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * What a verified Delete of a registration's rotation resource does. Keys are
 * deleted only when the registration really leaves — the stack is deleted,
 * CloudFormation's cleanup removes a registration no longer in the template, or
 * a rollback removes one the operation being undone created — and its removal
 * policy is DESTROY; a rollback deletes only the keys that operation created.
 * A replacement for the same secret and user (a DESTROY↔RETAIN flip, a changed
 * schedule) deletes nothing. Which keys go is `keysToRelease`'s: never one a
 * registration of the same user in the registry in force holds.
 */
export function planRemoval(input: RemovalInput): RemovalPlan {
  const rollback = ROLLBACK.has(input.stackStatus);
  const release = (why: string): RemovalPlan => ({
    kind: 'release',
    deleteKeys: input.removal === Removal.DESTROY,
    onlyCreatedByOperation: rollback,
    reason: `${why}; removal policy ${input.removal}`,
  });
  const same = input.replacedBy === 'same-registration';
  if (rollback) {
    if (same) return { kind: 'nothing', reason: `rollback (${input.stackStatus}) to the same registration: its keys stay` };
    return release(`rollback (${input.stackStatus}) of a registration the operation being undone created`);
  }
  if (input.stackStatus === 'DELETE_IN_PROGRESS') return release('the stack is being deleted');
  if (input.stackStatus === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS') {
    if (same) return { kind: 'nothing', reason: 'replaced by a newer resource for the same secret and user, which stays registered' };
    return release(input.replacedBy ? 'the registration\'s secret or user changed' : 'the registration left the stack');
  }
  return { kind: 'refuse', reason: `CloudFormation does not delete registrations while the stack is ${input.stackStatus}` };
}

export interface ReleaseInput {
  /** The departing user's keys, from IAM. */
  readonly keys: AccessKey[];
  /** Keys the departing secret's versions hold (none when it cannot be read). */
  readonly heldKeyIds: string[];
  /** Proven orphans of an interrupted attempt of the departing secret's rotation. */
  readonly orphanKeyIds: string[];
  /** Keys held by a registration of the same user in the registry in force (the secret it hands over to, say). */
  readonly servedKeyIds: string[];
  /**
   * Set in a rollback: when the operation being undone began. Only keys IAM
   * created since (less the clock tolerance) are that operation's; when the
   * departing secret cannot be read, they are the ones to delete.
   */
  readonly operationStartedAt?: Date;
}

/**
 * Which keys a departing registration's removal deletes: those the secret's
 * versions hold and proven orphans (in a rollback, those the operation being
 * undone created), never a key a registration of the same user that stays
 * holds. Keys made by hand stay (`foreign`).
 */
export function keysToRelease(input: ReleaseInput): { release: AccessKey[]; foreign: AccessKey[]; served: AccessKey[] } {
  const served = new Set(input.servedKeyIds);
  const since = input.operationStartedAt && input.operationStartedAt.getTime() - CLOCK_TOLERANCE_MS;
  const createdByOperation = (k: AccessKey) => since !== undefined && k.createdAt !== undefined && k.createdAt.getTime() >= since;
  const ours = new Set([...input.heldKeyIds, ...input.orphanKeyIds]);
  const releasable = (k: AccessKey) => (since === undefined ? ours.has(k.accessKeyId)
    : createdByOperation(k) && (ours.has(k.accessKeyId) || input.heldKeyIds.length === 0));
  const out = { release: [] as AccessKey[], foreign: [] as AccessKey[], served: [] as AccessKey[] };
  for (const k of input.keys) {
    if (served.has(k.accessKeyId)) out.served.push(k);
    else if (releasable(k)) out.release.push(k);
    else if (!ours.has(k.accessKeyId)) out.foreign.push(k);
  }
  return out;
}

// ---- CloudFormation: departures ------------------------------------------------------------

/**
 * The registrations as the departures resource lists them (`<secret ARN> <user ARN>` each), before and after an
 * update: the secrets and users of those that leave, which stay reachable until CloudFormation's cleanup. A
 * rollback's own update of the departures (before and after swapped) names those the undone update added.
 */
export function departing(oldRegistrations: string[], newRegistrations: string[]): { secretArns: string[]; userArns: string[] } {
  const kept = new Set(newRegistrations);
  const gone = [...new Set(oldRegistrations)].filter((r) => !kept.has(r)).map((r) => r.split(DEPARTURE_FIELD_SEPARATOR));
  return { secretArns: gone.map(([s]) => s), userArns: [...new Set(gone.map(([, u]) => u))] };
}

// ---- convergence: the secret's rotation set-up against its registration ---------------------

/** A function ARN without a version or alias qualifier. */
export function unqualifiedFunctionArn(functionArn: string): string {
  return functionArn.split(':').slice(0, 7).join(':');
}


/**
 * The registry's schedule as Secrets Manager may report it: the expression
 * itself, or (a `rate(N days)` schedule) the same number of days in
 * `AutomaticallyAfterDays`.
 */
function sameSchedule(registered: string, reported: ReportedRotationRules | undefined): boolean {
  const norm = (e: string) => e.replace(/\s+/g, ' ').trim().toLowerCase();
  if (reported?.scheduleExpression !== undefined) return norm(reported.scheduleExpression) === norm(registered);
  const days = /^rate\((\d+) days?\)$/.exec(norm(registered));
  return days !== null && reported?.automaticallyAfterDays === Number(days[1]);
}

function showRules(r: ReportedRotationRules | undefined): string {
  if (!r || (r.scheduleExpression === undefined && r.automaticallyAfterDays === undefined)) return 'no schedule';
  const schedule = r.scheduleExpression ?? `every ${r.automaticallyAfterDays} days`;
  return r.duration ? `${schedule} in a ${r.duration} window` : schedule;
}

/** What a lifecycle run puts back on a registered secret: the reasons, and whether it rotates now. */
export interface Convergence {
  /** A registration in mode OBSERVE whose rotation was turned on: turned off again. */
  readonly turnOff?: boolean;
  /** What differs from the registry, in words (empty when only a rotation is due). */
  readonly drift: string[];
  /** The secret holds no key of its user yet (never rotated): rotate it now. */
  readonly rotateNow: boolean;
}

/**
 * A registered secret against its registration, from the listing alone:
 * rotation on, through this function, on the registry's schedule (and window,
 * where the registry sets one: Secrets Manager's default window may be
 * reported either way); and, where the registration rotates at deploy, a
 * current version that holds a key (one that holds none was never rotated,
 * or its first rotation failed and was given up). A rotation in progress (an
 * AWSPENDING version that is not AWSCURRENT) is left to finish. `undefined`
 * when nothing is to be done: the normal case, with no call made.
 */
export function planConvergence(
  listed: ListedSecret, registered: Pick<Registration, 'scheduleExpression' | 'windowHours' | 'rotateOnDeploy' | 'mode'>, functionArn: string,
): Convergence | undefined {
  // Observing: rotation stays off (a rotation started anyway creates nothing: createSecret refuses it).
  if (registered.mode === RotationMode.OBSERVE) {
    return listed.rotationEnabled ? { drift: ['rotation was on, in mode OBSERVE'], rotateNow: false, turnOff: true } : undefined;
  }
  const drift: string[] = [];
  if (!listed.rotationEnabled) drift.push('rotation was off');
  const fn = unqualifiedFunctionArn(functionArn);
  const configured = listed.rotationLambdaArn && unqualifiedFunctionArn(listed.rotationLambdaArn);
  if (configured !== fn) drift.push(`its rotation function was ${configured ? configured : 'none'}, not ${fn}`);
  const window = registered.windowHours === undefined ? undefined : `${registered.windowHours}h`;
  if (!sameSchedule(registered.scheduleExpression, listed.rotationRules) || (window !== undefined && listed.rotationRules?.duration !== window)) {
    drift.push(`its schedule was ${showRules(listed.rotationRules)}, not ${showRules({ scheduleExpression: registered.scheduleExpression, duration: window })}`);
  }
  const pending = versionWithLabel(listed.versions, Stage.PENDING);
  const rotating = pending !== undefined && pending !== versionWithLabel(listed.versions, Stage.CURRENT);
  const rotateNow = registered.rotateOnDeploy && !rotating && stagedKeys(listed.versions).current === undefined;
  return drift.length === 0 && !rotateNow ? undefined : { drift, rotateNow };
}

/**
 * What the credential report says against a registered secret's listing that
 * may mean its current key is not working: the user has no active key, its
 * newest key (a rotation's key is the newest) is inactive, or it has fewer keys
 * than the secret's versions hold (one was deleted outside the library). The
 * report has no key ids and may be hours old, so this is a reason to read the
 * secret and the keys (two calls), never to act. `undefined`: nothing to check,
 * the normal case (also a secret that holds no key yet, left to
 * `planConvergence`, and a user the report predates).
 */
export function currentKeySuspect(listed: Pick<ListedSecret, 'versions'>, reported: ReportedKey[] | undefined): string | undefined {
  if (!reported || stagedKeys(listed.versions).current === undefined) return undefined;
  if (!reported.some((k) => k.active)) return reported.length === 0 ? 'the user has no access key' : 'the user has no active access key';
  // IAM dates keys to the second: of keys made in the same second, any may be the newest.
  const newest = Math.max(...reported.map((k) => k.createdAt?.getTime() ?? -Infinity));
  if (reported.some((k) => !k.active && k.createdAt?.getTime() === newest)) return 'the user\'s newest access key is inactive';
  const held = labelledKeys(listed.versions).size;
  if (reported.length < held) return `the user has ${reported.length} access key(s), fewer than the ${held} its secret holds`;
  return undefined;
}

/** The interval of a `rate(N minutes|hours|days)` schedule in seconds; `undefined` for a cron (no fixed interval). */
export function rateSeconds(scheduleExpression: string): number | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(scheduleExpression);
  if (!rate) return undefined;
  return Number(rate[1]) * (rate[2].startsWith('minute') ? 60 : rate[2].startsWith('hour') ? 3600 : 86400);
}
