/**
 * The contract between the constructs (synth time) and the rotation function
 * (run time), written once: the registry's schema and its parser, the ranges
 * and defaults of each setting, tag keys, staging labels, environment
 * variables, custom resource types and their properties, event names.
 *
 * Both sides import it, so it imports nothing but the ForeignKeyPolicy enum
 * (itself dependency-free): no aws-cdk-lib, no AWS SDK.
 */
import { ForeignKeyPolicy } from '../foreign-key-policy';
import { RotationMode } from '../rotation-mode';

export const LIBRARY = 'cdk-rotating-access-keys';

// ---- audit events --------------------------------------------------------------

/** `source` of every audit event. */
export const EVENT_SOURCE = LIBRARY;

/** `detail-type` of each audit event. */
export const EventType = {
  CREATED: 'Access Key Created',
  PROMOTED: 'Access Key Promoted',
  DEACTIVATED: 'Access Key Deactivated',
  DELETED: 'Access Key Deleted',
  REVOKED: 'Access Key Revoked',
  STILL_IN_USE: 'Access Key Still In Use',
  HELD: 'Access Key Held',
  HANDED_OVER: 'Access Key Handed Over',
  RESTORED: 'Access Key Rotation Restored',
  RETAINED: 'Access Key Retained',
  OBSERVED: 'Access Key Change Observed',
  /** The registration's delivery function was told of the new key (and read it) before the key became AWSCURRENT. */
  DELIVERED: 'Access Key Delivered',
  ROTATION_FAILED: 'Access Key Rotation Failed',
  LIFECYCLE_FAILED: 'Access Key Lifecycle Failed',
  REFUSED: 'Access Key Request Refused',
  /** Sent by the access key watch (not the rotation function): an active key no secret of the library serves, past the watch's age. */
  UNMANAGED: 'Access Key Unmanaged',
} as const;
export type EventType = typeof EventType[keyof typeof EventType];

// ---- the registry ----------------------------------------------------------------

/**
 * The registry lives in the rotation function's CloudFormation Metadata under
 * this key: CloudFormation resolves the ARNs in it at deploy time, and only a
 * stack update changes it. The function reads it with DescribeStackResource.
 */
export const REGISTRY_METADATA_KEY = `${LIBRARY}:registry`;
export const REGISTRY_VERSION = 1;

/**
 * Each registration's rotation resource carries, in its own CloudFormation
 * Metadata under this key, the part of its registry entry a Create needs
 * (`RotationEntry`): the same template writes it, CloudFormation resolves it
 * the same way, and only a stack update changes it. `DescribeStackResource`
 * on the resource CloudFormation is creating (the call that verifies the
 * event) returns it, so a Create is checked without reading the whole registry.
 */
export const REGISTRATION_METADATA_KEY = `${LIBRARY}:registration`;

/** Environment variables the construct sets on the function. */
export const Env = {
  /** The stack's id (`AWS::StackId`): the only stack whose registry and events the function trusts. */
  STACK_ID: 'ROTATOR_STACK_ID',
  /** Logical id of the function's own resource, which carries the registry in its Metadata. */
  REGISTRY_RESOURCE: 'ROTATOR_REGISTRY_RESOURCE',
  /** Digest of the registry deployed with this configuration of the function. */
  REGISTRY_DIGEST: 'ROTATOR_REGISTRY_DIGEST',
  /** Seconds a registration's creation waits for its first rotation (the function's timeout, less a margin). */
  FIRST_ROTATION_WAIT: 'ROTATOR_FIRST_ROTATION_WAIT_SECONDS',
  /**
   * The lifecycle runs within this many seconds after midnight UTC (one lifecycle period: so one run a day)
   * check every registered secret's current key against IAM's credential report. Unset: no check.
   */
  KEY_CHECK_WINDOW: 'ROTATOR_KEY_CHECK_WINDOW_SECONDS',
  EVENT_BUS_NAME: 'EVENT_BUS_NAME',
  LIFECYCLE_CONCURRENCY: 'LIFECYCLE_CONCURRENCY',
} as const;

