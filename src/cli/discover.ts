/**
 * `discover`: every IAM user with access keys in the account, read from IAM's
 * credential report (one report for the whole account instead of a call per
 * user), each key with its id, status, age, last use, its Security Hub IAM.3
 * verdict, and the stack and secret of this library that manage it, or none.
 * The report has no key ids: they come from one ListAccessKeys per user that
 * has keys (and passes the filters), a few at a time. Which keys a secret
 * holds is read from the staging labels of the library's secrets (as
 * `served.ts` reads them), which stack registers the secret from the
 * registries (`locate.ts`). The decisions (joining the report with the key
 * ids, the verdicts, the filters) are pure functions of what was read.
 */
import { PromisePool } from '@supercharge/promise-pool';
import { CliAws } from './cli-aws';
import { CliError, ExitCode } from './errors';
import { Locator, Managed, sameUser, Target } from './locate';
import { isKeyLabel, SECRET_DESCRIPTION_PREFIX, Stage } from '../rotation/contract';
import type { AccessKey, ListedSecret } from '../rotation/gateway';
import { credentialReportRows, reportKeyColumns } from '../rotation/model';

const DAY_MS = 86_400_000;
/** Security Hub IAM.3 (and Config's access-keys-rotated, CIS "rotated within 90 days"): an active key older than this fails. */
export const IAM3_MAX_AGE_DAYS = 90;
/** ListAccessKeys calls in flight at once (IAM throttles; the SDK's adaptive retry slows down further when it does). */
export const KEY_ID_CONCURRENCY = 8;

/** One key slot of a user in the credential report. */
export interface ReportedSlot {
  readonly active: boolean;
  /** When the key was created or last changed (IAM's `last_rotated`). */
  readonly rotatedAt?: Date;
  readonly lastUsedAt?: Date;
  readonly lastUsedRegion?: string;
  readonly lastUsedService?: string;
}

/** A user as the credential report lists it: name, ARN and the key slots in use. */
export interface ReportedUser {
  readonly userName: string;
  readonly userArn: string;
  readonly keys: ReportedSlot[];
}

const date = (v: string | undefined) => {
  if (!v || v === 'N/A' || v === 'no_information' || v === 'not_supported') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
};
const known = (v: string | undefined) => (v && v !== 'N/A' && v !== 'not_supported' ? v : undefined);

/** The credential report's users and their key slots (a slot whose `last_rotated` is N/A holds no key). */
export function readCredentialReport(csv: string): ReportedUser[] {
  const slots = ([1, 2] as const).map(reportKeyColumns);
  return credentialReportRows(csv, slots.flatMap((s) => [s.active, s.rotated])).map((row) => ({
    userName: row.user,
    userArn: row.arn,
    keys: slots.filter((s) => known(row[s.rotated]) !== undefined).map((s) => ({
      active: row[s.active] === 'true',
      rotatedAt: date(row[s.rotated]),
      lastUsedAt: date(row[s.usedAt]),
      lastUsedRegion: known(row[s.usedRegion]),
      lastUsedService: known(row[s.usedService]),
    })),
  }));
}

/** The path in a user's ARN (`arn:aws:iam::1:user/ops/ci/alice` → `/ops/ci/`). */
export function pathOf(userArn: string): string {
  const resource = userArn.split(':user', 2)[1] ?? '/';
  return resource.slice(0, resource.lastIndexOf('/') + 1) || '/';
}

