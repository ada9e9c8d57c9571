/**
 * The rotation function's behaviour: Secrets Manager's four rotation steps,
 * the scheduled lifecycle of old keys, and emergency revoke. It reads state,
 * asks `decide.ts` what to do, and carries that out through the AWS layer.
 * The clock is injected, so tests and the demo run months in seconds.
 */
import { PromisePool } from '@supercharge/promise-pool';
import { backOff } from 'exponential-backoff';
import { AuditTrail, describeError, EventType, Logger, LogSink, Redactor } from './audit';
import { AwsGateway, SecretDescription } from './aws';
import { deactivationDueAt, LifecycleInput, planCreate, planDeactivation, planLifecycle, usedAfterPromotion } from './decide';
import {
  ACTIVE, ConfigurationError, encodeFields, formatCreatingMarker, formatPreviousKey, formatSeconds, INACTIVE, keyProgress,
  keyProgressTag, ManagedSecret, parseConfig, parseCreatingMarker, parseCredentials, parseCurrentKeyId, parsePreviousKey,
  PreviousKeyState, Stage, StoredCredentials, Tags, versionWithStage,
} from './model';

/** The AWS calls the rotation makes; `AwsGateway` is the real one. */
export type Gateway = Pick<AwsGateway, keyof AwsGateway>;

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export interface RotationEvent {
  readonly Step: RotationStep;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

export interface TestSecretRetry {
  /** Attempts of GetCallerIdentity with the new key before testSecret fails. */
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RotatorOptions {
  readonly gateway: Gateway;
  readonly clock: () => Date;
  readonly logSink: LogSink;
  readonly eventBusName?: string;
  /** IAM is eventually consistent: a new key may take seconds to work. */
  readonly testSecretRetry?: TestSecretRetry;
  /** Transitions carried out at once by a lifecycle run (IAM throttles). */
  readonly lifecycleConcurrency?: number;
}

/** Enough for IAM's usual propagation of seconds; bounded at about a minute in all. */
export const DEFAULT_TEST_SECRET_RETRY: TestSecretRetry = { attempts: 8, firstDelayMs: 1000, maxDelayMs: 15_000 };

export interface LifecycleSummary {
  readonly secrets: number;
  readonly checkedUsage: number;
  readonly deactivated: number;
  readonly postponed: number;
  readonly deleted: number;
  readonly held: number;
  readonly failed: number;
}

const GONE = Symbol('gone');

class KeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyMismatchError';
  }
}

/** STS answers these while a new key has not yet propagated. */
const PROPAGATION_ERRORS = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'AccessDenied', 'UnrecognizedClientException']);

export class Rotator {
  private readonly gateway: Gateway;
  private readonly clock: () => Date;
  private readonly redactor = new Redactor();
  private readonly logger: Logger;
  private readonly audit: AuditTrail;
  private readonly retry: TestSecretRetry;
  private readonly concurrency: number;

  constructor(options: RotatorOptions) {
    this.gateway = options.gateway;
    this.clock = options.clock;
    this.logger = new Logger(options.logSink, this.redactor);
    this.audit = new AuditTrail(options.gateway, this.logger, this.redactor, options.eventBusName ?? 'default', options.clock);
    this.retry = options.testSecretRetry ?? DEFAULT_TEST_SECRET_RETRY;
    this.concurrency = options.lifecycleConcurrency ?? 4;
  }

  // ---- Secrets Manager's rotation protocol ----------------------------------

