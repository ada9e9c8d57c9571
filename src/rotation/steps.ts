/**
 * Secrets Manager's rotation protocol for an access key: createSecret,
 * setSecret, testSecret, finishSecret. Each step acts only on a secret this
 * stack registered, on the registered user's keys, and is idempotent under
 * Secrets Manager's retries with the same ClientRequestToken.
 */
import { backOff } from 'exponential-backoff';
import { ForeignKeyPolicy } from '../foreign-key-policy';
import { RotationMode } from '../rotation-mode';
import { describeError } from './audit';
import { RotatorContext, readCredentials } from './context';
import {
  accountOf, DeliveryRequest, EventType, Registration, REVOKE_REQUEST_TTL_SECONDS, secretDescription, Stage, Tags, userNameOf,
} from './contract';
import { planCreate, provenOrphan, retiringKey, revokeRequested } from './decide';
import { KeyNotAccepted, SecretDescription } from './gateway';
import {
  ConfigurationError, encodeFields, formatCreatingMarker, formatKeyProgress, formatPreviousKey, formatSeconds, INACTIVE, keyAtStage, keyOfVersion,
  progressKeyOf, labelledKeys, parseCreatingMarker, parseCurrentKeyHint, parsePreviousKeyHint, parseRevokeRequest, RefusedError, stagedKeys,
  StoredCredentials, versionWithLabel,
} from './model';
import { lifecycleInput } from './state';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
const STEPS: readonly string[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

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

/** How long a delivery function may take when the invocation's own time left is not known. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 60_000;

/** Enough for IAM's usual propagation of seconds; bounded at about a minute in all. */
export const DEFAULT_TEST_SECRET_RETRY: TestSecretRetry = { attempts: 8, firstDelayMs: 1000, maxDelayMs: 15_000 };

class DeliveryError extends Error {
  constructor(message: string, readonly accessKeyIds: string[]) {
    super(message);
    this.name = 'DeliveryError';
  }
}

class KeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyMismatchError';
  }
}

export class RotationSteps {
  constructor(private readonly ctx: RotatorContext, private readonly retry: TestSecretRetry = DEFAULT_TEST_SECRET_RETRY) {}

  /**
   * Runs one step; on failure records a `Rotation Failed` event and rethrows a redacted error. Resolves to the
   * failures the step reported without failing (a delivery that failed during an emergency revoke), for the metric.
   * @param timeLeftMs how long the step may still take (the invocation's time, less a margin to report a failure)
   */
  async run(event: RotationEvent, timeLeftMs = DEFAULT_DELIVERY_TIMEOUT_MS): Promise<number> {
    const { ctx } = this;
    const step = String(event.Step);
    const secretId = typeof event.SecretId === 'string' ? event.SecretId : '';
    ctx.logger.info('rotation step', { step, secretId, token: event.ClientRequestToken });
    let registration: Registration | undefined;
    try {
      if (!STEPS.includes(step)) throw new ConfigurationError(`unknown rotation step '${step}'`);
      const token = event.ClientRequestToken;
      if (typeof token !== 'string' || token.length < 32 || token.length > 64) {
        throw new ConfigurationError(`ClientRequestToken must be 32 to 64 characters, got '${String(token).slice(0, 80)}'`);
      }
      const registry = await ctx.registry.load();
      // Secrets Manager names the secret by its ARN: one the stack did not register is refused before anything is read.
      if (secretId.startsWith('arn:')) registration = registry.require(secretId);
      if (step === 'setSecret') {
        registration ??= registry.require(secretId);
        if (!registration.deliveryFunctionArn) {
          // Nothing to set: IAM activates a key when it is created. No AWS call.
          ctx.logger.info('setSecret: nothing to set, IAM activates a key when it is created', { secretId });
          return 0;
        }
        const failures = await this.deliver(registration, token, timeLeftMs);
        await ctx.audit.flush();
        return failures;
      }
      // testSecret needs the version's labels and value: GetSecretValue by version id returns both (and the
      // secret's ARN), so one read stands for DescribeSecret; a version without a value falls back to it.
      const version = step === 'testSecret' && registration ? await ctx.gateway.readVersion(registration.secretArn, token) : undefined;
      if (version) {
        if (version.arn !== registration!.secretArn) throw new RefusedError(`secret ${secretId} answered as ${version.arn}`);
        if (stageOf(step, version.arn, token, version.labels, ctx) === 'pending') await this.testSecret(version.arn, token, version.labels, version.value, registration!);
        await ctx.audit.flush();
        return 0;
      }
      const secret = await ctx.gateway.describeSecret(secretId);
      registration = registry.require(secret.arn);
      const stages = secret.versions[token];
      if (!stages) throw new ConfigurationError(`secret ${secret.arn} has no version ${token}`);
      if (step === 'finishSecret') {
        await this.finishSecret(secret, token, registration);
      } else if (stageOf(step, secret.arn, token, stages, ctx) === 'pending') {
        if (step === 'createSecret') await this.createSecret(secret, token, registration);
        else await this.testSecret(secret.arn, token, stages, undefined, registration);
      }
      await ctx.audit.flush();
      return 0;
    } catch (e) {
      const reason = describeError(e, ctx.redactor);
      ctx.audit.record(e instanceof RefusedError ? EventType.REFUSED : EventType.ROTATION_FAILED, {
        secretArn: registration?.secretArn ?? secretId,
        userName: registration ? userNameOf(registration.userArn) : undefined,
        owner: registration?.owner,
        accessKeyId: (e as { accessKeyIds?: string[] }).accessKeyIds?.join(' '),
        step,
        reason,
      });
      ctx.logger.error('rotation step failed', { step, secretId, reason });
      await ctx.audit.flush().catch((flushError) =>
        ctx.logger.error('audit events not delivered', { reason: describeError(flushError, ctx.redactor) }));
      throw new Error(`${step} failed for ${secretId}: ${reason}`);
    }
  }

