/**
 * The rotation's decisions as pure functions of (keys, secret state, policy,
 * now) → actions. No AWS calls and no clock of their own, so every case is
 * unit-tested without any AWS at all; `rotation.ts` carries the actions out.
 */
import { ForeignKeyPolicy } from '../foreign-key-policy';
import { AccessKey, ACTIVE, CreatingMarker, decodeFields, PreviousKeyState, SecretConfig } from './model';

/** IAM's limit of access keys per user. */
export const MAX_KEYS_PER_USER = 2;

export interface Deletion {
  readonly accessKeyId: string;
  readonly reason: string;
  readonly wasActive: boolean;
}

export interface CreateInput {
  readonly userName: string;
  /** The user's keys, from ListAccessKeys. */
  readonly keys: AccessKey[];
  /** Key held by AWSCURRENT, if the secret has one yet. */
  readonly currentKeyId?: string;
  /** Keys held by AWSPREVIOUS or recorded as the previous key. */
  readonly previousKeyIds: string[];
  /** A hand-made key taken over by an earlier attempt under ADOPT. */
  readonly adoptingKeyId?: string;
  /** Left by an attempt that had started creating a key and did not confirm storing it. */
  readonly marker?: CreatingMarker;
  readonly policy: ForeignKeyPolicy;
}

export type CreatePlan =
  | { readonly kind: 'fail'; readonly reason: string; readonly accessKeyIds: string[] }
  | {
    readonly kind: 'create';
    /** Deleted, in order, before the new key is created. */
    readonly deletions: Deletion[];
    /** Keys that remain; recorded before CreateAccessKey so an orphan can be recognised. */
    readonly remainingKeyIds: string[];
    /** A foreign key taken over under ADOPT; it becomes the previous key at finishSecret. */
    readonly adoptKeyId?: string;
  };

/**
 * Reconciles the user's keys against the secret before a key is created.
 *
 * Every key is the current key, a previous key, an orphan (created by an
 * interrupted attempt: absent from the marker's list and referenced by no
 * version; it was never handed to anyone, so it is deleted) or foreign (made
 * outside this library; handled by `policy`). The current key is never deleted.
 */
export function planCreate(input: CreateInput): CreatePlan {
  const isActive = (k: AccessKey) => k.status === ACTIVE;
  const owned = new Set<string>([...input.previousKeyIds, ...(input.adoptingKeyId ? [input.adoptingKeyId] : [])]);
  if (input.currentKeyId) owned.add(input.currentKeyId);

  const deletions: Deletion[] = [];
  const foreign: AccessKey[] = [];
  for (const key of input.keys) {
    if (owned.has(key.accessKeyId)) continue;
    if (input.marker && !input.marker.knownKeyIds.includes(key.accessKeyId)) {
      deletions.push({
        accessKeyId: key.accessKeyId,
        reason: 'orphan: created by an interrupted rotation attempt and never stored',
        wasActive: isActive(key),
      });
    } else {
      foreign.push(key);
    }
  }

  let adoptKeyId = input.adoptingKeyId;
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

  // Make room: IAM allows two keys; the new one needs a free slot. The oldest
  // generation goes first (previous, then an adopted key); never the current key.
  const deleted = new Set(deletions.map((d) => d.accessKeyId));
  const remaining = input.keys.filter((k) => !deleted.has(k.accessKeyId));
  const sacrificable = remaining
    .filter((k) => k.accessKeyId !== input.currentKeyId)
    .sort((a, b) => rank(a.accessKeyId) - rank(b.accessKeyId));
  function rank(id: string): number {
    if (input.previousKeyIds.includes(id)) return 0;
    return 1;
  }
  while (remaining.length >= MAX_KEYS_PER_USER) {
    const victim = sacrificable.shift();
    if (victim && victim.accessKeyId === adoptKeyId && victim.accessKeyId !== input.adoptingKeyId && isActive(victim)) {
      // Adopting means a grace period first; deleting it now would be an outage.
      return {
        kind: 'fail',
        reason: `user ${input.userName} has no free access key slot: adopting the active key ${victim.accessKeyId} `
          + 'would mean deleting it at once; deactivate it first (it is then deleted to make room)',
        accessKeyIds: [victim.accessKeyId],
      };
    }
    if (!victim) {
      // Unreachable with IAM's limit of two and one current key, kept as a guard.
      return { kind: 'fail', reason: `user ${input.userName} has no free access key slot`, accessKeyIds: remaining.map((k) => k.accessKeyId) };
    }
    deletions.push({
      accessKeyId: victim.accessKeyId,
      reason: 'superseded key deleted to make room for the new key (IAM allows two per user)',
      wasActive: isActive(victim),
    });
    remaining.splice(remaining.indexOf(victim), 1);
    if (victim.accessKeyId === adoptKeyId) adoptKeyId = undefined;
  }

  return {
    kind: 'create',
    deletions,
    remainingKeyIds: remaining.map((k) => k.accessKeyId),
    adoptKeyId,
  };
}