/** A glob (`*` any characters, `?` one) as a regular expression matching whole names, in any case (IAM's names are case-insensitive). */
export function globPattern(glob: string): RegExp {
  const body = glob.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

/** Which users discover lists (and `--emit` adopts). */
export interface DiscoverFilter {
  /** IAM's path prefix, as ListUsers takes it (`/ops/`). */
  readonly pathPrefix?: string;
  /** A glob over the user name. */
  readonly name?: string;
  /** Only users with an active key older than this many days. */
  readonly olderThanDays?: number;
}

/** Whether a user passes the filters, from the report alone (so no key id is read for a user left out). */
export function passes(user: ReportedUser, filter: DiscoverFilter, now: Date): boolean {
  if (filter.pathPrefix !== undefined && !pathOf(user.userArn).startsWith(filter.pathPrefix)) return false;
  if (filter.name !== undefined && !globPattern(filter.name).test(user.userName)) return false;
  if (filter.olderThanDays !== undefined) {
    const oldest = user.keys.filter((k) => k.active && k.rotatedAt).map((k) => now.getTime() - k.rotatedAt!.getTime());
    if (!oldest.some((age) => age > filter.olderThanDays! * DAY_MS)) return false;
  }
  return true;
}

/** A library secret that holds a key: its staging label's stage. */
export interface Holder {
  readonly secretArn: string;
  /** current, pending, previous, or older (a version with no AWS stage). */
  readonly stage: 'current' | 'pending' | 'previous' | 'older';
}

/** Which library secret holds each key id (the key's label on one of its versions). */
export function holders(secrets: Pick<ListedSecret, 'arn' | 'versions'>[]): Map<string, Holder> {
  const out = new Map<string, Holder>();
  for (const s of secrets) {
    for (const labels of Object.values(s.versions)) {
      const stage = labels.includes(Stage.CURRENT) ? 'current' : labels.includes(Stage.PENDING) ? 'pending'
        : labels.includes(Stage.PREVIOUS) ? 'previous' : 'older';
      for (const label of labels.filter(isKeyLabel)) {
        const before = out.get(label);
        // A key held by two secrets (a look-alike's label): the stage nearest to current is shown.
        const rank = (h: Holder['stage']) => ['current', 'pending', 'previous', 'older'].indexOf(h);
        if (!before || rank(stage) < rank(before.stage)) out.set(label, { secretArn: s.arn, stage });
      }
    }
  }
  return out;
}

/** `discover --output json`: version 1 of the documented schema. */
export interface DiscoveryReport {
  readonly schemaVersion: 1;
  readonly generatedAt: string;
  /** When IAM generated the credential report the listing is read from (IAM reuses one for 4 hours). */
  readonly reportGeneratedAt?: string;
  readonly users: DiscoveredUser[];
  readonly summary: {
    readonly users: number;
    readonly keys: number;
    readonly managedKeys: number;
    readonly unmanagedKeys: number;
    readonly usersFailingIam3: number;
  };
}

export interface DiscoveredUser {
  readonly userName: string;
  readonly userArn: string;
  readonly path: string;
  /** FAILED when any active key is older than 90 days. */
  readonly iam3: 'PASSED' | 'FAILED';
  /** The library's registrations of this user (stack and secret), whatever keys it holds. */
  readonly registeredBy: { readonly stack: string; readonly secretArn: string }[];
  readonly keys: DiscoveredKey[];
}

export interface DiscoveredKey {
  readonly accessKeyId?: string;
  readonly status: string;
  readonly createdAt?: string;
  readonly ageDays?: number;
  /** As `status` has it: `{ never: true }` when IAM has no use on record. */
  readonly lastUsed: { readonly at?: string; readonly service?: string; readonly region?: string; readonly never?: true };
  /** PASSED or FAILED for an active key (older than 90 days fails); NOT_APPLICABLE for an inactive one. */
  readonly iam3: 'PASSED' | 'FAILED' | 'NOT_APPLICABLE';
  /** The stack whose registry registers the secret that holds the key, and the secret; null when no secret of this library holds it. */
  readonly managedBy: { readonly stack?: string; readonly secretArn: string; readonly stage: Holder['stage'] } | null;
}

/** The user's keys: the ids from ListAccessKeys, each joined with its report slot by creation time (to the second), else in order. */
export function joinKeys(user: ReportedUser, listed: AccessKey[] | undefined): { slot: ReportedSlot; key?: AccessKey }[] {
  if (!listed) return user.keys.map((slot) => ({ slot }));
  const second = (d?: Date) => (d ? Math.floor(d.getTime() / 1000) : undefined);
  const left = [...user.keys];
  return [...listed].sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0)).map((key) => {
    let i = left.findIndex((s) => s.rotatedAt && second(s.rotatedAt) === second(key.createdAt));
    if (i < 0) i = 0;
    const slot = left.splice(i, 1)[0] ?? { active: key.status === 'Active' };
    return { slot, key };
  });
}