  // ---- createSecret ----------------------------------------------------------------

  private async createSecret(secret: SecretDescription, token: string, registration: Registration): Promise<void> {
    const { ctx } = this;
    const userName = userNameOf(registration.userArn);
    const stored = keyOfVersion(secret.versions, token);
    if (stored) {
      // A retry after the key was stored: nothing to create (its Created event was sent before it was stored).
      ctx.logger.info('createSecret: pending key already stored', { secretId: secret.arn, accessKeyId: stored });
      return;
    }

    if (registration.mode === RotationMode.OBSERVE) {
      // Observing: no key is created. The placeholder lets go of AWSPENDING, so that nothing stays pending.
      await ctx.gateway.removeLabel(secret.arn, Stage.PENDING, token);
      throw new ConfigurationError(`the registration of ${secret.arn} (user ${userName}) is in mode OBSERVE: the library changes nothing in IAM `
        + 'for it, and this rotation creates no key; set its mode to ENFORCE to rotate');
    }
    const staged = stagedKeys(secret.versions);
    const held = labelledKeys(secret.versions);
    const keys = await ctx.gateway.listAccessKeys(userName);
    const marker = parseCreatingMarker(secret.tags);
    const orphanKeyIds: string[] = [];
    const markedKey = keys.find((k) => k.accessKeyId === marker);
    if (markedKey && !held.has(markedKey.accessKeyId)) {
      // Only on a retry after an attempt died between CreateAccessKey and storing the key.
      const [lastUse, versions] = await Promise.all([ctx.gateway.lastUse(markedKey.accessKeyId), ctx.gateway.listVersions(secret.arn)]);
      const attemptStartedAt = versions.find((v) => v.versionId === token)?.createdAt;
      const evidence = { markerId: marker, key: markedKey, heldKeyIds: [...held.keys()], lastUse, attemptStartedAt };
      if (provenOrphan(evidence)) orphanKeyIds.push(markedKey.accessKeyId);
    }
    const now = ctx.clock();
    const request = parseRevokeRequest(secret.tags);
    const revoke = revokeRequested(request, now, REVOKE_REQUEST_TTL_SECONDS);
    if (request !== undefined && !revoke) {
      ctx.logger.warn('a revoke request was ignored: it is older than an hour, from the future, or malformed', { secretId: secret.arn, request: secret.tags[Tags.REVOKE] });
    }
    const plan = planCreate({
      userName,
      keys,
      currentKeyId: staged.current,
      previousKeyId: staged.previous,
      heldKeyIds: [...held.keys()],
      adoptingHint: secret.tags[Tags.ADOPTING] || undefined,
      previousHint: parsePreviousKeyHint(secret.tags)?.accessKeyId,
      orphanKeyIds,
      policy: registration.foreignKeyPolicy,
      revoke,
      retiring: retiringKey(lifecycleInput(registration, secret, keys)),
    });
    if (plan.kind === 'fail') {
      // An AWSPENDING version left on an empty placeholder makes Secrets Manager refuse every later rotation of the secret:
      // when the way out is to wait (or to release a hold), the attempt lets go of it, and the next rotation can start.
      if (plan.abandon) await ctx.gateway.removeLabel(secret.arn, Stage.PENDING, token);
      throw Object.assign(new ConfigurationError(plan.reason), { accessKeyIds: plan.accessKeyIds });
    }

    // A key this secret does not hold may be another registration's (another stack's, say): its labels, not IAM, say so.
    const takenOver = [...plan.deletions.map((d) => d.accessKeyId), ...plan.adoptKeyId ? [plan.adoptKeyId] : []].filter((id) => !held.has(id));
    const elsewhere = takenOver.length === 0 ? undefined : await this.servedElsewhere(userName, secret.arn, takenOver);
    if (elsewhere) {
      await ctx.gateway.removeLabel(secret.arn, Stage.PENDING, token);
      throw Object.assign(new ConfigurationError(`access key ${elsewhere.accessKeyId} is ${elsewhere.stage} of secret ${elsewhere.secretArn}, another `
        + `registration of user ${userName}: it is neither taken over nor deleted. One user's keys can be rotated by one registration only: `
        + 'keep one, and let the other consumers read its secret'), { accessKeyIds: [elsewhere.accessKeyId] });
    }

    const detail = { secretArn: secret.arn, userName, owner: registration.owner };
    for (const d of plan.deletions) {
      await ctx.gateway.deleteAccessKey(userName, d.accessKeyId);
      ctx.audit.record(EventType.DELETED, { ...detail, accessKeyId: d.accessKeyId, reason: d.reason, wasActive: d.wasActive });
      const version = held.get(d.accessKeyId);
      if (version) await ctx.gateway.removeLabel(secret.arn, d.accessKeyId, version);
    }

    const created = await ctx.gateway.createAccessKey(userName);
    ctx.redactor.add(created.secretAccessKey);
    const value: StoredCredentials = {
      userName, accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey, createdAt: now.toISOString(),
    };
    const labels = [Stage.PENDING, created.accessKeyId, ...(revoke ? [Stage.REVOKED_PREDECESSOR] : [])];
    try {
      // The id first, so a retry after a crash can prove the key is this attempt's own; then the audit event; then the value.
      await ctx.gateway.tag(secret.arn, {
        [Tags.CREATING]: formatCreatingMarker(created.accessKeyId, now),
        ...(plan.adoptKeyId ? { [Tags.ADOPTING]: plan.adoptKeyId } : {}),
      });
      ctx.audit.record(EventType.CREATED, {
        ...detail,
        accessKeyId: created.accessKeyId,
        reason: (staged.current ? `rotation replacing ${staged.current}` : 'first key for this secret') + (revoke ? ' (emergency revoke)' : ''),
        ...(plan.adoptKeyId ? { adoptedAccessKeyId: plan.adoptKeyId } : {}),
      });
      await ctx.audit.flush();
      await ctx.gateway.putPendingValue(secret.arn, token, JSON.stringify(value), labels);
    } catch (e) {
      await this.abandon(secret.arn, token, userName, created.accessKeyId);
      throw e;
    }
  }