  /** Runs one step; on failure records a `Rotation Failed` event and rethrows a redacted error. */
  async rotationStep(event: RotationEvent): Promise<void> {
    const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
    this.logger.info('rotation step', { step, secretId, token });
    let secret: SecretDescription | undefined;
    try {
      secret = await this.gateway.describeSecret(secretId);
      const stages = secret.versions[token];
      if (!stages) throw new ConfigurationError(`secret ${secretId} has no version ${token}`);
      switch (step) {
        case 'createSecret': await this.createSecret(secret, token); break;
        case 'setSecret': this.logger.info('setSecret: nothing to set, IAM activates a key when it is created', { secretId }); break;
        case 'testSecret': await this.testSecret(secret, token); break;
        case 'finishSecret': await this.finishSecret(secret, token); break;
        default: throw new ConfigurationError(`unknown rotation step '${String(step)}'`);
      }
      await this.audit.flush();
    } catch (e) {
      const reason = describeError(e, this.redactor);
      this.audit.record(EventType.ROTATION_FAILED, {
        secretArn: secret?.arn ?? secretId,
        userName: secret?.tags[Tags.USER],
        accessKeyId: (e as { accessKeyIds?: string[] }).accessKeyIds?.join(' '),
        step,
        reason,
      });
      this.logger.error('rotation step failed', { step, secretId, reason });
      await this.audit.flush().catch((flushError) =>
        this.logger.error('audit events not delivered', { reason: describeError(flushError, this.redactor) }));
      throw new Error(`${step} failed for ${secretId}: ${reason}`);
    }
  }

  private async createSecret(secret: SecretDescription, token: string): Promise<void> {
    const stages = secret.versions[token];
    if (stages.includes(Stage.CURRENT)) {
      this.logger.info('createSecret: version is already AWSCURRENT', { secretId: secret.arn, token });
      return;
    }
    requirePending(secret, token);
    const config = parseConfig(secret.tags);
    const marker = parseCreatingMarker(secret.tags);

    // A retry after the key was stored: nothing to create; close a marker left open.
    const stored = await this.readCredentials(secret, Stage.PENDING, token);
    if (stored) {
      this.logger.info('createSecret: pending key already stored', { secretId: secret.arn, accessKeyId: stored.accessKeyId });
      if (marker) {
        // The attempt that stored it stopped before closing its mark: its event may not have been sent.
        this.audit.record(EventType.CREATED, {
          secretArn: secret.arn, userName: config.userName, accessKeyId: stored.accessKeyId, reason: 'created by an earlier attempt of this rotation',
        });
        await this.audit.flush();
        await this.gateway.untag(secret.arn, [Tags.CREATING]);
      }
      return;
    }

    const current = await this.readStage(secret, Stage.CURRENT);
    const previous = await this.readStage(secret, Stage.PREVIOUS);
    const previousState = parsePreviousKey(secret.tags);
    const previousKeyIds = [previous?.accessKeyId, previousState?.deletedAt ? undefined : previousState?.accessKeyId]
      .filter((id): id is string => !!id);
    const keys = await this.gateway.listAccessKeys(config.userName);
    const plan = planCreate({
      userName: config.userName,
      keys,
      currentKeyId: current?.accessKeyId,
      previousKeyIds,
      adoptingKeyId: secret.tags[Tags.ADOPTING] || undefined,
      marker,
      policy: config.foreignKeyPolicy,
    });
    if (plan.kind === 'fail') {
      throw Object.assign(new ConfigurationError(plan.reason), { accessKeyIds: plan.accessKeyIds });
    }

    const now = this.clock();
    const tags: Record<string, string> = {};
    for (const d of plan.deletions) {
      await this.gateway.deleteAccessKey(config.userName, d.accessKeyId);
      this.audit.record(EventType.DELETED, {
        secretArn: secret.arn, userName: config.userName, accessKeyId: d.accessKeyId, reason: d.reason, wasActive: d.wasActive,
      });
      if (previousState && d.accessKeyId === previousState.accessKeyId) {
        Object.assign(tags, keyProgress({ ...previousState, deletedAt: now }));
      }
    }

    // Record what exists before creating, so a key from an attempt that dies
    // before storing it is recognised as an orphan by the retry.
    tags[Tags.CREATING] = formatCreatingMarker({ knownKeyIds: plan.remainingKeyIds, since: now });
    if (plan.adoptKeyId) tags[Tags.ADOPTING] = plan.adoptKeyId;
    await this.gateway.tag(secret.arn, tags);

    const created = await this.gateway.createAccessKey(config.userName);
    this.redactor.add(created.secretAccessKey);
    const value: StoredCredentials = {
      userName: config.userName,
      accessKeyId: created.accessKeyId,
      secretAccessKey: created.secretAccessKey,
      createdAt: now.toISOString(),
    };
    await this.gateway.putPendingValue(secret.arn, token, JSON.stringify(value));
    this.audit.record(EventType.CREATED, {
      secretArn: secret.arn,
      userName: config.userName,
      accessKeyId: created.accessKeyId,
      reason: current ? `rotation replacing ${current.accessKeyId}` : 'first key for this secret',
      ...(plan.adoptKeyId ? { adoptedAccessKeyId: plan.adoptKeyId } : {}),
    });
    // Events first, then the mark that says this step is done.
    await this.audit.flush();
    await this.gateway.untag(secret.arn, [Tags.CREATING]);
  }

