/**
 * The data the rotation function reads and writes: the secret's JSON schema,
 * the tags that carry each secret's configuration and lifecycle state, and
 * their parsing. Pure: no AWS calls, no clock.
 */
import { ForeignKeyPolicy } from '../foreign-key-policy';

/** Prefix of every tag this library reads or writes on a secret. */
export const TAG_PREFIX = 'access-key-rotation:';

/** Tag keys on a managed secret. */
export const Tags = {
  /** The IAM user whose keys the secret holds. Its presence marks a managed secret. */
  USER: `${TAG_PREFIX}user`,
  /** Seconds the previous key stays active after the new one is promoted. */
  DEACTIVATE_AFTER: `${TAG_PREFIX}deactivate-after-seconds`,
  /** Seconds an inactive previous key is kept before it is deleted. */
  DELETE_AFTER: `${TAG_PREFIX}delete-after-seconds`,
  /** Opt-in: seconds deactivation may be postponed while the old key is still used (0: never). */
  POSTPONE_WHILE_IN_USE: `${TAG_PREFIX}postpone-while-in-use-seconds`,
  /** A `ForeignKeyPolicy` value. */
  FOREIGN_KEYS: `${TAG_PREFIX}foreign-keys`,
  /** Written by the function: the key in AWSCURRENT and when it was created. */
  CURRENT_KEY: `${TAG_PREFIX}current-key`,
  /** Written by the rotation: the superseded key and when it was superseded. */
  PREVIOUS_KEY: `${TAG_PREFIX}previous-key`,
  /**
   * Prefix of the tag, one per old key, where the lifecycle records its
   * progress (`key/<access key id>`). Kept apart from PREVIOUS_KEY so that a
   * lifecycle run and a rotation never overwrite each other's writes.
   */
  KEY_PROGRESS_PREFIX: `${TAG_PREFIX}key/`,
  /** Written by the function while it creates a key: the keys that existed before. */
  CREATING: `${TAG_PREFIX}creating`,
  /** Written by the function under `ForeignKeyPolicy.ADOPT`: the hand-made key it took over. */
  ADOPTING: `${TAG_PREFIX}adopting`,
  /** Operator hold: while present, the lifecycle leaves the previous key as it is. */
  HOLD: `${TAG_PREFIX}hold`,
  /** Emergency revoke requested: the next finishSecret deactivates the old key at once. */
  REVOKE: `${TAG_PREFIX}revoke`,
} as const;

export const Stage = {
  CURRENT: 'AWSCURRENT',
  PENDING: 'AWSPENDING',
  PREVIOUS: 'AWSPREVIOUS',
} as const;

/** Days used when a secret carries no configuration tag of its own. */
export const DEFAULT_DEACTIVATE_AFTER_SECONDS = 7 * 86_400;
export const DEFAULT_DELETE_AFTER_SECONDS = 14 * 86_400;

/**
 * The secret's value (JSON), stable across versions of this library.
 * A secret whose value has no `accessKeyId` holds metadata only: its first
 * rotation creates the first key.
 */
export interface StoredCredentials {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** ISO-8601 time the key was created. */
  readonly createdAt: string;
}

/** An IAM access key as ListAccessKeys reports it (the secret is never listed). */
export interface AccessKey {
  readonly accessKeyId: string;
  readonly status: string;
  readonly createdAt?: Date;
}

export const ACTIVE = 'Active';
export const INACTIVE = 'Inactive';

/** Per-secret configuration, from the secret's tags. */
export interface SecretConfig {
  readonly userName: string;
  readonly deactivateAfterSeconds: number;
  readonly deleteAfterSeconds: number;
  readonly postponeWhileInUseSeconds: number;
  readonly foreignKeyPolicy: ForeignKeyPolicy;
}

/** Where the superseded key is in its lifecycle. */
export interface PreviousKeyState {
  readonly accessKeyId: string;
  readonly supersededAt: Date;
  readonly deactivatedAt?: Date;
  readonly deletedAt?: Date;
  /** Last time the key's use was checked (and a warning emitted if it was still used). */
  readonly usageCheckedAt?: Date;
}

/** The record left while a key is being created, to recognise an orphan later. */
export interface CreatingMarker {
  /** Keys the user had right before the function called CreateAccessKey. */
  readonly knownKeyIds: string[];
  readonly since: Date;
}

/** A managed secret as the lifecycle sees it: everything from ListSecrets. */
export interface ManagedSecret {
  readonly arn: string;
  readonly tags: Record<string, string>;
  /** VersionId → staging labels. */
  readonly versions: Record<string, string[]>;
}

/** A problem with a secret's metadata, named precisely. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * Tag values allow letters, digits, spaces and `_ . : / = + - @`, so states are
 * written as space-separated `field=value` pairs.
 */
export function encodeFields(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function decodeFields(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (value ?? '').split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function parseDate(tag: string, field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new ConfigurationError(`tag ${tag}: field ${field} must be an ISO-8601 time, got '${value}'`);
  }
  return d;
}

function parseSeconds(tags: Record<string, string>, tag: string, fallback: number): number {
  const raw = tags[tag];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
    throw new ConfigurationError(`tag ${tag} must be a whole number of seconds, got '${raw}'`);
  }
  return n;
}