  /**
   * The first of the keys that another secret of the library (one registered
   * by another stack, or by none) serves as AWSCURRENT or AWSPENDING: its
   * versions' labels say so. One ListSecrets of the user's secrets, made only
   * when a rotation would take over or delete a key its own secret does not hold.
   */
  private async servedElsewhere(
    userName: string, ownArn: string, accessKeyIds: string[],
  ): Promise<{ accessKeyId: string; secretArn: string; stage: string } | undefined> {
    for await (const listed of this.ctx.gateway.listSecrets(secretDescription(userName))) {
      if (listed.arn === ownArn) continue;
      for (const stage of [Stage.CURRENT, Stage.PENDING]) {
        const served = keyAtStage(listed.versions, stage);
        if (served && accessKeyIds.includes(served)) return { accessKeyId: served, secretArn: listed.arn, stage };
      }
    }
    return undefined;
  }

  /**
   * The new key could not be stored (or its record or event written): while
   * still running, delete it unless the secret holds it after all, so a key
   * never outlives the attempt that made it unrecorded.
   */
  private async abandon(secretArn: string, token: string, userName: string, accessKeyId: string): Promise<void> {
    const { ctx } = this;
    try {
      const now = await ctx.gateway.describeSecret(secretArn);
      if (keyOfVersion(now.versions, token) === accessKeyId) return;
      await ctx.gateway.deleteAccessKey(userName, accessKeyId);
      ctx.audit.record(EventType.DELETED, {
        secretArn, userName, accessKeyId, wasActive: true, reason: 'the attempt that created it could not store it; it was never handed to anyone',
      });
    } catch (e) {
      // Left for the retry, which proves it an orphan from the record (or names it as foreign).
      ctx.logger.error('an unstored new key could not be deleted', { secretId: secretArn, accessKeyId, reason: describeError(e, ctx.redactor) });
    }
  }