  private async testSecret(secret: SecretDescription, token: string): Promise<void> {
    if (secret.versions[token].includes(Stage.CURRENT)) return;
    requirePending(secret, token);
    const config = parseConfig(secret.tags);
    const pending = await this.readCredentials(secret, Stage.PENDING, token);
    if (!pending) throw new ConfigurationError(`testSecret: version ${token} of ${secret.arn} holds no access key`);
    const expected = await this.gateway.userArn(config.userName);
    const arn = await backOff(async () => {
      const actual = await this.gateway.callerArn(pending.accessKeyId, pending.secretAccessKey);
      if (actual !== expected) {
        throw new KeyMismatchError(`key ${pending.accessKeyId} signs as ${actual}, expected ${expected}`);
      }
      return actual;
    }, {
      numOfAttempts: this.retry.attempts,
      startingDelay: this.retry.firstDelayMs,
      maxDelay: this.retry.maxDelayMs,
      timeMultiple: 2,
      jitter: 'full',
      retry: (e, attempt) => {
        const retryable = !(e instanceof KeyMismatchError) && (PROPAGATION_ERRORS.has((e as Error).name) || isNetworkError(e));
        this.logger.warn('testSecret: new key not usable yet', {
          accessKeyId: pending.accessKeyId, attempt, retryable, reason: describeError(e, this.redactor),
        });
        return retryable;
      },
    });
    this.logger.info('testSecret: new key works', { accessKeyId: pending.accessKeyId, callerArn: arn });
  }

  private async finishSecret(secret: SecretDescription, token: string): Promise<void> {
    const config = parseConfig(secret.tags);
    const currentVersion = versionWithStage(secret.versions, Stage.CURRENT);
    // A retry may find the version already AWSCURRENT (and no longer AWSPENDING).
    const tokenStage = secret.versions[token].includes(Stage.PENDING) ? Stage.PENDING : Stage.CURRENT;
    if (tokenStage === Stage.CURRENT && currentVersion !== token) requirePending(secret, token);
    const promoted = await this.readCredentials(secret, tokenStage, token);
    if (!promoted) throw new ConfigurationError(`finishSecret: version ${token} of ${secret.arn} holds no access key`);

    let old: StoredCredentials | undefined;
    if (currentVersion !== token) {
      old = currentVersion ? await this.readStage(secret, Stage.CURRENT) : undefined;
      await this.gateway.moveStage(secret.arn, Stage.CURRENT, token, currentVersion);
    } else {
      // A retry after the stage moved: the old key is AWSPREVIOUS now.
      old = await this.readStage(secret, Stage.PREVIOUS);
    }
    if (secret.versions[token].includes(Stage.PENDING)) {
      await this.gateway.removeStage(secret.arn, Stage.PENDING, token);
    }

    const revoking = secret.tags[Tags.REVOKE] !== undefined;
    const stateDone = parseCurrentKeyId(secret.tags) === promoted.accessKeyId;
    const leftovers: string[] = [Tags.CREATING, Tags.ADOPTING, Tags.REVOKE].filter((t) => secret.tags[t] !== undefined);
    if (stateDone && leftovers.length === 0) return;

    const now = this.clock();
    const previousKeyId = old?.accessKeyId ?? (secret.tags[Tags.ADOPTING] || undefined);
    const tags: Record<string, string> = {
      [Tags.CURRENT_KEY]: encodeFields({ 'id': promoted.accessKeyId, 'created-at': promoted.createdAt, 'promoted-at': now.toISOString() }),
    };
    if (!stateDone) {
      this.audit.record(EventType.PROMOTED, {
        secretArn: secret.arn,
        userName: config.userName,
        accessKeyId: promoted.accessKeyId,
        previousAccessKeyId: previousKeyId,
        reason: 'new key is AWSCURRENT',
      });
      if (previousKeyId) {
        tags[Tags.PREVIOUS_KEY] = formatPreviousKey({ accessKeyId: previousKeyId, supersededAt: now });
      } else if (secret.tags[Tags.PREVIOUS_KEY] !== undefined) {
        leftovers.push(Tags.PREVIOUS_KEY);
      }
      // Progress records of keys retired before this rotation are done with.
      leftovers.push(...Object.keys(secret.tags)
        .filter((t) => t.startsWith(Tags.KEY_PROGRESS_PREFIX) && t !== keyProgressTag(previousKeyId ?? '')));
    }
    if (revoking && previousKeyId) {
      const existed = await this.deactivate(config.userName, previousKeyId);
      Object.assign(tags, keyProgress({
        accessKeyId: previousKeyId, supersededAt: now, deactivatedAt: now, deletedAt: existed ? undefined : now,
      }));
      this.audit.record(EventType.REVOKED, {
        secretArn: secret.arn,
        userName: config.userName,
        accessKeyId: previousKeyId,
        reason: existed ? 'emergency revoke: deactivated at once, no grace period' : 'emergency revoke: key was already gone',
      });
    }
    // Events first, then the state that says this step is done.
    await this.audit.flush();
    await this.gateway.tag(secret.arn, tags);
    if (leftovers.length > 0) await this.gateway.untag(secret.arn, leftovers);
  }

