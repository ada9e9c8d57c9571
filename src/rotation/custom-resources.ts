/**
 * The function as a CloudFormation custom resource provider, for its own stack
 * only: one `Custom::AccessKeyRotation` per registration (turns Secrets
 * Manager's rotation on, and off again with the keys released when the
 * registration leaves) and one `Custom::AccessKeyDepartures` per stack (names
 * the registrations an update removes, so the function keeps access to them
 * until CloudFormation's cleanup).
 *
 * An event is a request anyone allowed to invoke the function can write, so
 * it is believed only as far as CloudFormation confirms it: the stack is this
 * function's, the resource is of the right type and CloudFormation is creating,
 * updating or deleting exactly it right now (its status, or for a replaced
 * resource its DELETE_IN_PROGRESS event), and the properties are those its
 * physical id was made from. The ResponseURL is checked before anything is sent.
 */
import { createHash } from 'crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describeError } from './audit';
import { CloudFormationResponse, MAX_RESPONSE_BYTES, ResponseTransport, responseBody, responseUrlProblem } from './cfn-response';
import { RotatorContext } from './context';
import {
  accountOf, DEPARTURES_RESOURCE_TYPE, DEPARTURES_SEPARATOR, DeparturesAttributes, DeparturesProperties, EventType, placeholderSecretArn,
  placeholderUserArn, Registration,
  Removal, ROTATION_RESOURCE_TYPE, RotationProperties, Stage, STATE_TAG_KEYS, userNameOf,
} from './contract';
import { departing, isRollback, keysToRelease, planRemoval, provenOrphan } from './decide';
import { NotFound, PermissionDenied, RotationRules, StackResource } from './gateway';
import { labelledKeys, parseCreatingMarker, RefusedError, versionWithLabel } from './model';

const DEPARTURES_PHYSICAL_ID = 'access-key-departures';
/** Answered for a Create that failed, so the Delete CloudFormation then sends has nothing to do. */
const CREATE_FAILED_PHYSICAL_ID = 'access-key-rotation-not-created';
const PHYSICAL_ID = /^rotation\.([0-9a-f]{32})\.(DESTROY|RETAIN)\.(new-secret|existing-secret)$/;

/** Which registration a rotation resource is: its secret and user, hashed. */
export function registrationHash(secretArn: string, userArn: string): string {
  return createHash('sha256').update(`${secretArn}\n${userArn}`).digest('hex').slice(0, 32);
}

/**
 * The rotation resource's physical id: the registration, its removal policy,
 * and whether the secret held no key yet when the resource was created. A new
 * removal policy or another secret or user is a new physical id, which
 * CloudFormation treats as a replacement.
 */
export function rotationPhysicalId(secretArn: string, userArn: string, removal: Removal, freshSecret: boolean): string {
  return `rotation.${registrationHash(secretArn, userArn)}.${removal}.${freshSecret ? 'new-secret' : 'existing-secret'}`;
}

export function parseRotationPhysicalId(id: string | undefined): { hash: string; removal: Removal; freshSecret: boolean } | undefined {
  const m = PHYSICAL_ID.exec(id ?? '');
  return m ? { hash: m[1], removal: m[2] as Removal, freshSecret: m[3] === 'new-secret' } : undefined;
}

export interface CustomResourceOptions {
  /** The only stack whose events are served (the function's own, from its environment). */
  readonly stackId: string;
  readonly transport: ResponseTransport;
  /** Stack events read at most, looking for a replaced resource's DELETE_IN_PROGRESS. */
  readonly maxStackEvents?: number;
  /** Attempts of RotateSecret while IAM propagates the function's new permissions. */
  readonly configureAttempts?: number;
  readonly configureDelayMs?: number;
}

type Props = Record<string, unknown>;

export class CustomResources {
  constructor(private readonly ctx: RotatorContext, private readonly options: CustomResourceOptions) {}