  // ---- setSecret: the delivery ------------------------------------------------------

  /**
   * Tells the registration's delivery function where the new key is (the AWSPENDING version, which its grant lets it
   * read) before the key is promoted: a failure fails the step, so Secrets Manager retries the rotation and the
   * current key stays current. The payload names the version and the key id, never the secret; the function's
   * answer is untrusted text, redacted with the new key's secret (read here for that) before it is reported.
   * An emergency revoke is not held back by a delivery: its failure is reported and the rotation goes on.
   */
  private async deliver(registration: Registration, token: string, timeLeftMs: number): Promise<number> {
    const { ctx } = this;
    const functionArn = registration.deliveryFunctionArn!;
    const secretArn = registration.secretArn;
    const version = await ctx.gateway.readVersion(secretArn, token);
    if (!version) throw new ConfigurationError(`setSecret: version ${token} of ${secretArn} holds no value: createSecret stored no key to deliver`);
    if (version.arn !== secretArn) throw new RefusedError(`secret ${secretArn} answered as ${version.arn}`);
    if (stageOf('setSecret', secretArn, token, version.labels, ctx) === 'current') return 0;
    const accessKeyId = keyOfVersion({ [token]: version.labels }, token);
    if (!accessKeyId) {
      ctx.logger.info('setSecret: the version holds no access key of this library: nothing to deliver', { secretId: secretArn, token });
      return 0;
    }
    const userName = userNameOf(registration.userArn);
    const pending = readCredentials(ctx, version.value, `${Stage.PENDING} version of ${secretArn}`);
    if (pending?.accessKeyId !== accessKeyId || pending.userName !== userName) {
      throw new RefusedError(`version ${token} of ${secretArn} does not hold key ${accessKeyId} of user ${userName}, as its label says`);
    }
    const request: DeliveryRequest = {
      secretArn,
      versionId: token,
      versionStage: Stage.PENDING,
      userName,
      userArn: registration.userArn,
      accessKeyId,
    };
    const detail = { secretArn, userName, owner: registration.owner, accessKeyId };
    const revoke = version.labels.includes(Stage.REVOKED_PREDECESSOR);
    const timeoutMs = Math.max(timeLeftMs, 1000);
    let failure: string | undefined;
    try {
      const answer = await ctx.gateway.invokeFunction(functionArn, JSON.stringify(request), timeoutMs);
      if (answer.failure) failure = `it failed: ${oneLine(answer.failure.type, 100)}: ${oneLine(answer.failure.message, 500)}`;
    } catch (e) {
      const name = (e as Error).name;
      failure = name === 'TimeoutError' || name === 'AbortError'
        ? `it did not answer within ${Math.round(timeoutMs / 1000)} s (the rotation function's time left); `
          + 'give the delivery function a timeout well within the rotation function\'s'
        : `Lambda refused the invocation: ${describeError(e, ctx.redactor)}`;
    }
    if (failure === undefined) {
      ctx.audit.record(EventType.DELIVERED, { ...detail, deliveredTo: functionArn, reason: `the delivery function was told of version ${token} before the key is promoted` });
      ctx.logger.info('setSecret: new key delivered', { secretId: secretArn, accessKeyId, functionArn });
      return 0;
    }
    const reason = `the delivery of key ${accessKeyId} to ${functionArn} failed: ${failure}`;
    if (!revoke) {
      throw new DeliveryError(`${reason}. The key stays pending and the current key current; Secrets Manager retries the rotation`, [accessKeyId]);
    }
    ctx.audit.record(EventType.ROTATION_FAILED, {
      ...detail,
      deliveryFunction: functionArn,
      step: 'setSecret',
      reason: `${reason}. This rotation is an emergency revoke: it goes on, and the old key is deactivated now; `
        + 'hand the new key over to the delivery\'s target by hand, or rotate again once the delivery function is fixed',
    });
    ctx.logger.error('setSecret: delivery failed during an emergency revoke; the revoke goes on', { secretId: secretArn, accessKeyId, reason });
    return 1;
  }