/** What happens to the keys when a registration leaves the stack. */
export const Removal = { DESTROY: 'DESTROY', RETAIN: 'RETAIN' } as const;
export type Removal = typeof Removal[keyof typeof Removal];

/** One secret and the user whose keys it holds, with that secret's configuration. */
export interface Registration {
  readonly secretArn: string;
  /** The IAM user's ARN; its last path segment is the user name. */
  readonly userArn: string;
  readonly deactivateAfterSeconds: number;
  readonly deleteAfterSeconds: number;
  readonly postponeWhileInUseSeconds: number;
  readonly foreignKeyPolicy: ForeignKeyPolicy;
  readonly removal: Removal;
  /** Secrets Manager's schedule expression: `rate(...)` or `cron(...)`. */
  readonly scheduleExpression: string;
  /** The rotation window in whole hours, when one is set. */
  readonly windowHours?: number;
  /** Rotate when the registration is deployed (which creates the first key). */
  readonly rotateOnDeploy: boolean;
  /**
   * How long before its deactivation an old key's use is checked, so that a
   * consumer still on it is warned (`Access Key Still In Use`) in time; half
   * the grace period when unset.
   */
  readonly noticeBeforeSeconds?: number;
  /** Who uses the key (a team, an address): carried in every audit event, for routing notifications. */
  readonly owner?: string;
  /** `OBSERVE`: nothing is changed in IAM for this registration, only reported (absent: `ENFORCE`). */
  readonly mode?: RotationMode;
  /**
   * A Lambda function of the secret's account and Region that each rotation invokes in `setSecret`, before the new
   * key is promoted: it is told which version holds the new key (`DeliveryRequest`), never the key itself.
   */
  readonly deliveryFunctionArn?: string;
}

/**
 * What a delivery function receives: where to read the new key (the version, which it may read while it is
 * AWSPENDING) and whose key it is. Never the secret access key.
 */
export interface DeliveryRequest {
  readonly secretArn: string;
  /** The version holding the new key: the rotation's ClientRequestToken. */
  readonly versionId: string;
  /** The stage to read it by (the delivery function's grant allows this stage only). */
  readonly versionStage: 'AWSPENDING';
  readonly userName: string;
  readonly userArn: string;
  readonly accessKeyId: string;
}

export interface RegistryDocument {
  readonly version: number;
  /** Digest of the registrations as the template states them (before CloudFormation resolves them). */
  readonly digest: string;
  readonly registrations: Registration[];
}

/** What a registration's Create needs of its entry: the secret, the user, the removal policy, the schedule and whether to rotate at once. */
export type RotationEntry = Pick<Registration, 'secretArn' | 'userArn' | 'removal' | 'scheduleExpression' | 'windowHours' | 'rotateOnDeploy' | 'mode'>
  /** Stated by templates of this version on: a Create checks before it rotates that the first rotation can succeed. */
  & Partial<Pick<Registration, 'foreignKeyPolicy'>>;

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The range of each setting: the constructs refuse values outside it at synth, the function at run time. */
export const Limits = {
  deactivateAfterSeconds: { min: HOUR, max: 1000 * DAY, text: 'from 1 hour to 1000 days' },
  deleteAfterSeconds: { min: HOUR, max: 1000 * DAY, text: 'from 1 hour to 1000 days' },
  postponeWhileInUseSeconds: { min: 0, max: 90 * DAY, text: 'at most 90 days' },
  windowHours: { min: 1, max: 24, text: '1 to 24 whole hours' },
  noticeBeforeSeconds: { min: HOUR, max: 1000 * DAY, text: 'from 1 hour to 1000 days, and at most deactivateAfter' },
  lifecycleConcurrency: { min: 1, max: 20, text: 'a whole number from 1 to 20' },
} as const;

export const Defaults = {
  deactivateAfterSeconds: 7 * DAY,
  deleteAfterSeconds: 14 * DAY,
  postponeWhileInUseSeconds: 0,
  foreignKeyPolicy: ForeignKeyPolicy.FAIL,
  removal: Removal.RETAIN,
  scheduleExpression: 'rate(30 days)',
  rotateOnDeploy: true,
  lifecycleConcurrency: 4,
} as const;