/** The report's users, with their key ids, verdicts and managers: the pure part of `discover`. */
export function discoveryReport(input: {
  readonly users: ReportedUser[];
  readonly keyIds: Map<string, AccessKey[]>;
  readonly holders: Map<string, Holder>;
  readonly managed: Managed[];
  readonly now: Date;
  readonly reportGeneratedAt?: Date;
}): DiscoveryReport {
  const { now } = input;
  const stackOf = new Map(input.managed.map((m) => [m.registration.secretArn, m.stack]));
  const users: DiscoveredUser[] = input.users.filter((u) => u.keys.length > 0).map((u) => {
    const keys: DiscoveredKey[] = joinKeys(u, input.keyIds.get(u.userArn)).map(({ slot, key }) => {
      const created = key?.createdAt ?? slot.rotatedAt;
      const ageMs = created ? Math.max(0, now.getTime() - created.getTime()) : undefined;
      const status = key?.status ?? (slot.active ? 'Active' : 'Inactive');
      const holder = key ? input.holders.get(key.accessKeyId) : undefined;
      return {
        ...(key ? { accessKeyId: key.accessKeyId } : {}),
        status,
        ...(created ? { createdAt: created.toISOString(), ageDays: Math.floor(ageMs! / DAY_MS) } : {}),
        lastUsed: slot.lastUsedAt
          ? {
            at: slot.lastUsedAt.toISOString(),
            ...(slot.lastUsedService ? { service: slot.lastUsedService } : {}),
            ...(slot.lastUsedRegion ? { region: slot.lastUsedRegion } : {}),
          }
          : { never: true },
        iam3: status !== 'Active' ? 'NOT_APPLICABLE' : ageMs !== undefined && ageMs > IAM3_MAX_AGE_DAYS * DAY_MS ? 'FAILED' : 'PASSED',
        managedBy: holder ? { ...(stackOf.has(holder.secretArn) ? { stack: stackOf.get(holder.secretArn) } : {}), ...holder } : null,
      };
    });
    return {
      userName: u.userName,
      userArn: u.userArn,
      path: pathOf(u.userArn),
      iam3: keys.some((k) => k.iam3 === 'FAILED') ? 'FAILED' as const : 'PASSED' as const,
      // By name: a registration made with fromUserName has no path in its ARN, and names are unique in the account.
      registeredBy: input.managed.filter((m) => sameUser(m.userName, u.userName))
        .map((m) => ({ stack: m.stack, secretArn: m.registration.secretArn })),
      keys,
    };
  }).sort((a, b) => a.userName.localeCompare(b.userName, 'en'));
  const keys = users.flatMap((u) => u.keys);
  const managedKeys = keys.filter((k) => k.managedBy?.stack !== undefined).length;
  return {
    schemaVersion: 1,
    generatedAt: now.toISOString(),
    ...(input.reportGeneratedAt ? { reportGeneratedAt: input.reportGeneratedAt.toISOString() } : {}),
    users,
    summary: {
      users: users.length,
      keys: keys.length,
      managedKeys,
      unmanagedKeys: keys.length - managedKeys,
      usersFailingIam3: users.filter((u) => u.iam3 === 'FAILED').length,
    },
  };
}

/**
 * Users `--emit` adopts: none of their keys held by a secret of this library,
 * and no registration of theirs (a registered user is already managed: its
 * hand-made keys are its own registration's `foreignKeyPolicy`'s business).
 */
export function adoptable(report: DiscoveryReport): DiscoveredUser[] {
  return report.users.filter((u) => u.registeredBy.length === 0 && u.keys.every((k) => k.managedBy === null));
}

/**
 * Reads the credential report, the key ids of the users with keys that pass
 * the filters, and the library's secrets and registries. Calls: the report
 * (GenerateCredentialReport until COMPLETE, one GetCredentialReport), one
 * ListAccessKeys per listed user, ListSecrets pages and one registry read per
 * rotation function (or per pinned stack).
 */
export async function discover(aws: CliAws, locator: Locator, target: Target, filter: DiscoverFilter, now: Date): Promise<DiscoveryReport> {
  const report = await aws.credentialReportCsv();
  if (!report) {
    throw new CliError(ExitCode.ERROR, 'IAM did not finish generating the credential report (GenerateCredentialReport kept answering STARTED): '
      + 'run discover again in a minute');
  }
  const users = readCredentialReport(report.csv).filter((u) => u.keys.length > 0 && passes(u, filter, now));
  const managed = await locator.find(target);
  let listed = locator.listed;
  if (!listed) {
    listed = [];
    for await (const s of aws.listSecrets(SECRET_DESCRIPTION_PREFIX)) listed.push(s);
  }
  const keyIds = new Map<string, AccessKey[]>();
  await PromisePool.withConcurrency(KEY_ID_CONCURRENCY).for(users)
    .handleError((e) => { throw e; })
    .process(async (u) => {
      try {
        keyIds.set(u.userArn, await aws.listAccessKeys(u.userName));
      } catch (e) {
        // Deleted since the report was generated: its keys are listed as the report has them, without ids.
        if ((e as Error).name !== 'NoSuchEntityException' && (e as Error).name !== 'NoSuchEntity') throw e;
      }
    });
  return discoveryReport({ users, keyIds, holders: holders(listed), managed, now, reportGeneratedAt: report.generatedAt });
}