  // ---- Emergency revoke -----------------------------------------------------

  /**
   * Rotates now and has finishSecret deactivate the old key at once. Returns
   * the new version's token (Secrets Manager then runs the four steps).
   */
  async revoke(secretId: string): Promise<string | undefined> {
    const secret = await this.gateway.describeSecret(secretId);
    parseConfig(secret.tags);
    if (!secret.rotationLambdaArn) {
      throw new ConfigurationError(`secret ${secret.arn} has no rotation function; revoke rotates through it`);
    }
    await this.gateway.tag(secret.arn, { [Tags.REVOKE]: encodeFields({ 'requested-at': this.clock().toISOString() }) });
    this.logger.warn('emergency revoke requested', { secretId: secret.arn });
    return this.gateway.rotateNow(secret.arn, secret.rotationLambdaArn);
  }

  /** An error's text, safe for a log line or a reply: any secret it carries is redacted. */
  describe(e: unknown): string {
    return describeError(e, this.redactor);
  }

  // ---- Removal ----------------------------------------------------------------

  /**
   * Deletes the keys this library manages for a secret's user, so that
   * CloudFormation can then delete the user (it cannot while keys remain).
   * Keys the library did not create are left alone and reported.
   */
  async deleteManagedKeys(secretId: string): Promise<{ deleted: string[]; foreign: string[] }> {
    const secret = await this.gateway.describeSecret(secretId);
    const config = parseConfig(secret.tags);
    const owned = new Set<string>();
    for (const stage of [Stage.CURRENT, Stage.PENDING, Stage.PREVIOUS]) {
      const creds = await this.readStage(secret, stage);
      if (creds) owned.add(creds.accessKeyId);
    }
    for (const id of [parseCurrentKeyId(secret.tags), parsePreviousKey(secret.tags)?.accessKeyId, secret.tags[Tags.ADOPTING]]) {
      if (id) owned.add(id);
    }
    const marker = parseCreatingMarker(secret.tags);
    const result = { deleted: [] as string[], foreign: [] as string[] };
    for (const key of await this.gateway.listAccessKeys(config.userName)) {
      const orphan = marker !== undefined && !marker.knownKeyIds.includes(key.accessKeyId);
      if (!owned.has(key.accessKeyId) && !orphan) {
        result.foreign.push(key.accessKeyId);
        continue;
      }
      if (await this.gateway.deleteAccessKey(config.userName, key.accessKeyId)) {
        result.deleted.push(key.accessKeyId);
        this.audit.record(EventType.DELETED, {
          secretArn: secret.arn,
          userName: config.userName,
          accessKeyId: key.accessKeyId,
          reason: 'removed with RemovalPolicy.DESTROY',
          wasActive: key.status === ACTIVE,
        });
      }
    }
    if (result.foreign.length > 0) {
      this.logger.warn('keys this library did not create were left on the user; CloudFormation cannot delete a user with keys', {
        userName: config.userName, accessKeyIds: result.foreign,
      });
    }
    await this.audit.flush();
    return result;
  }