/** A registry that cannot be trusted as it stands: nothing is done with any of it. */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

// Partition, region and account as ARNs carry them; names without wildcards.
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
// A path may hold any printable character but the wildcards * and ?.
const USER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:user(\/[\x21-\x29\x2b-\x3e\x40-\x7e]*)?\/[\w+=,.@-]{1,64}$/;
const SCHEDULE = /^(rate\(\d+ (hour|hours|day|days)\)|cron\([^()]+\))$/;
const OWNER = /^[\x20-\x7e]{1,256}$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/;

/** Why a user ARN cannot be registered, or undefined when it can. */
export function userArnProblem(userArn: string): string | undefined {
  if (/[*?]/.test(userArn)) return 'a wildcard would give the function every matching user\'s keys';
  if (!USER_ARN.test(userArn)) return 'it is not the ARN of one IAM user (arn:<partition>:iam::<account>:user/[path/]name)';
  return undefined;
}

/** The user name in a user ARN (IAM's API takes names; a name is unique in an account whatever its path). */
export function userNameOf(userArn: string): string {
  return userArn.slice(userArn.lastIndexOf('/') + 1);
}

/** The account of an ARN. */
export function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/**
 * Parses the registry from the function resource's Metadata (as
 * DescribeStackResource returns it, or as a test resolves it from a template).
 * Every field is checked against the same ranges the constructs enforce; any
 * problem refuses the whole registry, naming the entry, the field and the value.
 */
export function parseRegistry(metadata: unknown): RegistryDocument {
  const root = asObject(metadata, 'the function\'s Metadata');
  const doc = asObject(root[REGISTRY_METADATA_KEY], `Metadata key ${REGISTRY_METADATA_KEY}`);
  if (doc.version !== REGISTRY_VERSION) {
    throw new RegistryError(`registry version must be ${REGISTRY_VERSION}, got ${show(doc.version)}`);
  }
  if (typeof doc.digest !== 'string' || !/^[0-9a-f]{64}$/.test(doc.digest)) {
    throw new RegistryError(`registry digest must be 64 hex characters, got ${show(doc.digest)}`);
  }
  if (!Array.isArray(doc.registrations)) {
    throw new RegistryError(`registry registrations must be a list, got ${show(doc.registrations)}`);
  }
  const registrations = doc.registrations.map((entry, i) => parseRegistration(entry, `registrations[${i}]`));
  const secrets = new Set<string>();
  const users = new Set<string>();
  registrations.forEach((r, i) => {
    if (secrets.has(r.secretArn)) throw new RegistryError(`registrations[${i}].secretArn is registered twice: ${r.secretArn}`);
    // IAM compares user names whatever their case (and a name is unique whatever its path).
    const user = `${accountOf(r.userArn)}:${userNameOf(r.userArn).toLowerCase()}`;
    if (users.has(user)) throw new RegistryError(`registrations[${i}].userArn is registered twice: ${r.userArn}`);
    secrets.add(r.secretArn);
    users.add(user);
  });
  return { version: REGISTRY_VERSION, digest: doc.digest, registrations };
}