  // ---- testSecret --------------------------------------------------------------------

  /** Tests the key the AWSPENDING version `token` holds, from its labels and its value (`undefined`: it has none). */
  private async testSecret(secretArn: string, token: string, labels: string[], value: string | undefined, registration: Registration): Promise<void> {
    const { ctx } = this;
    const labelled = keyOfVersion({ [token]: labels }, token);
    if (!labelled) {
      // Secrets Manager tests a rotation set up without rotating now with a version of its own; no key to test.
      ctx.logger.info('testSecret: the version holds no access key of this library: nothing to test', { secretId: secretArn, token });
      return;
    }
    const pending = readCredentials(ctx, value, `${Stage.PENDING} version of ${secretArn}`);
    const userName = userNameOf(registration.userArn);
    if (pending?.accessKeyId !== labelled || pending.userName !== userName) {
      throw new RefusedError(`version ${token} of ${secretArn} does not hold key ${labelled} of user ${userName}, as its label says`);
    }
    const account = accountOf(registration.userArn);
    const arn = await backOff(async () => {
      const actual = await ctx.gateway.callerArn(pending.accessKeyId, pending.secretAccessKey);
      if (accountOf(actual) !== account || !/:user\//.test(actual) || userNameOf(actual) !== userName) {
        throw new KeyMismatchError(`key ${pending.accessKeyId} signs as ${actual}, expected user ${userName} of account ${account}`);
      }
      return actual;
    }, {
      numOfAttempts: this.retry.attempts,
      startingDelay: this.retry.firstDelayMs,
      maxDelay: this.retry.maxDelayMs,
      timeMultiple: 2,
      jitter: 'full',
      retry: (e, attempt) => {
        const retryable = e instanceof KeyNotAccepted || isNetworkError(e);
        ctx.logger.warn('testSecret: new key not usable yet', { accessKeyId: pending.accessKeyId, attempt, retryable, reason: describeError(e, ctx.redactor) });
        return retryable;
      },
    });
    ctx.logger.info('testSecret: new key works', { accessKeyId: pending.accessKeyId, callerArn: arn });
  }

  // ---- finishSecret ------------------------------------------------------------------

