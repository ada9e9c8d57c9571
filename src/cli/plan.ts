/**
 * What a rotation (or a revoke) started now will do to each of the user's
 * keys, predicted by the rotation function's own rule: `planCreate`, fed
 * what `readSecretState` read, as `steps.ts` feeds it. A rotation the
 * function would refuse is refused here first, with its reason and the way
 * out; otherwise each key's fate is said in the operator's words, with dates.
 * Pure: the commands read, this decides what to say.
 */
import { ForeignKeyPolicy } from '../foreign-key-policy';
import { Registration, Tags } from '../rotation/contract';
import { Deletion, LifecycleInput, planCreate, retiringKey } from '../rotation/decide';
import type { SecretDescription } from '../rotation/gateway';
import { formatSeconds, labelledKeys, parsePreviousKeyHint } from '../rotation/model';
import { nextTransition, NextTransition, SecretState } from '../rotation/state';

/** One key's fate, as `--output json` gives it; the new key has no id until it is created. */
export interface KeyFate {
  readonly accessKeyId?: string;
  /** IAM's status now (`new` for the key the rotation creates). */
  readonly status: string;
  /** What the key is to the secret now (`new` for the key the rotation creates). */
  readonly stage: string;
  readonly then: string;
}

export type RotationForecast =
  | { readonly kind: 'refused'; readonly reason: string; readonly accessKeyIds: string[] }
  | { readonly kind: 'go'; readonly keys: KeyFate[]; readonly deleted: string[] };

const MS = 1000;
const plus = (d: Date, seconds: number) => new Date(d.getTime() + seconds * MS);

/** `2026-03-01 14:05 UTC`. */
export function utc(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** What a rotation (`revoke` false) or an emergency revoke (true) started at `now` does to each key. */
export function forecastRotation(
  registration: Registration, state: SecretState, secret: Pick<SecretDescription, 'tags' | 'versions'>, input: LifecycleInput, now: Date, revoke: boolean,
): RotationForecast {
  const keys = input.keys ?? [];
  const held = labelledKeys(secret.versions);
  const plan = planCreate({
    userName: state.userName,
    keys,
    currentKeyId: input.staged.current,
    previousKeyId: input.staged.previous,
    heldKeyIds: [...held.keys()],
    adoptingHint: secret.tags[Tags.ADOPTING] || undefined,
    previousHint: parsePreviousKeyHint(secret.tags)?.accessKeyId,
    // An orphan is proven only within the attempt that made it: a rotation started now has none.
    orphanKeyIds: [],
    policy: registration.foreignKeyPolicy,
    revoke,
    retiring: retiringKey(input),
  });
  if (plan.kind === 'fail') return { kind: 'refused', reason: plan.reason, accessKeyIds: plan.accessKeyIds };

  const deactivateAfter = formatSeconds(registration.deactivateAfterSeconds);
  const deleteAfter = formatSeconds(registration.deleteAfterSeconds);
  const deactivatedAt = plus(now, registration.deactivateAfterSeconds);
  const next = nextTransition(state, input);
  const fates: KeyFate[] = [{ status: 'new', stage: 'new', then: 'created, tested, and made current (AWSCURRENT)' }];
  for (const key of state.keys) {
    const deletion = plan.deletions.find((d) => d.accessKeyId === key.accessKeyId);
    const base = { accessKeyId: key.accessKeyId, status: key.status, stage: key.role };
    if (deletion) {
      fates.push({ ...base, then: deletionText(deletion, revoke, registration, next) });
    } else if (key.role === 'current') {
      fates.push({
        ...base,
        then: revoke
          ? 'becomes the previous key and is deactivated as soon as the new key is made current, then deleted at the next lifecycle run'
          : `becomes the previous key: active for ${deactivateAfter} more (until about ${utc(deactivatedAt)}), then deactivated, `
            + `and deleted ${deleteAfter} later (about ${utc(plus(deactivatedAt, registration.deleteAfterSeconds))})`,
      });
    } else if (key.accessKeyId === plan.adoptKeyId) {
      fates.push({ ...base, then: `adopted (foreignKeyPolicy ${ForeignKeyPolicy.ADOPT}): becomes the previous key and follows the lifecycle` });
    } else {
      fates.push({ ...base, then: 'stays as it is' });
    }
  }
  return { kind: 'go', keys: fates, deleted: plan.deletions.map((d) => d.accessKeyId) };
}

function deletionText(
  deletion: Deletion, revoke: boolean, registration: Registration, next: NextTransition,
): string {
  if (revoke && deletion.wasActive) return 'deleted at once by the revoke, though active, to make room (IAM allows two keys per user)';
  if (deletion.reason.startsWith('foreign')) {
    return `deleted at once: an inactive key this library did not create, which foreignKeyPolicy ${registration.foreignKeyPolicy} deletes`;
  }
  const room = 'deleted at once to make room (IAM allows two keys per user)';
  if (next.accessKeyId !== deletion.accessKeyId) return `${room}; no deletion was scheduled for it (the lifecycle retires the previous key only)`;
  if (next.action === 'delete') return `${room}; its retention would have ended ${next.due || !next.at ? 'at the next lifecycle run' : utc(next.at)}`;
  if (next.action === 'record') {
    return `${room}; its retention (${formatSeconds(registration.deleteAfterSeconds)} from when the lifecycle records its deactivation) had not started`;
  }
  if (next.action === 'held') return `${room}; an operator's hold kept the lifecycle from deleting it`;
  return room;
}