function parseRegistration(raw: unknown, where: string): Registration {
  const e = asObject(raw, where);
  const field = fields(e, where);
  const userArn = field.userArn();
  const policy = field.foreignKeyPolicy();
  const removal = field.removal();
  const rotateOnDeploy = field.rotateOnDeploy();
  const owner = e.owner;
  if (owner !== undefined && (typeof owner !== 'string' || !OWNER.test(owner))) {
    throw new RegistryError(`${where}.owner must be 1 to 256 printable characters, got ${show(owner)}`);
  }
  const notice = e.noticeBeforeSeconds === undefined ? undefined : field.seconds('noticeBeforeSeconds');
  if (notice !== undefined && typeof e.deactivateAfterSeconds === 'number' && notice > e.deactivateAfterSeconds) {
    throw new RegistryError(`${where}.noticeBeforeSeconds must be at most deactivateAfterSeconds (${e.deactivateAfterSeconds}), got ${notice}`);
  }
  return {
    secretArn: field.secretArn(),
    userArn,
    deactivateAfterSeconds: field.seconds('deactivateAfterSeconds'),
    deleteAfterSeconds: field.seconds('deleteAfterSeconds'),
    postponeWhileInUseSeconds: field.seconds('postponeWhileInUseSeconds'),
    foreignKeyPolicy: policy,
    removal,
    scheduleExpression: field.scheduleExpression(),
    ...(e.windowHours === undefined ? {} : { windowHours: field.seconds('windowHours') }),
    rotateOnDeploy,
    ...(notice === undefined ? {} : { noticeBeforeSeconds: notice }),
    ...(owner === undefined ? {} : { owner: owner as string }),
    ...(e.mode === undefined ? {} : { mode: field.mode() }),
    ...(e.deliveryFunctionArn === undefined ? {} : { deliveryFunctionArn: deliveryFunction(e, where) }),
  };
}

/** A delivery function is a Lambda function (or an alias or version of one) of the secret's account and Region. */
function deliveryFunction(e: Record<string, unknown>, where: string): string {
  const arn = e.deliveryFunctionArn;
  const m = typeof arn === 'string' ? LAMBDA_ARN.exec(arn) : null;
  if (!m) {
    throw new RegistryError(`${where}.deliveryFunctionArn must be a Lambda function ARN `
      + `(arn:<partition>:lambda:<region>:<account>:function:name[:qualifier]), got ${show(arn)}`);
  }
  const secret = typeof e.secretArn === 'string' ? e.secretArn.split(':') : [];
  if (m[1] !== secret[3] || m[2] !== secret[4]) {
    throw new RegistryError(`${where}.deliveryFunctionArn must be a function of the secret's account and Region `
      + `(${secret[4]}, ${secret[3]}), got ${show(arn)}`);
  }
  return arn as string;
}

/**
 * A rotation resource's own entry, from its Metadata as DescribeStackResource
 * returns it: undefined when it carries none (a template of an earlier
 * version), refused like the registry when it does not parse.
 */
export function parseRotationEntry(metadata: unknown): RotationEntry | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  const raw = asObject(metadata, 'the rotation resource\'s Metadata')[REGISTRATION_METADATA_KEY];
  if (raw === undefined) return undefined;
  const where = `Metadata key ${REGISTRATION_METADATA_KEY}`;
  const e = asObject(raw, where);
  const field = fields(e, where);
  return {
    secretArn: field.secretArn(),
    userArn: field.userArn(),
    removal: field.removal(),
    scheduleExpression: field.scheduleExpression(),
    ...(e.windowHours === undefined ? {} : { windowHours: field.seconds('windowHours') }),
    rotateOnDeploy: field.rotateOnDeploy(),
    ...(e.foreignKeyPolicy === undefined ? {} : { foreignKeyPolicy: field.foreignKeyPolicy() }),
    ...(e.mode === undefined ? {} : { mode: field.mode() }),
  };
}