  private async finishSecret(secret: SecretDescription, token: string, registration: Registration): Promise<void> {
    const { ctx } = this;
    const userName = userNameOf(registration.userArn);
    const tokenLabels = secret.versions[token];
    const currentVersion = versionWithLabel(secret.versions, Stage.CURRENT);
    // A retry may find the version already AWSCURRENT (and no longer AWSPENDING).
    if (currentVersion !== token) requirePending(secret, token);
    const promoted = keyOfVersion(secret.versions, token);
    if (!promoted) throw new ConfigurationError(`finishSecret: version ${token} of ${secret.arn} holds no access key`);

    let old: string | undefined;
    if (currentVersion !== token) {
      old = keyOfVersion(secret.versions, currentVersion);
      await ctx.gateway.moveLabel(secret.arn, Stage.CURRENT, token, currentVersion);
    } else {
      old = stagedKeys(secret.versions).previous;
    }
    const labelledOld = old;
    if (tokenLabels.includes(Stage.PENDING)) await ctx.gateway.removeLabel(secret.arn, Stage.PENDING, token);

    // A key adopted under ADOPT is held by no version: the rotation recorded which, and it must still be the user's.
    const adopting = secret.tags[Tags.ADOPTING];
    if (!old && adopting && adopting !== promoted && registration.foreignKeyPolicy === ForeignKeyPolicy.ADOPT) {
      if ((await ctx.gateway.listAccessKeys(userName)).some((k) => k.accessKeyId === adopting)) old = adopting;
    }

    // Done only on a retry that finds AWSCURRENT moved (a label) and the state recorded (a tag): a tag
    // alone cannot make a first attempt skip its events and its record, nor any attempt skip a revoke.
    const stateDone = currentVersion === token && parseCurrentKeyHint(secret.tags) === promoted;
    // The attempt's own markers (the creating record, the key being adopted) are emptied in the TagResource
    // that records the state (an empty marker is no marker), so a rotation needs no UntagResource for them.
    const markers = [Tags.CREATING, Tags.ADOPTING].filter((t) => secret.tags[t]);
    const leftovers: string[] = [Tags.REVOKE].filter((t) => secret.tags[t] !== undefined);
    const revoke = tokenLabels.includes(Stage.REVOKED_PREDECESSOR) && old !== undefined;
    if (stateDone && markers.length === 0 && leftovers.length === 0 && !revoke) return;

    const now = ctx.clock();
    const detail = { secretArn: secret.arn, userName, owner: registration.owner };
    const tags: Record<string, string> = {
      [Tags.CURRENT_KEY]: encodeFields({ 'id': promoted, 'promoted-at': now.toISOString() }),
      ...Object.fromEntries(markers.map((t) => [t, ''])),
    };
    if (!stateDone) {
      ctx.audit.record(EventType.PROMOTED, { ...detail, accessKeyId: promoted, previousAccessKeyId: old, reason: 'new key is AWSCURRENT' });
      if (old) tags[Tags.PREVIOUS_KEY] = formatPreviousKey(old, now);
      else if (secret.tags[Tags.PREVIOUS_KEY] !== undefined) leftovers.push(Tags.PREVIOUS_KEY);
      // A progress record of a key retired before this rotation is done with (and records of earlier versions go).
      const recorded = progressKeyOf(secret.tags);
      if (recorded !== undefined && recorded !== old) tags[Tags.PROGRESS] = '';
      leftovers.push(...Object.keys(secret.tags).filter((t) => t.startsWith(Tags.KEY_PROGRESS_PREFIX)));
    }
    if (revoke && old) {
      const existed = await ctx.gateway.setAccessKeyStatus(userName, old, INACTIVE);
      Object.assign(tags, formatKeyProgress(old, { deactivatedAt: now }));
      // Only a key a version holds is proven the revoked one; an adopted key keeps its retention.
      const when = old === labelledOld ? 'deleted at the next lifecycle run' : `deleted ${formatSeconds(registration.deleteAfterSeconds)} later (an adopted key)`;
      ctx.audit.record(EventType.REVOKED, {
        ...detail,
        accessKeyId: old,
        reason: existed ? `emergency revoke: deactivated at once, ${when}` : 'emergency revoke: key was already gone',
      });
    }
    // Events first, then the state that says this step is done.
    await ctx.audit.flush();
    await ctx.gateway.tag(secret.arn, tags);
    if (leftovers.length > 0) await ctx.gateway.untag(secret.arn, leftovers);
  }
}

function requirePending(secret: SecretDescription, token: string): void {
  requireLabel(secret.arn, token, secret.versions[token]);
}

function requireLabel(secretArn: string, token: string, labels: string[]): void {
  if (!labels.includes(Stage.PENDING)) {
    throw new ConfigurationError(`version ${token} of ${secretArn} is not AWSPENDING (stages: ${labels.join(', ') || 'none'})`);
  }
}

/**
 * The stage preconditions of createSecret and testSecret, checked once: a
 * version already AWSCURRENT has nothing left to do (a retry after
 * finishSecret), and any other must be AWSPENDING.
 */
function stageOf(step: string, secretArn: string, token: string, labels: string[], ctx: RotatorContext): 'current' | 'pending' {
  if (labels.includes(Stage.CURRENT)) {
    ctx.logger.info(`${step}: version is already AWSCURRENT`, { secretId: secretArn, token });
    return 'current';
  }
  requireLabel(secretArn, token, labels);
  return 'pending';
}

/** Untrusted text on one line, cut to `max` characters. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED';
}