export type LifecycleAction =
  | { readonly kind: 'none'; readonly reason: string; readonly nextAt?: Date }
  | { readonly kind: 'check-usage'; readonly accessKeyId: string }
  | { readonly kind: 'deactivate'; readonly accessKeyId: string }
  | { readonly kind: 'delete'; readonly accessKeyId: string };

export interface LifecycleInput {
  readonly config: SecretConfig;
  readonly previous?: PreviousKeyState;
  readonly currentKeyId?: string;
  /** The hold tag's value, when one is set (`id=<key>` in it limits the hold to that key). */
  readonly hold?: string;
}

const MS = 1000;
const DAY_MS = 86_400 * MS;

/** When deactivation is due; from here on a still-used key may delay it (opt-in). */
export function deactivationDueAt(config: SecretConfig, previous: PreviousKeyState): Date {
  return new Date(previous.supersededAt.getTime() + config.deactivateAfterSeconds * MS);
}

/** Halfway through the grace period the old key's use is checked once, to warn ahead. */
export function usageCheckAt(config: SecretConfig, previous: PreviousKeyState): Date {
  return new Date(previous.supersededAt.getTime() + config.deactivateAfterSeconds * MS / 2);
}

export function deletionDueAt(config: SecretConfig, previous: PreviousKeyState): Date | undefined {
  if (!previous.deactivatedAt) return undefined;
  return new Date(previous.deactivatedAt.getTime() + config.deleteAfterSeconds * MS);
}

/**
 * The one transition due for a secret's previous key, decided from its tags
 * alone. A missed run is caught up by the next one, one step per run: a key
 * is never deactivated and deleted in the same run, so the reversible
 * inactive period always lasts `deleteAfter`.
 */
export function planLifecycle(input: LifecycleInput, now: Date): LifecycleAction {
  const { previous, config } = input;
  if (!previous) return { kind: 'none', reason: 'no previous key' };
  if (previous.deletedAt) return { kind: 'none', reason: 'previous key deleted' };
  if (previous.accessKeyId === input.currentKeyId) {
    return { kind: 'none', reason: `previous key ${previous.accessKeyId} is the current key; nothing to retire` };
  }
  if (input.hold !== undefined) {
    // A hold that names a key holds that key only; one without a name holds whichever key is previous.
    const heldKey = decodeFields(input.hold).id;
    if (heldKey === undefined || heldKey === previous.accessKeyId) return { kind: 'none', reason: `held: ${input.hold}` };
  }
  if (!previous.deactivatedAt) {
    const due = deactivationDueAt(config, previous);
    if (now >= due) return { kind: 'deactivate', accessKeyId: previous.accessKeyId };
    const checkAt = usageCheckAt(config, previous);
    if (now >= checkAt && !previous.usageCheckedAt) return { kind: 'check-usage', accessKeyId: previous.accessKeyId };
    return { kind: 'none', reason: 'grace period', nextAt: previous.usageCheckedAt || now >= checkAt ? due : checkAt };
  }
  const deleteAt = deletionDueAt(config, previous)!;
  if (now >= deleteAt) return { kind: 'delete', accessKeyId: previous.accessKeyId };
  return { kind: 'none', reason: 'inactive, retained', nextAt: deleteAt };
}

export type DeactivationPlan =
  | { readonly kind: 'deactivate'; readonly stillInUse: boolean }
  | { readonly kind: 'postpone'; readonly until: Date; readonly warn: boolean };

/** True when the old key was used after the new one was promoted. */
export function usedAfterPromotion(previous: PreviousKeyState, lastUsed: Date | undefined): boolean {
  return lastUsed !== undefined && lastUsed > previous.supersededAt;
}

/**
 * Deactivation once `GetAccessKeyLastUsed` is known: a key still in use is
 * deactivated anyway unless postponing is opted into, and then only up to
 * the bound; the warning event repeats at most daily while postponed.
 */
export function planDeactivation(config: SecretConfig, previous: PreviousKeyState, lastUsed: Date | undefined, now: Date): DeactivationPlan {
  const inUse = usedAfterPromotion(previous, lastUsed);
  const limit = new Date(deactivationDueAt(config, previous).getTime() + config.postponeWhileInUseSeconds * MS);
  if (inUse && now < limit) {
    const warn = !previous.usageCheckedAt || now.getTime() - previous.usageCheckedAt.getTime() >= DAY_MS;
    return { kind: 'postpone', until: limit, warn };
  }
  return { kind: 'deactivate', stillInUse: inUse };
}