  /** Handles one event; a refused or failed one fails the invocation (which raises the alarm) after answering CloudFormation when that is safe. */
  async handle(event: CloudFormationCustomResourceEvent, functionArn: string): Promise<void> {
    const { ctx } = this;
    const named = (event.ResourceProperties as Props | undefined)?.[RotationProperties.SECRET];
    const where = {
      requestType: String(event.RequestType),
      stackId: String(event.StackId),
      logicalId: String(event.LogicalResourceId),
      requestId: String(event.RequestId),
      secretArn: typeof named === 'string' ? named : undefined,
    };
    const urlProblem = responseUrlProblem(event.ResponseURL, this.options.stackId);
    if (urlProblem) {
      // Nothing is sent to a URL that is not CloudFormation's.
      await this.refused(where, `${urlProblem}; no answer sent`);
      throw new RefusedError(`custom resource event refused: ${urlProblem}`);
    }
    let physicalId = event.RequestType === 'Create' ? CREATE_FAILED_PHYSICAL_ID : event.PhysicalResourceId;
    try {
      const resource = await this.verify(event);
      let data: Record<string, string> | undefined;
      if (event.ResourceType === ROTATION_RESOURCE_TYPE) {
        physicalId = await this.rotation(event, resource, functionArn);
      } else {
        // A Delete is answered with the id it names (that of a failed Create too).
        physicalId = event.RequestType === 'Delete' ? event.PhysicalResourceId : DEPARTURES_PHYSICAL_ID;
        data = this.departures(event);
      }
      await this.respond(event, { Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: data });
    } catch (e) {
      const reason = describeError(e, ctx.redactor);
      if (e instanceof RefusedError) await this.refused(where, reason);
      else ctx.logger.error('custom resource request failed', { ...where, reason });
      const answer = e instanceof PublicError ? e.message : `the request failed; see the rotation function's log for request ${event.RequestId}`;
      await this.respond(event, { Status: 'FAILED', Reason: answer, PhysicalResourceId: physicalId }).catch((re) =>
        ctx.logger.error('CloudFormation was not answered', { ...where, reason: describeError(re, ctx.redactor) }));
      throw e;
    }
  }

  // ---- verification ------------------------------------------------------------------

  /** Confirms the event with CloudFormation; returns the resource CloudFormation now holds under the logical id. */
  private async verify(event: CloudFormationCustomResourceEvent): Promise<StackResource | undefined> {
    if (event.StackId !== this.options.stackId) throw new RefusedError(`the event is for stack ${event.StackId}; this function serves ${this.options.stackId} only`);
    if (event.ResourceType !== ROTATION_RESOURCE_TYPE && event.ResourceType !== DEPARTURES_RESOURCE_TYPE) {
      throw new RefusedError(`resource type ${event.ResourceType} is not one this function provides`);
    }
    const resource = await this.ctx.gateway.stackResource(this.options.stackId, event.LogicalResourceId);
    const current = resource?.type === event.ResourceType ? resource : undefined;
    switch (event.RequestType) {
      case 'Create':
        if (current?.status === 'CREATE_IN_PROGRESS') return current;
        break;
      case 'Update':
        if (current?.status === 'UPDATE_IN_PROGRESS' && current.physicalId === event.PhysicalResourceId) return current;
        break;
      case 'Delete':
        if (current?.status === 'DELETE_IN_PROGRESS' && current.physicalId === event.PhysicalResourceId) return current;
        // A replaced resource, or one a rollback removes: CloudFormation logs its deletion in the stack's events.
        if (await this.deletionLogged(event.LogicalResourceId, event.ResourceType, event.PhysicalResourceId)) return current;
        break;
    }
    throw new RefusedError(`CloudFormation is not ${event.RequestType === 'Create' ? 'creating' : event.RequestType === 'Update' ? 'updating' : 'deleting'} `
      + `${event.LogicalResourceId}${event.RequestType === 'Create' ? '' : ` (${event.PhysicalResourceId})`} now (it holds ${resource ? `${resource.type} ${resource.physicalId ?? ''} ${resource.status}` : 'no such resource'})`);
  }