export function parseConfig(tags: Record<string, string>): SecretConfig {
  const userName = tags[Tags.USER];
  if (!userName) {
    throw new ConfigurationError(`tag ${Tags.USER} must name the IAM user whose keys the secret holds, got '${userName ?? ''}'`);
  }
  const policy = tags[Tags.FOREIGN_KEYS] ?? ForeignKeyPolicy.FAIL;
  if (!(Object.values(ForeignKeyPolicy) as string[]).includes(policy)) {
    throw new ConfigurationError(
      `tag ${Tags.FOREIGN_KEYS} must be one of ${Object.values(ForeignKeyPolicy).join(', ')}, got '${policy}'`);
  }
  return {
    userName,
    deactivateAfterSeconds: parseSeconds(tags, Tags.DEACTIVATE_AFTER, DEFAULT_DEACTIVATE_AFTER_SECONDS),
    deleteAfterSeconds: parseSeconds(tags, Tags.DELETE_AFTER, DEFAULT_DELETE_AFTER_SECONDS),
    postponeWhileInUseSeconds: parseSeconds(tags, Tags.POSTPONE_WHILE_IN_USE, 0),
    foreignKeyPolicy: policy as ForeignKeyPolicy,
  };
}

/** The tag holding the lifecycle's progress on one old key. */
export function keyProgressTag(accessKeyId: string): string {
  return `${Tags.KEY_PROGRESS_PREFIX}${accessKeyId}`;
}

/** The previous key: who it is (the rotation's tag) and how far it is retired (its progress tag). */
export function parsePreviousKey(tags: Record<string, string>): PreviousKeyState | undefined {
  const raw = tags[Tags.PREVIOUS_KEY];
  if (!raw) return undefined;
  const f = decodeFields(raw);
  const supersededAt = parseDate(Tags.PREVIOUS_KEY, 'superseded-at', f['superseded-at']);
  if (!f.id || !supersededAt) {
    throw new ConfigurationError(`tag ${Tags.PREVIOUS_KEY} must hold id= and superseded-at=, got '${raw}'`);
  }
  const progressTag = keyProgressTag(f.id);
  const p = decodeFields(tags[progressTag]);
  return {
    accessKeyId: f.id,
    supersededAt,
    deactivatedAt: parseDate(progressTag, 'deactivated-at', p['deactivated-at']),
    deletedAt: parseDate(progressTag, 'deleted-at', p['deleted-at']),
    usageCheckedAt: parseDate(progressTag, 'usage-checked-at', p['usage-checked-at']),
  };
}

/** The rotation's record of the previous key: its id and when it was superseded. */
export function formatPreviousKey(state: PreviousKeyState): string {
  return encodeFields({ 'id': state.accessKeyId, 'superseded-at': state.supersededAt.toISOString() });
}

/** The lifecycle's progress on an old key, as its progress tag. */
export function keyProgress(state: PreviousKeyState): Record<string, string> {
  return {
    [keyProgressTag(state.accessKeyId)]: encodeFields({
      'usage-checked-at': state.usageCheckedAt?.toISOString(),
      'deactivated-at': state.deactivatedAt?.toISOString(),
      'deleted-at': state.deletedAt?.toISOString(),
    }),
  };
}

export function parseCurrentKeyId(tags: Record<string, string>): string | undefined {
  return decodeFields(tags[Tags.CURRENT_KEY]).id;
}

export function parseCreatingMarker(tags: Record<string, string>): CreatingMarker | undefined {
  const raw = tags[Tags.CREATING];
  if (raw === undefined) return undefined;
  const f = decodeFields(raw);
  return {
    knownKeyIds: (f.known ?? '').split('/').filter(Boolean),
    since: parseDate(Tags.CREATING, 'since', f.since) ?? new Date(0),
  };
}

export function formatCreatingMarker(marker: CreatingMarker): string {
  // `known=` is kept even when empty: an empty list is a statement too.
  return `known=${marker.knownKeyIds.join('/')} since=${marker.since.toISOString()}`;
}

/** Parses a secret value; `undefined` when it holds metadata only (no key yet). */
export function parseCredentials(secretString: string | undefined, where: string): StoredCredentials | undefined {
  if (!secretString) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // Never echo the value: it may hold a secret access key.
    throw new ConfigurationError(`${where} is not JSON; the rotation expects the documented schema`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(`${where} is not a JSON object; the rotation expects the documented schema`);
  }
  const v = parsed as Record<string, unknown>;
  if (v.accessKeyId === undefined) return undefined;
  for (const field of ['userName', 'accessKeyId', 'secretAccessKey', 'createdAt']) {
    if (typeof v[field] !== 'string' || v[field] === '') {
      throw new ConfigurationError(`${where}: field ${field} must be a non-empty string`);
    }
  }
  return {
    userName: v.userName as string,
    accessKeyId: v.accessKeyId as string,
    secretAccessKey: v.secretAccessKey as string,
    createdAt: v.createdAt as string,
  };
}

/** The versionId that holds a stage, if any. */
export function versionWithStage(versions: Record<string, string[]>, stage: string): string | undefined {
  return Object.keys(versions).find((id) => versions[id].includes(stage));
}

/** A duration for people: `7 days`, `36 hours`, `90 seconds`. */
export function formatSeconds(seconds: number): string {
  const units: [number, string][] = [[86_400, 'day'], [3_600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}
