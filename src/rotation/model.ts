/**
 * The data the rotation function reads and writes on a secret: the value's
 * JSON schema, which key each version holds (its staging labels), and the
 * state tags with their encodings. Pure: no AWS calls, no clock.
 */
import { isKeyLabel, Stage, Tags } from './contract';
import type { ReportedKey, VersionLabels } from './gateway';

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

export const ACTIVE = 'Active';
export const INACTIVE = 'Inactive';

/** A problem with a secret, a request or the function's own state, named precisely. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** A request the function will not carry out: what it would act on is not its to act on. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refused';
  }
}

// ---- which key each version holds -----------------------------------------------------

/** The versionId that holds a label, if any. */
export function versionWithLabel(versions: VersionLabels, label: string): string | undefined {
  return Object.keys(versions).find((id) => versions[id].includes(label));
}

/** The key a version holds, from its key label. */
export function keyOfVersion(versions: VersionLabels, versionId: string | undefined): string | undefined {
  return versionId === undefined ? undefined : versions[versionId]?.find(isKeyLabel);
}

/** The key held by the version with a stage (AWSCURRENT, AWSPENDING, AWSPREVIOUS). */
export function keyAtStage(versions: VersionLabels, stage: string): string | undefined {
  return keyOfVersion(versions, versionWithLabel(versions, stage));
}

/** Every key any version of the secret holds, with the version holding it. */
export function labelledKeys(versions: VersionLabels): Map<string, string> {
  const out = new Map<string, string>();
  for (const [versionId, labels] of Object.entries(versions)) {
    for (const label of labels) if (isKeyLabel(label)) out.set(label, versionId);
  }
  return out;
}

/** The secret's keys by stage, as its labels state them. */
export interface StagedKeys {
  readonly current?: string;
  readonly pending?: string;
  readonly previous?: string;
  /** The current key replaced its predecessor by an emergency revoke. */
  readonly revokedPredecessor: boolean;
}

export function stagedKeys(versions: VersionLabels): StagedKeys {
  const currentVersion = versionWithLabel(versions, Stage.CURRENT);
  return {
    current: keyOfVersion(versions, currentVersion),
    pending: keyAtStage(versions, Stage.PENDING),
    previous: keyAtStage(versions, Stage.PREVIOUS),
    revokedPredecessor: currentVersion !== undefined && versions[currentVersion].includes(Stage.REVOKED_PREDECESSOR),
  };
}

// ---- the value -----------------------------------------------------------------------