  /** True when the stack's current operation logged DELETE_IN_PROGRESS for exactly this resource. */
  private async deletionLogged(logicalId: string, type: string, physicalId: string): Promise<boolean> {
    const limit = this.options.maxStackEvents ?? 2000;
    let read = 0;
    for await (const e of this.ctx.gateway.stackEvents(this.options.stackId)) {
      if (e.logicalId === logicalId && e.physicalId === physicalId && e.resourceType === type && e.status === 'DELETE_IN_PROGRESS') return true;
      // The stack's own event opening the current operation: nothing older belongs to it.
      if (e.resourceType === 'AWS::CloudFormation::Stack' && /^(CREATE|UPDATE|DELETE|IMPORT)_IN_PROGRESS$/.test(e.status)) return false;
      if (++read >= limit) return false;
    }
    return false;
  }

  // ---- Custom::AccessKeyRotation -------------------------------------------------------

  private async rotation(event: CloudFormationCustomResourceEvent, current: StackResource | undefined, functionArn: string): Promise<string> {
    const props = event.ResourceProperties as Props;
    const secretArn = String(props[RotationProperties.SECRET] ?? '');
    const userArn = String(props[RotationProperties.USER] ?? '');
    const removal = props[RotationProperties.REMOVAL] === Removal.DESTROY ? Removal.DESTROY : Removal.RETAIN;
    if (event.RequestType === 'Delete') return this.release(event, current, secretArn, userArn, removal);

    const stack = await this.ctx.gateway.stack(this.options.stackId);
    if (isRollback(stack.status)) {
      // CloudFormation puts back the properties it had: the same secret and user (an in-place update), their previous schedule.
      const had = parseRotationPhysicalId(event.RequestType === 'Update' ? event.PhysicalResourceId : undefined);
      if (!had || had.hash !== registrationHash(secretArn, userArn)) {
        throw new RefusedError(`a rollback ${event.RequestType} of ${event.LogicalResourceId} names another secret or user than its physical id`);
      }
      await this.configure(secretArn, functionArn, rulesOf(props), false);
      return (event as { PhysicalResourceId: string }).PhysicalResourceId;
    }
    const registration = (await this.ctx.registry.load()).require(secretArn);
    if (registration.userArn !== userArn || registration.removal !== removal) {
      throw new RefusedError(`the properties of ${event.LogicalResourceId} (user ${userArn}, removal ${removal}) disagree with the registry `
        + `(user ${registration.userArn}, removal ${registration.removal})`);
    }
    const physicalId = await this.physicalIdFor(event, registration);
    const rules = rulesOf(registration);
    if (event.RequestType === 'Create') await this.stateTags(secretArn);
    if (event.RequestType === 'Create' || JSON.stringify(rulesOf(event.OldResourceProperties as Props)) !== JSON.stringify(rules)) {
      await this.configure(secretArn, functionArn, rules, registration.rotateOnDeploy);
      this.ctx.logger.info('rotation configured', { secretId: secretArn, ...rules, rotateNow: registration.rotateOnDeploy });
    }
    return physicalId;
  }

  /** The same physical id while the registration and its removal policy stay; a new one (a replacement) otherwise. */
  private async physicalIdFor(event: CloudFormationCustomResourceEvent, registration: Registration): Promise<string> {
    const had = parseRotationPhysicalId(event.RequestType === 'Update' ? event.PhysicalResourceId : undefined);
    if (had && had.hash === registrationHash(registration.secretArn, registration.userArn) && had.removal === registration.removal) {
      return (event as { PhysicalResourceId: string }).PhysicalResourceId;
    }
    return this.newPhysicalId(registration.secretArn, registration.userArn, registration.removal);
  }

  private async newPhysicalId(secretArn: string, userArn: string, removal: Removal): Promise<string> {
    const secret = await this.ctx.gateway.describeSecret(secretArn);
    return rotationPhysicalId(secretArn, userArn, removal, labelledKeys(secret.versions).size === 0);
  }