/** The checks of each field, shared by the registry's entries and the rotation resources' own. */
function fields(e: Record<string, unknown>, where: string) {
  const str = (field: string, pattern: RegExp, what: string): string => {
    const v = e[field];
    if (typeof v !== 'string' || !pattern.test(v)) throw new RegistryError(`${where}.${field} must be ${what}, got ${show(v)}`);
    return v;
  };
  return {
    seconds: (field: Exclude<keyof typeof Limits, 'lifecycleConcurrency'>): number => {
      const v = e[field];
      const { min, max, text } = Limits[field];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw new RegistryError(`${where}.${field} must be ${text}${field === 'windowHours' ? '' : ' in seconds'}, got ${show(v)}`);
      }
      return v;
    },
    secretArn: () => str('secretArn', SECRET_ARN, 'a Secrets Manager secret ARN'),
    userArn: (): string => {
      const userArn = e.userArn;
      const problem = typeof userArn === 'string' ? userArnProblem(userArn) : 'it is not a string';
      if (problem) throw new RegistryError(`${where}.userArn is refused: ${problem}; got ${show(userArn)}`);
      return userArn as string;
    },
    removal: (): Removal => {
      const removal = e.removal;
      if (removal !== Removal.DESTROY && removal !== Removal.RETAIN) {
        throw new RegistryError(`${where}.removal must be DESTROY or RETAIN, got ${show(removal)}`);
      }
      return removal;
    },
    scheduleExpression: () => str('scheduleExpression', SCHEDULE, 'rate(N hours|days) or cron(...)'),
    mode: (): RotationMode => {
      if (e.mode !== RotationMode.OBSERVE && e.mode !== RotationMode.ENFORCE) {
        throw new RegistryError(`${where}.mode must be ENFORCE or OBSERVE, got ${show(e.mode)}`);
      }
      return e.mode;
    },
    foreignKeyPolicy: (): ForeignKeyPolicy => {
      const policy = e.foreignKeyPolicy;
      if (!(Object.values(ForeignKeyPolicy) as unknown[]).includes(policy)) {
        throw new RegistryError(`${where}.foreignKeyPolicy must be one of ${Object.values(ForeignKeyPolicy).join(', ')}, got ${show(policy)}`);
      }
      return policy as ForeignKeyPolicy;
    },
    rotateOnDeploy: (): boolean => {
      if (typeof e.rotateOnDeploy !== 'boolean') throw new RegistryError(`${where}.rotateOnDeploy must be true or false, got ${show(e.rotateOnDeploy)}`);
      return e.rotateOnDeploy;
    },
  };
}

function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RegistryError(`${where} must be a JSON object, got ${show(v)}`);
  return v as Record<string, unknown>;
}

/** A value for an error message, cut short: the registry holds no secret, but it may hold anything. */
function show(v: unknown): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

// ---- the secret ---------------------------------------------------------------------

/**
 * Every managed secret's description starts with this, so the lifecycle finds
 * its secrets with one filtered ListSecrets (100 a page). Changing a
 * description takes UpdateSecret, a power over the secret's encryption and
 * rotation too, unlike tags; the listing is only a filter anyway: the registry
 * decides which of the secrets found are this stack's.
 */
export const SECRET_DESCRIPTION_PREFIX = LIBRARY;

const SECRET_DESCRIPTION_USER = `${SECRET_DESCRIPTION_PREFIX}: the access key of IAM user `;

export function secretDescription(userName: string): string {
  return `${SECRET_DESCRIPTION_USER}${userName}`;
}

/** The user a managed secret's description names (`secretDescription`), or undefined when it names none. */
export function userNameOfDescription(description: string | undefined): string | undefined {
  if (!description?.startsWith(SECRET_DESCRIPTION_USER)) return undefined;
  const name = description.slice(SECRET_DESCRIPTION_USER.length);
  return /^[\w+=,.@-]{1,64}$/.test(name) ? name : undefined;
}

// ---- custom resources -------------------------------------------------------------

/** One per registration: configures Secrets Manager's rotation, and removes the keys when the registration leaves. */
export const ROTATION_RESOURCE_TYPE = 'Custom::AccessKeyRotation';
/** One per stack: names the registrations an update removes, so the function keeps access to them until CloudFormation's cleanup. */
export const DEPARTURES_RESOURCE_TYPE = 'Custom::AccessKeyDepartures';

export const RotationProperties = {
  SECRET: 'SecretArn',
  USER: 'UserArn',
  REMOVAL: 'Removal',
  SCHEDULE: 'ScheduleExpression',
  WINDOW: 'WindowHours',
  ROTATE_ON_DEPLOY: 'RotateOnDeploy',
  /** `OBSERVE` when the registration only reports; absent otherwise. */
  MODE: 'Mode',
} as const;