/** Parses a secret value; `undefined` when it holds metadata only (no key yet). Never echoes the value. */
export function parseCredentials(secretString: string | undefined, where: string): StoredCredentials | undefined {
  if (!secretString) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
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

// ---- state tags ----------------------------------------------------------------------

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

/** A time from a tag; `undefined` when absent or not a time (tags are hints: a bad one is ignored, not trusted). */
export function hintDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The rotation's record of the previous key (a hint: the key is proven from labels). */
export interface PreviousKeyHint {
  readonly accessKeyId: string;
  readonly supersededAt?: Date;
}

export function parsePreviousKeyHint(tags: Record<string, string>): PreviousKeyHint | undefined {
  const f = decodeFields(tags[Tags.PREVIOUS_KEY]);
  return f.id ? { accessKeyId: f.id, supersededAt: hintDate(f['superseded-at']) } : undefined;
}

export function formatPreviousKey(accessKeyId: string, supersededAt: Date): string {
  return encodeFields({ 'id': accessKeyId, 'superseded-at': supersededAt.toISOString() });
}

/** How far the lifecycle has retired an old key, as recorded (hints, bounded before use). */
export interface KeyProgress {
  readonly usageCheckedAt?: Date;
  readonly deactivatedAt?: Date;
  /**
   * Found active again under a hold after its deactivation: once the hold is
   * released, the key is deactivated again and its retention starts over.
   */
  readonly heldAt?: Date;
}

/** The lifecycle's record of its progress on `accessKeyId`; a record of another key says nothing of this one. */
export function parseKeyProgress(tags: Record<string, string>, accessKeyId: string): KeyProgress {
  const f = decodeFields(tags[Tags.PROGRESS]);
  if (f.id !== accessKeyId) return {};
  return {
    usageCheckedAt: hintDate(f['usage-checked-at']),
    deactivatedAt: hintDate(f['deactivated-at']),
    heldAt: hintDate(f['held-at']),
  };
}

/** The key the progress record names, if any. */
export function progressKeyOf(tags: Record<string, string>): string | undefined {
  return decodeFields(tags[Tags.PROGRESS]).id;
}

export function formatKeyProgress(accessKeyId: string, progress: KeyProgress): Record<string, string> {
  return {
    [Tags.PROGRESS]: encodeFields({
      'id': accessKeyId,
      'usage-checked-at': progress.usageCheckedAt?.toISOString(),
      'deactivated-at': progress.deactivatedAt?.toISOString(),
      'held-at': progress.heldAt?.toISOString(),
    }),
  };
}

export function parseCurrentKeyHint(tags: Record<string, string>): string | undefined {
  return decodeFields(tags[Tags.CURRENT_KEY]).id;
}

/** The key id recorded right after CreateAccessKey, before the value is stored. */
export function parseCreatingMarker(tags: Record<string, string>): string | undefined {
  return decodeFields(tags[Tags.CREATING]).id;
}

export function formatCreatingMarker(accessKeyId: string, at: Date): string {
  return encodeFields({ id: accessKeyId, since: at.toISOString() });
}

/** When an operator asked for an emergency revoke, if they did. */
export function parseRevokeRequest(tags: Record<string, string>): Date | undefined | 'malformed' {
  if (tags[Tags.REVOKE] === undefined) return undefined;
  return hintDate(decodeFields(tags[Tags.REVOKE])['requested-at']) ?? 'malformed';
}

export function formatRevokeRequest(at: Date): string {
  return encodeFields({ 'requested-at': at.toISOString() });
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

/** The fields of one CSV line (RFC 4180: a field in double quotes may hold commas and doubled quotes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields;
}

/**
 * IAM's credential report (CSV, a header line first) as one record per user, field by column name: what
 * the CLI's `discover` reads. User names with commas are read as `parseCredentialReport` reads them
 * (which keeps its own loop, so the rotation function's bundle is unchanged). A line that cannot be read
 * is left out; a report without the columns `required` names (besides user and arn, first) reads as no users.
 */
export function credentialReportRows(csv: string, required: string[] = []): Record<string, string>[] {
  const [header, ...lines] = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const rows: Record<string, string>[] = [];
  if (!header) return rows;
  const columns = csvFields(header);
  if (columns[0] !== 'user' || columns[1] !== 'arn' || required.some((c) => !columns.includes(c))) return rows;
  for (const line of lines) {
    let fields = csvFields(line);
    const extra = fields.length - columns.length;
    if (extra < 0 || extra % 2 !== 0) continue;
    const k = extra / 2;
    // user and arn each took k + 1 fields: join them back.
    fields = [fields.slice(0, k + 1).join(','), fields.slice(k + 1, 2 * k + 2).join(','), ...fields.slice(2 * k + 2)];
    if (!fields[1].startsWith('arn:')) continue;
    rows.push(Object.fromEntries(columns.map((c, i) => [c, fields[i]])));
  }
  return rows;
}

/** The columns of an access key slot (1 or 2) in the credential report. */
export function reportKeyColumns(slot: 1 | 2) {
  const c = (field: string) => `access_key_${slot}_${field}`;
  return { active: c('active'), rotated: c('last_rotated'), usedAt: c('last_used_date'), usedRegion: c('last_used_region'), usedService: c('last_used_service') };
}

/**
 * IAM's credential report (CSV, a header line first) as each user's access keys, by user ARN. A user
 * name may hold commas (IAM allows `,`): written unquoted, it shows twice (user, arn) with k extra
 * fields each, which the header's field count tells apart. A line that cannot be read is left out.
 */
export function parseCredentialReport(csv: string): Map<string, ReportedKey[]> {
  const slots = ([1, 2] as const).map((n) => ({ n, ...reportKeyColumns(n) }));
  const users = new Map<string, ReportedKey[]>();
  for (const row of credentialReportRows(csv, slots.flatMap((slot) => [slot.active, slot.rotated]))) {
    const keys: ReportedKey[] = [];
    for (const slot of slots) {
      const rotated = row[slot.rotated];
      // N/A: no key in this slot.
      if (!rotated || rotated === 'N/A') continue;
      const createdAt = new Date(rotated);
      // 'N/A' (never used, or no such information), 'not_supported' and the like are no date, service or region.
      const usedAt = row[slot.usedAt] === undefined ? undefined : new Date(row[slot.usedAt]);
      const named = (column: string) => (/^[a-z][a-z0-9-]*$/.test(row[column] ?? '') && row[column] !== 'not_supported' ? row[column] : undefined);
      const service = named(slot.usedService);
      const region = named(slot.usedRegion);
      keys.push({
        active: row[slot.active] === 'true',
        slot: slot.n,
        ...(Number.isNaN(createdAt.getTime()) ? {} : { createdAt }),
        ...(usedAt && !Number.isNaN(usedAt.getTime()) ? { lastUsedAt: usedAt } : {}),
        ...(service ? { lastUsedService: service } : {}),
        ...(region ? { lastUsedRegion: region } : {}),
      });
    }
    users.set(row.arn, keys);
  }
  return users;
}