  // ---- Lifecycle of the old key ---------------------------------------------

  /**
   * One scheduled run: decides every managed secret from ListSecrets' tags and
   * calls IAM only for the transitions that are due, a few at a time.
   */
  async lifecycle(): Promise<LifecycleSummary> {
    const now = this.clock();
    const counts = { secrets: 0, checkedUsage: 0, deactivated: 0, postponed: 0, deleted: 0, held: 0, failed: 0 };
    const due: ManagedSecret[] = [];
    for await (const secret of this.gateway.listManagedSecrets()) {
      counts.secrets++;
      try {
        if (planLifecycle(lifecycleInput(secret), now).kind !== 'none') due.push(secret);
      } catch (e) {
        counts.failed++;
        this.lifecycleFailed(secret, e);
      }
    }
    await PromisePool.withConcurrency(this.concurrency).for(due).process(async (listed) => {
      try {
        const outcome = await this.transition(listed.arn, now);
        if (outcome) counts[outcome]++;
      } catch (e) {
        counts.failed++;
        this.lifecycleFailed(listed, e);
      }
    });
    await this.audit.flush();
    this.logger.info('lifecycle run', { ...counts, at: now.toISOString() });
    return counts;
  }

  private lifecycleFailed(secret: ManagedSecret, e: unknown): void {
    const reason = describeError(e, this.redactor);
    this.audit.record(EventType.LIFECYCLE_FAILED, {
      secretArn: secret.arn, userName: secret.tags[Tags.USER], accessKeyId: parsePreviousKeyId(secret), reason,
    });
  }