export const DeparturesProperties = {
  /**
   * `<secret ARN><DEPARTURE_FIELD_SEPARATOR><user ARN>` of every registration, ending in DEPARTURES_SEPARATOR each
   * (one string; a list of them, as written before, is read too).
   */
  REGISTRATIONS: 'Registrations',
} as const;

/** What separates a registration's two ARNs in the departures property: a space, which no ARN holds. */
export const DEPARTURE_FIELD_SEPARATOR = ' ';

/** Attributes of the departures resource: ARNs separated by DEPARTURES_SEPARATOR (a placeholder when none depart). */
export const DeparturesAttributes = {
  USERS: 'UserArns',
  SECRETS: 'SecretArns',
} as const;

/**
 * What separates the registrations of the departures property, and the ARNs of its attributes (the
 * template splits them with Fn::Split): a line break, which no ARN holds. Not a comma: IAM user names
 * and paths may hold commas.
 */
export const DEPARTURES_SEPARATOR = '\n';

/**
 * An ARN that names nothing that can exist (IAM user names have at most 64
 * characters), for a policy statement whose list would otherwise be empty.
 */
export function placeholderUserArn(partition: string, account: string): string {
  return `arn:${partition}:iam::${account}:user/${'no-registration-departs'.padEnd(65, '-')}`;
}
/** The same for secrets (names have at most 512 characters). */
export function placeholderSecretArn(partition: string, region: string, account: string): string {
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${'no-registration-departs'.padEnd(513, '-')}`;
}

// ---- tags and staging labels --------------------------------------------------------

/** Prefix of every tag this library reads or writes on a secret. */
export const TAG_PREFIX = 'access-key-rotation:';

/**
 * Tags on a managed secret. Anyone allowed to tag the secret can write them,
 * so they are hints and requests, never proof: which key a transition acts on
 * is proven from the secret's staging labels and IAM, and dates are bounded by
 * IAM's own creation dates.
 */
export const Tags = {
  /** Written by the function: the key in AWSCURRENT and when it was promoted. */
  CURRENT_KEY: `${TAG_PREFIX}current-key`,
  /** Written by the rotation: the superseded key and when it was superseded (the lifecycle's cheap hint). */
  PREVIOUS_KEY: `${TAG_PREFIX}previous-key`,
  /**
   * Where the lifecycle records its progress on the old key it retires (`id=<access key id> deactivated-at=...`):
   * one tag, whose key exists from the registration's deployment on, so that no tag quota can stop the function
   * from writing its state. A record naming another key than the one being retired is ignored.
   */
  PROGRESS: `${TAG_PREFIX}progress`,
  /** Prefix of the progress tags of earlier versions, one per old key (`key/<access key id>`): never read, removed when seen. */
  KEY_PROGRESS_PREFIX: `${TAG_PREFIX}key/`,
  /** Written by the function right after CreateAccessKey: the id of the key it is about to store. */
  CREATING: `${TAG_PREFIX}creating`,
  /** Written by the function under ForeignKeyPolicy.ADOPT: the hand-made key taken over. */
  ADOPTING: `${TAG_PREFIX}adopting`,
  /** Operator hold: while present, the lifecycle leaves the previous key as it is. */
  HOLD: `${TAG_PREFIX}hold`,
  /** Operator request (`requested-at=<ISO time>`): the next rotation, if it starts within the hour, is an emergency revoke. */
  REVOKE: `${TAG_PREFIX}revoke`,
} as const;

/** Tag keys the function may write. */
export const FUNCTION_TAGGED_KEYS = [Tags.CURRENT_KEY, Tags.PREVIOUS_KEY, Tags.PROGRESS, Tags.CREATING, Tags.ADOPTING, Tags.HOLD];
/** Tag keys the function may remove (`key/*`: records of earlier versions); an operator's hold is not among them. */
export const FUNCTION_UNTAGGED_KEYS = [Tags.PREVIOUS_KEY, `${Tags.KEY_PROGRESS_PREFIX}*`, Tags.CREATING, Tags.ADOPTING, Tags.REVOKE];
/**
 * The tags that hold the function's state, written (empty) when a registration is deployed: overwriting a
 * tag key that exists counts against no quota, so a secret filled with others' tags cannot stop a rotation.
 */
export const STATE_TAG_KEYS = [Tags.CURRENT_KEY, Tags.PREVIOUS_KEY, Tags.PROGRESS, Tags.CREATING, Tags.ADOPTING];

/** How long an operator's revoke request stays good for the rotation it asks for. */
export const REVOKE_REQUEST_TTL_SECONDS = HOUR;

/**
 * Staging labels. Only principals allowed to PutSecretValue or
 * UpdateSecretVersionStage can write them (the powers that replace the
 * secret's value anyway), so unlike tags they are proof.
 */
export const Stage = {
  CURRENT: 'AWSCURRENT',
  PENDING: 'AWSPENDING',
  PREVIOUS: 'AWSPREVIOUS',
  /**
   * On the version whose key replaced its predecessor by an emergency revoke:
   * that predecessor is deactivated at once and deleted at the next lifecycle run.
   */
  REVOKED_PREDECESSOR: 'ACCESS_KEY_ROTATION_REVOKED_PREDECESSOR',
} as const;

/**
 * Every version that holds a key carries the key's id as a staging label,
 * written by PutSecretValue with the value itself: which key a version holds is
 * readable from DescribeSecret and ListSecrets without decrypting anything.
 */
const KEY_LABEL = /^AKIA[A-Z0-9]{12,124}$/;

export function isKeyLabel(label: string): boolean {
  return KEY_LABEL.test(label);
}

// ---- metrics ----------------------------------------------------------------------

/**
 * The function puts these CloudWatch metrics when something fails (and only
 * then: a healthy run costs no call), dimensioned by the function's name.
 */
export const Metrics = {
  NAMESPACE: LIBRARY,
  DIMENSION: 'FunctionName',
  /** Rotation steps that failed or were refused. */
  ROTATION_FAILURES: 'RotationFailures',
  /** Secrets whose lifecycle transition failed in a run. */
  LIFECYCLE_FAILURES: 'LifecycleFailures',
} as const;

/**
 * The access key watch's metrics (namespace `Metrics.NAMESPACE`), put once a run, dimensioned by the account.
 * Ages are whole days; an age with no key to measure is 0.
 */
export const WatchMetrics = {
  DIMENSION: 'Account',
  /** Active access keys in the account (root's included). */
  ACTIVE_KEYS: 'ActiveAccessKeys',
  /** Active keys no secret of the library serves. */
  UNMANAGED_ACTIVE_KEYS: 'UnmanagedActiveAccessKeys',
  /** Age in days of the oldest active key a secret of the library serves. */
  OLDEST_MANAGED_KEY_AGE: 'OldestManagedAccessKeyAgeDays',
  /** Age in days of the oldest active key no secret of the library serves. */
  OLDEST_UNMANAGED_KEY_AGE: 'OldestUnmanagedAccessKeyAgeDays',
  /** Active keys older than IAM.3's 90 days, managed or not. */
  KEYS_PAST_IAM3_AGE: 'AccessKeysPastIam3Age',
} as const;

/** Security Hub IAM.3 (and Config's access-keys-rotated): every active key younger than this many days. */
export const IAM3_MAX_AGE_DAYS = 90;

/** Environment variables of the access key watch's function. */
export const WatchEnv = {
  EVENT_BUS: 'WATCH_EVENT_BUS',
  /** An unmanaged active key older than this many seconds is reported by an event. */
  REPORT_AFTER_SECONDS: 'WATCH_REPORT_UNMANAGED_AFTER_SECONDS',
  ACCOUNT: 'WATCH_ACCOUNT',
  /** Regions whose library secrets count, comma-separated (empty: the function's own). */
  SECRET_REGIONS: 'WATCH_SECRET_REGIONS',
} as const;

// ---- invocations ----------------------------------------------------------------

/** The lifecycle schedule's payload. */
export const LIFECYCLE_ACTION = 'lifecycle';
