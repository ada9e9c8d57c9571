/**
 * The read model of one registered secret: its user's keys, which version
 * (stage) holds each, when each was created and last used, an operator's
 * hold, and the next transition the lifecycle will make and when. Built from
 * the same reads and the same decisions as the lifecycle itself, so an
 * operator's view (the CLI) and the automation never disagree on what a
 * state means.
 */
import { Registration, Tags, userNameOf } from './contract';
import { deactivationDueAt, LifecycleAction, LifecycleInput, planLifecycle, retirableKey, supersededAt } from './decide';
import type { AccessKey, Gateway, SecretDescription } from './gateway';
import { labelledKeys, parseKeyProgress, parsePreviousKeyHint, parseRevokeRequest, stagedKeys } from './model';

export type KeyRole = 'current' | 'pending' | 'previous' | 'older' | 'foreign';

export interface KeyState {
  readonly accessKeyId: string;
  readonly status: string;
  readonly createdAt?: Date;
  /** What the key is to the secret: held by AWSCURRENT, AWSPENDING, AWSPREVIOUS, an older version, or by none. */
  readonly role: KeyRole;
  /** Filled when asked for (one GetAccessKeyLastUsed per key). */
  readonly lastUsed?: { readonly at?: Date; readonly service?: string; readonly region?: string };
}

export interface SecretState {
  readonly secretArn: string;
  readonly userName: string;
  readonly keys: KeyState[];
  /** The operator's (or the lifecycle's) hold, when one is set. */
  readonly hold?: string;
  /** An operator's revoke request still waiting for its rotation. */
  readonly revokeRequestedAt?: Date;
  /** The old key the lifecycle retires, and since when it is superseded (as far as can be proven). */
  readonly retiring?: { readonly accessKeyId: string; readonly supersededAt?: Date };
  /** What the lifecycle will do next, and when (`none` with no date: nothing to do). */
  readonly next: LifecycleAction;
}

/** The next transition of a secret's keys, in an operator's words. */
export interface NextTransition {
  /**
   * What the lifecycle does next: a transition, `held` (an operator's hold), `blocked` (the old key is the user's only
   * active key: the current one was made inactive or deleted outside the library), or `none`.
   */
  readonly action: 'check-usage' | 'deactivate' | 'delete' | 'hold' | 'record' | 'held' | 'blocked' | 'none';
  readonly accessKeyId?: string;
  /** When it is due; absent when it is due now (at the next lifecycle run) or never. */
  readonly at?: Date;
  /** Due at the next lifecycle run. */
  readonly due: boolean;
  readonly reason: string;
}

/** The lifecycle's decision for a secret, as the next transition an operator waits for. */
export function nextTransition(state: Pick<SecretState, 'next' | 'retiring'>, input: LifecycleInput): NextTransition {
  const action = state.next;
  const id = state.retiring?.accessKeyId;
  switch (action.kind) {
    case 'none': {
      if (action.reason.startsWith('held')) return { action: 'held', accessKeyId: id, due: false, reason: action.reason };
      if (!action.nextAt) return { action: 'none', due: false, reason: action.reason };
      const superseded = state.retiring?.supersededAt;
      const kind = input.progress.deactivatedAt ? 'delete'
        : superseded && action.nextAt.getTime() < deactivationDueAt(input.config, superseded).getTime() ? 'check-usage' : 'deactivate';
      return { action: kind, accessKeyId: id, at: action.nextAt, due: false, reason: action.reason };
    }
    case 'read':
      return { action: 'record', accessKeyId: id, due: true, reason: 'the lifecycle reads the keys at its next run' };
    case 'check-usage':
      return { action: 'check-usage', accessKeyId: action.accessKeyId, due: true, reason: 'the old key\'s use is checked at the next run' };
    case 'deactivate':
      return { action: 'deactivate', accessKeyId: action.accessKeyId, due: true, reason: 'its grace period is over' };
    case 'delete':
      return { action: 'delete', accessKeyId: action.accessKeyId, due: true, reason: 'its retention is over' };
    case 'delete-revoked':
      return { action: 'delete', accessKeyId: action.accessKeyId, due: true, reason: 'it was revoked' };
    case 'hold':
      return { action: 'hold', accessKeyId: action.accessKeyId, due: true, reason: 'it is active again after its deactivation' };
    case 'blocked':
      return { action: 'blocked', accessKeyId: action.accessKeyId, due: false, reason: action.reason };
    case 'record-hold':
      return { action: 'held', accessKeyId: action.accessKeyId, due: false, reason: 'held (the lifecycle records the hold at its next run)' };
    default:
      return { action: 'record', accessKeyId: action.accessKeyId, due: true, reason: `${action.kind.replace('-', ' ')} at the next run` };
  }
}

export interface ReadOptions {
  /** Also ask IAM when each key was last used. */
  readonly lastUsed?: boolean;
}

/** The lifecycle's full view of a secret: its labels and tags with the user's keys. */
export function lifecycleInput(registration: Registration, secret: Pick<SecretDescription, 'tags' | 'versions'>, keys?: AccessKey[]): LifecycleInput {
  const staged = stagedKeys(secret.versions);
  const previousHint = parsePreviousKeyHint(secret.tags);
  const subject = retirableKey({ config: registration, staged, previousHint });
  return {
    config: registration,
    staged,
    previousHint,
    progress: subject ? parseKeyProgress(secret.tags, subject) : {},
    hold: secret.tags[Tags.HOLD],
    keys,
  };
}

/** Reads a registered secret's state: DescribeSecret and ListAccessKeys (and GetAccessKeyLastUsed per key when asked). */
export async function readSecretState(gateway: Gateway, registration: Registration, now: Date, options: ReadOptions = {}): Promise<{
  state: SecretState; secret: SecretDescription; input: LifecycleInput;
}> {
  const userName = userNameOf(registration.userArn);
  const [secret, keys] = await Promise.all([gateway.describeSecret(registration.secretArn), gateway.listAccessKeys(userName)]);
  const input = lifecycleInput(registration, secret, keys);
  const held = labelledKeys(secret.versions);
  const role = (id: string): KeyRole => {
    if (id === input.staged.current) return 'current';
    if (id === input.staged.pending) return 'pending';
    if (id === retirableKey(input)) return 'previous';
    return held.has(id) ? 'older' : 'foreign';
  };
  const states = await Promise.all(keys.map(async (k): Promise<KeyState> => {
    const base = { accessKeyId: k.accessKeyId, status: k.status, createdAt: k.createdAt, role: role(k.accessKeyId) };
    if (!options.lastUsed) return base;
    const use = await gateway.lastUse(k.accessKeyId);
    return use.gone ? base : { ...base, lastUsed: { at: use.at, service: use.service, region: use.region } };
  }));
  const retiring = retirableKey(input);
  const request = parseRevokeRequest(secret.tags);
  const state: SecretState = {
    secretArn: registration.secretArn,
    userName,
    keys: states,
    hold: secret.tags[Tags.HOLD],
    revokeRequestedAt: request instanceof Date ? request : undefined,
    retiring: retiring ? { accessKeyId: retiring, supersededAt: supersededAt(input, retiring) } : undefined,
    next: planLifecycle(input, now),
  };
  return { state, secret, input };
}
