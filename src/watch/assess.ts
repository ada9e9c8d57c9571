/**
 * The access key watch's decisions, pure: IAM's credential report and the
 * library's secrets in, the account's metrics and the unmanaged keys to report
 * out. No AWS, no clock: `watch.ts` reads and sends, this decides.
 *
 * A user's active key counts as managed when a secret of the library with
 * rotation on names the user (its description) and holds keys (its key-id
 * staging labels): as many of the user's active keys as those secrets hold.
 * The report has no key ids, so the keys beyond that number are unmanaged and
 * taken to be the user's oldest active keys: an old key is never hidden behind
 * a younger managed one.
 */
import { IAM3_MAX_AGE_DAYS, userNameOf, userNameOfDescription } from '../rotation/contract';
import type { ReportedKey, VersionLabels } from '../rotation/gateway';
import { labelledKeys } from '../rotation/model';

const DAY_MS = 86_400_000;

/** A secret whose description starts with the library's prefix, as ListSecrets shows it. */
export interface LibrarySecret {
  readonly arn: string;
  readonly description?: string;
  /** Whether Secrets Manager rotates it with a function (a registration's secret; not one a RETAIN removal left). */
  readonly rotationEnabled: boolean;
  readonly rotationLambdaArn?: string;
  readonly versions: VersionLabels;
}

/** An active key no secret of the library serves. */
export interface UnmanagedKey {
  readonly userName: string;
  readonly userArn: string;
  /** N of the report's `access_key_N` columns. */
  readonly slot: number;
  readonly createdAt?: Date;
  readonly ageDays: number;
  readonly lastUsedAt?: Date;
  readonly lastUsedService?: string;
  readonly lastUsedRegion?: string;
}

export interface Assessment {
  readonly activeKeys: number;
  readonly unmanagedActiveKeys: number;
  /** Whole days; 0 when there is no such key. */
  readonly oldestManagedKeyAgeDays: number;
  readonly oldestUnmanagedKeyAgeDays: number;
  /** Active keys older than IAM.3's 90 days, managed or not. */
  readonly keysPastIam3Age: number;
  /** Users a library secret serves (with rotation on). */
  readonly managedUsers: number;
  /** Unmanaged active keys older than the watch's age to report, oldest first. */
  readonly toReport: UnmanagedKey[];
}

/** How many keys the library's rotating secrets hold for each user, by lower-cased user name (IAM's names ignore case). */
export function keysHeldByUser(secrets: Iterable<LibrarySecret>): Map<string, number> {
  const held = new Map<string, number>();
  for (const secret of secrets) {
    const user = userNameOfDescription(secret.description);
    if (!user || !secret.rotationEnabled || !secret.rotationLambdaArn) continue;
    const name = user.toLowerCase();
    held.set(name, (held.get(name) ?? 0) + labelledKeys(secret.versions).size);
  }
  return held;
}

/** Whole days from `from` to `now` (0 when unknown or in the future). */
export function ageInDays(from: Date | undefined, now: Date): number {
  if (!from) return 0;
  return Math.max(0, Math.floor((now.getTime() - from.getTime()) / DAY_MS));
}

/**
 * The account's metrics and the keys to report, from the credential report (by user ARN) and the keys the
 * library's secrets hold by user. `reportAfterSeconds`: an unmanaged active key older than this is reported.
 */
export function assess(report: Map<string, ReportedKey[]>, held: Map<string, number>, now: Date, reportAfterSeconds: number): Assessment {
  let activeKeys = 0;
  let keysPastIam3Age = 0;
  let oldestManaged = 0;
  let oldestUnmanaged = 0;
  let managedUsers = 0;
  const unmanaged: UnmanagedKey[] = [];
  for (const [userArn, keys] of report) {
    const active = keys.filter((k) => k.active)
      // Oldest first: the keys beyond what the secrets hold are taken to be the oldest.
      .sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
    activeKeys += active.length;
    // The root user's ARN has no name part; the report calls it <root_account>.
    const userName = /:root$/.test(userArn) ? '<root_account>' : userNameOf(userArn);
    const heldKeys = held.get(userName.toLowerCase()) ?? 0;
    if (heldKeys > 0) managedUsers++;
    const unmanagedCount = Math.max(0, active.length - heldKeys);
    active.forEach((key, i) => {
      const age = ageInDays(key.createdAt, now);
      if (key.createdAt && now.getTime() - key.createdAt.getTime() > IAM3_MAX_AGE_DAYS * DAY_MS) keysPastIam3Age++;
      if (i >= unmanagedCount) {
        oldestManaged = Math.max(oldestManaged, age);
        return;
      }
      oldestUnmanaged = Math.max(oldestUnmanaged, age);
      unmanaged.push({
        userName,
        userArn,
        slot: key.slot ?? i + 1,
        ageDays: age,
        ...(key.createdAt ? { createdAt: key.createdAt } : {}),
        ...(key.lastUsedAt ? { lastUsedAt: key.lastUsedAt } : {}),
        ...(key.lastUsedService ? { lastUsedService: key.lastUsedService } : {}),
        ...(key.lastUsedRegion ? { lastUsedRegion: key.lastUsedRegion } : {}),
      });
    });
  }
  const toReport = unmanaged
    .filter((k) => k.createdAt !== undefined && now.getTime() - k.createdAt.getTime() > reportAfterSeconds * 1000)
    .sort((a, b) => a.createdAt!.getTime() - b.createdAt!.getTime() || a.userArn.localeCompare(b.userArn) || a.slot - b.slot);
  return {
    activeKeys,
    unmanagedActiveKeys: unmanaged.length,
    oldestManagedKeyAgeDays: oldestManaged,
    oldestUnmanagedKeyAgeDays: oldestUnmanaged,
    keysPastIam3Age,
    managedUsers,
    toReport,
  };
}