  /** Re-reads the secret (the listing may be minutes old) and carries out its due transition. */
  private async transition(arn: string, now: Date): Promise<keyof LifecycleSummary | undefined> {
    const secret = await this.gateway.describeSecret(arn);
    const input = lifecycleInput(secret);
    const action = planLifecycle(input, now);
    const previous = input.previous!;
    const { config } = input;
    // The lifecycle writes only its own progress tag: never the rotation's previous-key tag.
    const save = (state: PreviousKeyState) => this.gateway.tag(arn, keyProgress(state));
    const detail = { secretArn: arn, userName: config.userName, accessKeyId: previous?.accessKeyId };

    switch (action.kind) {
      case 'none':
        return undefined;
      case 'check-usage': {
        const lastUsed = await this.lastUsedOrGone(previous.accessKeyId);
        if (lastUsed === GONE) return this.recordGone(arn, detail, previous, now);
        if (usedAfterPromotion(previous, lastUsed)) {
          this.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: lastUsed!.toISOString(),
            reason: `old key used at ${lastUsed!.toISOString()}, after the new key was promoted at `
              + `${previous.supersededAt.toISOString()}; it will be deactivated at ${deactivationDueAt(config, previous).toISOString()}`,
          });
        }
        await save({ ...previous, usageCheckedAt: now });
        return 'checkedUsage';
      }
      case 'deactivate': {
        const lastUsed = await this.lastUsedOrGone(previous.accessKeyId);
        if (lastUsed === GONE) return this.recordGone(arn, detail, previous, now);
        const plan = planDeactivation(config, previous, lastUsed, now);
        if (plan.kind === 'postpone') {
          if (plan.warn) {
            this.audit.record(EventType.STILL_IN_USE, {
              ...detail,
              lastUsed: lastUsed!.toISOString(),
              reason: `old key still used (last at ${lastUsed!.toISOString()}); deactivation postponed, at the latest until ${plan.until.toISOString()}`,
            });
            await save({ ...previous, usageCheckedAt: now });
          }
          return 'postponed';
        }
        if (plan.stillInUse) {
          this.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: lastUsed!.toISOString(),
            reason: `old key deactivated although it was used at ${lastUsed!.toISOString()}, after the new key was promoted`,
          });
        }
        const existed = await this.deactivate(config.userName, previous.accessKeyId);
        await save({ ...previous, deactivatedAt: now, deletedAt: existed ? undefined : now });
        this.audit.record(existed ? EventType.DEACTIVATED : EventType.DELETED, {
          ...detail,
          reason: existed ? `grace period of ${formatSeconds(config.deactivateAfterSeconds)} after promotion ended` : 'key was already gone',
        });
        return existed ? 'deactivated' : 'deleted';
      }
      case 'delete': {
        const key = (await this.gateway.listAccessKeys(config.userName)).find((k) => k.accessKeyId === previous.accessKeyId);
        if (key?.status === ACTIVE) {
          // Someone made it active again: hold off instead of fighting them, visibly.
          const reason = `id=${previous.accessKeyId} re-activated outside the lifecycle, found at ${now.toISOString()}`;
          await this.gateway.tag(arn, { [Tags.HOLD]: reason });
          this.audit.record(EventType.HELD, { ...detail, reason: `${reason}; remove tag ${Tags.HOLD} to resume` });
          return 'held';
        }
        if (key) await this.gateway.deleteAccessKey(config.userName, key.accessKeyId);
        await save({ ...previous, deletedAt: now });
        this.audit.record(EventType.DELETED, {
          ...detail,
          reason: key ? `inactive for ${formatSeconds(config.deleteAfterSeconds)}` : 'key was already gone',
        });
        return 'deleted';
      }
    }
  }

  /** When the key was last used; GONE when it no longer exists (deleted outside the lifecycle). */
  private async lastUsedOrGone(accessKeyId: string): Promise<Date | undefined | typeof GONE> {
    try {
      return await this.gateway.accessKeyLastUsed(accessKeyId);
    } catch (e) {
      if ((e as Error).name === 'NoSuchEntityException') return GONE;
      throw e;
    }
  }

  /** Someone deleted the old key already: record it, so the lifecycle is done with it. */
  private async recordGone(
    arn: string, detail: { secretArn: string; userName?: string; accessKeyId?: string }, previous: PreviousKeyState, now: Date,
  ): Promise<'deleted'> {
    await this.gateway.tag(arn, keyProgress({ ...previous, deactivatedAt: previous.deactivatedAt ?? now, deletedAt: now }));
    this.audit.record(EventType.DELETED, { ...detail, reason: 'key was already gone (deleted outside the lifecycle)' });
    return 'deleted';
  }

  /** Sets a key inactive; `false` when it no longer exists. */
  private async deactivate(userName: string, accessKeyId: string): Promise<boolean> {
    try {
      await this.gateway.setAccessKeyStatus(userName, accessKeyId, INACTIVE);
      return true;
    } catch (e) {
      if ((e as Error).name === 'NoSuchEntityException') return false;
      throw e;
    }
  }

  // ---- reading the secret ---------------------------------------------------

  private async readStage(secret: SecretDescription, stage: string): Promise<StoredCredentials | undefined> {
    if (!versionWithStage(secret.versions, stage)) return undefined;
    return this.readCredentials(secret, stage);
  }

  private async readCredentials(secret: SecretDescription, stage: string, versionId?: string): Promise<StoredCredentials | undefined> {
    const raw = await this.gateway.getSecretString(secret.arn, stage, versionId);
    const creds = parseCredentials(raw, `${stage} version of ${secret.arn}`);
    this.redactor.add(creds?.secretAccessKey);
    return creds;
  }
}

function requirePending(secret: SecretDescription, token: string): void {
  if (!secret.versions[token].includes(Stage.PENDING)) {
    throw new ConfigurationError(`version ${token} of ${secret.arn} is not AWSPENDING (stages: ${secret.versions[token].join(', ') || 'none'})`);
  }
}

function lifecycleInput(secret: ManagedSecret): LifecycleInput {
  return {
    config: parseConfig(secret.tags),
    previous: parsePreviousKey(secret.tags),
    currentKeyId: parseCurrentKeyId(secret.tags),
    hold: secret.tags[Tags.HOLD],
  };
}

function parsePreviousKeyId(secret: ManagedSecret): string | undefined {
  try {
    return parsePreviousKey(secret.tags)?.accessKeyId;
  } catch {
    return undefined;
  }
}

function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED';
}