  /**
   * The tags that hold the function's state, written empty where missing: once they exist, the function only
   * overwrites them, which counts against no tag quota, so a secret filled with others' tags cannot stop a rotation.
   */
  private async stateTags(secretArn: string): Promise<void> {
    const { tags } = await this.ctx.gateway.describeSecret(secretArn);
    const missing = STATE_TAG_KEYS.filter((k) => tags[k] === undefined);
    if (missing.length > 0) await this.ctx.gateway.tag(secretArn, Object.fromEntries(missing.map((k) => [k, ''])));
  }

  /** RotateSecret with this function; retried while IAM propagates permissions the same deployment just granted. */
  private async configure(secretArn: string, functionArn: string, rules: RotationRules, rotateNow: boolean): Promise<void> {
    const attempts = this.options.configureAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.gateway.configureRotation(secretArn, unqualified(functionArn), rules, rotateNow);
        return;
      } catch (e) {
        if (attempt >= attempts || !(e instanceof PermissionDenied)) throw e;
        this.ctx.logger.warn('RotateSecret denied; IAM may not have propagated this deployment\'s permissions yet', { secretId: secretArn, attempt });
        await new Promise((r) => setTimeout(r, (this.options.configureDelayMs ?? 2000) * attempt));
      }
    }
  }

  /** A verified Delete: turn rotation off, and delete the registration's keys when it really leaves with DESTROY. */
  private async release(
    event: CloudFormationCustomResourceEvent, current: StackResource | undefined, secretArn: string, userArn: string, removal: Removal,
  ): Promise<string> {
    const { ctx } = this;
    const physicalId = (event as { PhysicalResourceId: string }).PhysicalResourceId;
    if (physicalId === CREATE_FAILED_PHYSICAL_ID) return physicalId;
    const mine = parseRotationPhysicalId(physicalId);
    if (!mine || mine.hash !== registrationHash(secretArn, userArn) || mine.removal !== removal) {
      throw new RefusedError(`the properties of ${event.LogicalResourceId} are not those its physical id ${physicalId} was made from`);
    }
    const newer = current && current.physicalId !== physicalId ? parseRotationPhysicalId(current.physicalId) : undefined;
    const stack = await ctx.gateway.stack(this.options.stackId);
    const plan = planRemoval({
      stackStatus: stack.status,
      replacedBy: newer ? (newer.hash === mine.hash ? 'same-registration' : 'other-registration') : undefined,
      removal,
      freshSecret: mine.freshSecret,
    });
    const detail = { secretArn, userName: userNameOf(userArn) };
    ctx.logger.info('registration removal', { ...detail, plan });
    if (plan.kind === 'refuse') throw new RefusedError(plan.reason);
    if (plan.kind === 'nothing') return physicalId;
    await ctx.gateway.cancelRotation(secretArn);
    if (plan.deleteKeys) await this.deleteKeys(secretArn, userArn, plan.reason);
    await ctx.audit.flush();
    return physicalId;
  }

  /** Deletes the keys the secret's versions hold and proven orphans; keys made by hand stay, named in the log. */
  private async deleteKeys(secretArn: string, userArn: string, why: string): Promise<void> {
    const { ctx } = this;
    const userName = userNameOf(userArn);
    let versions;
    let tags;
    try {
      ({ versions, tags } = await ctx.gateway.describeSecret(secretArn));
    } catch (e) {
      if (e instanceof NotFound) return; // no secret, so no key it holds
      throw e;
    }
    const held = [...labelledKeys(versions).keys()];
    const keys = await ctx.gateway.listAccessKeys(userName);
    const orphans: string[] = [];
    const marker = parseCreatingMarker(tags);
    const marked = keys.find((k) => k.accessKeyId === marker);
    const pending = versionWithLabel(versions, Stage.PENDING);
    if (marked && !held.includes(marked.accessKeyId) && pending) {
      const [lastUse, all] = await Promise.all([ctx.gateway.lastUse(marked.accessKeyId), ctx.gateway.listVersions(secretArn)]);
      const attemptStartedAt = all.find((v) => v.versionId === pending)?.createdAt;
      if (provenOrphan({ markerId: marker, key: marked, heldKeyIds: held, lastUse, attemptStartedAt })) orphans.push(marked.accessKeyId);
    }
    const { release, foreign } = keysToRelease(keys, held, orphans);
    for (const key of release) {
      if (await ctx.gateway.deleteAccessKey(userName, key.accessKeyId)) {
        ctx.audit.record(EventType.DELETED, {
          secretArn, userName, accessKeyId: key.accessKeyId, wasActive: key.status === 'Active', reason: `registration removed (${why})`,
        });
      }
    }
    if (foreign.length > 0) {
      ctx.logger.warn('keys this library did not create were left on the user; CloudFormation cannot delete a user that has keys', {
        userName, accessKeyIds: foreign.map((k) => k.accessKeyId),
      });
    }
  }

  // ---- Custom::AccessKeyDepartures ---------------------------------------------------

  private departures(event: CloudFormationCustomResourceEvent): Record<string, string> {
    // One string, a line per registration (a list, as written before, is read too: the old properties of an upgrade).
    const list = (props: unknown) => {
      const v = (props as Props | undefined)?.[DeparturesProperties.REGISTRATIONS];
      return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(DEPARTURES_SEPARATOR).filter((r) => r !== '') : [];
    };
    const gone = event.RequestType === 'Update' ? departing(list(event.OldResourceProperties), list(event.ResourceProperties)) : { secretArns: [], userArns: [] };
    const [, partition, , region] = this.options.stackId.split(':');
    const account = accountOf(this.options.stackId);
    const users = gone.userArns.length ? gone.userArns : [placeholderUserArn(partition, account)];
    const secrets = gone.secretArns.length ? gone.secretArns : [placeholderSecretArn(partition, region, account)];
    const data = {
      [DeparturesAttributes.USERS]: users.join(DEPARTURES_SEPARATOR),
      [DeparturesAttributes.SECRETS]: secrets.join(DEPARTURES_SEPARATOR),
    };
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_RESPONSE_BYTES - 1000) {
      throw new PublicError(`${gone.secretArns.length} registrations leave the stack in one deployment, more than CloudFormation's 4 KB answer can name; `
        + 'remove them over several deployments');
    }
    this.ctx.logger.info('registrations departing', { secrets: gone.secretArns });
    return data;
  }

  // ---- answering -----------------------------------------------------------------------

  private async respond(event: CloudFormationCustomResourceEvent, answer: Pick<CloudFormationResponse, 'Status' | 'Reason' | 'PhysicalResourceId' | 'Data'>): Promise<void> {
    const body = responseBody({ ...answer, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
    await this.options.transport.put(event.ResponseURL, body);
  }

  private async refused(where: Record<string, string | undefined>, reason: string): Promise<void> {
    const { ctx } = this;
    ctx.logger.error('custom resource event refused', { ...where, reason });
    ctx.audit.record(EventType.REFUSED, {
      secretArn: where.secretArn, stackId: where.stackId, reason: `CloudFormation-shaped ${where.requestType} of ${where.logicalId}: ${reason}`,
    });
    await ctx.audit.flush().catch((e) => ctx.logger.error('audit events not delivered', { reason: describeError(e, ctx.redactor) }));
  }
}

/** A failure whose message is meant for whoever deploys: it names no internal detail. */
class PublicError extends Error {}

function rulesOf(source: Props | Registration | undefined): RotationRules {
  const s = (source ?? {}) as Record<string, unknown>;
  const schedule = s.scheduleExpression ?? s[RotationProperties.SCHEDULE];
  const window = s.windowHours ?? s[RotationProperties.WINDOW];
  return {
    scheduleExpression: String(schedule ?? ''),
    ...(window === undefined || window === '' ? {} : { windowHours: Number(window) }),
  };
}

/** The function's ARN without a version or alias qualifier. */
function unqualified(functionArn: string): string {
  return functionArn.split(':').slice(0, 7).join(':');
}
