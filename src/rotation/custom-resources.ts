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
import { ForeignKeyPolicy } from '../foreign-key-policy';
import { RotationMode } from '../rotation-mode';
import { describeError } from './audit';
import { CloudFormationResponse, MAX_RESPONSE_BYTES, ResponseTransport, responseBody, responseUrlProblem } from './cfn-response';
import { RotatorContext, readCredentials } from './context';
import {
  accountOf, DEPARTURE_FIELD_SEPARATOR, DEPARTURES_RESOURCE_TYPE, DEPARTURES_SEPARATOR, DeparturesAttributes, DeparturesProperties, EventType,
  placeholderSecretArn,
  parseRotationEntry, placeholderUserArn, Registration,
  Removal, ROTATION_RESOURCE_TYPE, RotationEntry, RotationProperties, secretDescription, Stage, STATE_TAG_KEYS, Tags, userNameOf,
} from './contract';
import {
  departing, isRollback, keysToRelease, MAX_KEYS_PER_USER, planCreate, planRemoval, provenOrphan, unqualifiedFunctionArn,
} from './decide';
import { AccessKey, NotFound, PermissionDenied, RotationRules, SecretDescription, StackResource } from './gateway';
import { ACTIVE, keyOfVersion, labelledKeys, parseCreatingMarker, RefusedError, stagedKeys, versionWithLabel } from './model';

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
  /**
   * How long a Create (or a replacement) that rotates waits for the first
   * rotation to put a key in the secret before it answers CloudFormation; a
   * rotation that fails or outlasts it fails the resource, so a deployment
   * never ends with a registration whose secret holds no key. None: it
   * answers at once (Secrets Manager rotates afterwards).
   */
  readonly firstRotationWaitMs?: number;
  /** The first wait between two reads of the secret while its first rotation runs (then half as long again each time, up to 5 s). */
  readonly firstRotationPollMs?: number;
}

type Props = Record<string, unknown>;

export class CustomResources {
  constructor(private readonly ctx: RotatorContext, private readonly options: CustomResourceOptions) {}

  /** Handles one event; a refused or failed one fails the invocation (which raises the alarm) after answering CloudFormation when that is safe. */
  async handle(event: CloudFormationCustomResourceEvent, functionArn: string, firstRotationWaitMs?: number): Promise<void> {
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
        physicalId = await this.rotation(event, resource, functionArn, firstRotationWaitMs ?? this.options.firstRotationWaitMs);
      } else {
        // A Delete is answered with the id it names (that of a failed Create too).
        physicalId = event.RequestType === 'Delete' ? event.PhysicalResourceId : DEPARTURES_PHYSICAL_ID;
        data = await this.departures(event);
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
    // A few pages at most: CloudFormation logs the deletion just before it calls the function, so it is among the newest.
    const limit = this.options.maxStackEvents ?? 300;
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

  private async rotation(
    event: CloudFormationCustomResourceEvent, current: StackResource | undefined, functionArn: string, firstRotationWaitMs?: number,
  ): Promise<string> {
    const props = event.ResourceProperties as Props;
    const secretArn = String(props[RotationProperties.SECRET] ?? '');
    const userArn = String(props[RotationProperties.USER] ?? '');
    const removal = props[RotationProperties.REMOVAL] === Removal.DESTROY ? Removal.DESTROY : Removal.RETAIN;
    if (event.RequestType === 'Delete') return this.release(event, current, secretArn, userArn, removal);
    // CloudFormation never creates a resource in a rollback (it puts back and deletes): only an Update needs the stack's status.
    if (event.RequestType === 'Create') return this.registered(event, await this.ownEntry(event, current, props), functionArn, firstRotationWaitMs);

    const stack = await this.ctx.gateway.stack(this.options.stackId);
    if (isRollback(stack.status)) return this.rollbackUpdate(event, props, functionArn);
    const registration = await this.fromRegistry(event, secretArn, userArn, removal);
    const had = parseRotationPhysicalId(event.PhysicalResourceId);
    const rules = rulesOf(registration);
    if (had && had.hash === registrationHash(secretArn, userArn)) {
      // The same registration: a new removal policy is a new physical id (a replacement that deletes nothing); a new schedule is applied.
      const old = (event as { OldResourceProperties?: Props }).OldResourceProperties;
      const mode = modeOf(props);
      if (JSON.stringify(rulesOf(old)) !== JSON.stringify(rules) || modeOf(old) !== mode) {
        if (modeOf(registration) !== mode) {
          throw new RefusedError(`the properties of ${event.LogicalResourceId} (mode ${mode}) disagree with the registry (mode ${modeOf(registration)})`);
        }
        // A rotation at a schedule change (or a switch to ENFORCE) only where it needs no active key's slot: a template change
        // never makes one fail.
        const rotateNow = mode === RotationMode.ENFORCE && registration.rotateOnDeploy && await this.roomForKey(registration);
        await this.configure(secretArn, functionArn, rules, rotateNow, mode);
        this.ctx.logger.info('rotation configured', { secretId: secretArn, ...rules, rotateNow, mode });
      }
      if (had.removal === removal) return (event as { PhysicalResourceId: string }).PhysicalResourceId;
      const secret = await this.ctx.gateway.describeSecret(secretArn);
      return rotationPhysicalId(secretArn, userArn, removal, labelledKeys(secret.versions).size === 0);
    }
    return this.registered(event, registration, functionArn, firstRotationWaitMs);
  }

  /**
   * A Create's registration: the rotation resource's own entry, from the Metadata CloudFormation returned
   * with its CREATE_IN_PROGRESS status (written by the same template as the registry, changed only by a stack
   * update), which the event's properties must equal; the registry when the resource carries none (a template
   * of an earlier version).
   */
  private async ownEntry(event: CloudFormationCustomResourceEvent, current: StackResource | undefined, props: Props): Promise<RotationEntry> {
    const entry = parseRotationEntry(current?.metadata);
    const secretArn = String(props[RotationProperties.SECRET] ?? '');
    const userArn = String(props[RotationProperties.USER] ?? '');
    const removal = props[RotationProperties.REMOVAL] === Removal.DESTROY ? Removal.DESTROY : Removal.RETAIN;
    if (!entry) return this.fromRegistry(event, secretArn, userArn, removal);
    const stated = { secretArn, userArn, removal: props[RotationProperties.REMOVAL], ...rulesOf(props), mode: modeOf(props) };
    const own = { secretArn: entry.secretArn, userArn: entry.userArn, removal: entry.removal, ...rulesOf(entry), mode: modeOf(entry) };
    if (JSON.stringify(stated) !== JSON.stringify(own)) {
      throw new RefusedError(`the properties of ${event.LogicalResourceId} (${JSON.stringify(stated)}) disagree with the registration its Metadata states `
        + `(${JSON.stringify(own)})`);
    }
    return entry;
  }

  /** The registry's entry for the secret, which the event's user and removal policy must match. */
  private async fromRegistry(event: CloudFormationCustomResourceEvent, secretArn: string, userArn: string, removal: Removal): Promise<Registration> {
    const registration = (await this.ctx.registry.load()).require(secretArn);
    if (registration.userArn !== userArn || registration.removal !== removal) {
      throw new RefusedError(`the properties of ${event.LogicalResourceId} (user ${userArn}, removal ${removal}) disagree with the registry `
        + `(user ${registration.userArn}, removal ${registration.removal})`);
    }
    return registration;
  }

  /** A new registration: created, or put in place of another (a renamed secret, another user, a moved construct). */
  private async registered(
    event: CloudFormationCustomResourceEvent, registration: RotationEntry, functionArn: string, firstRotationWaitMs?: number,
  ): Promise<string> {
    const { secretArn, userArn, removal } = registration;
    const rules = rulesOf(registration);
    const secret = await this.ctx.gateway.describeSecret(secretArn);
    const physicalId = rotationPhysicalId(secretArn, userArn, removal, labelledKeys(secret.versions).size === 0);
    await this.stateTags(secret);
    const predecessor = await this.predecessor(event, registration, secret);
    const tookOver = predecessor ? await this.handOver(predecessor, registration, secret) : false;
    // A secret that now holds its user's current key needs no rotation at deploy: its schedule goes on from there.
    const mode = modeOf(registration);
    const rotateNow = !tookOver && registration.rotateOnDeploy && mode === RotationMode.ENFORCE;
    if (rotateNow && registration.foreignKeyPolicy && labelledKeys(secret.versions).size === 0) {
      await this.firstRotationCanSucceed(secretArn, userNameOf(userArn), registration.foreignKeyPolicy);
    }
    await this.configure(secretArn, functionArn, rules, rotateNow, mode);
    this.ctx.logger.info('rotation configured', { secretId: secretArn, ...rules, rotateNow, mode, handedOverFrom: tookOver ? predecessor : undefined });
    if (rotateNow && firstRotationWaitMs) await this.firstRotation(secretArn, userNameOf(userArn), firstRotationWaitMs);
    return physicalId;
  }

  /**
   * Waits until the secret's AWSCURRENT holds a key (Secrets Manager runs the
   * rotation's four steps in other invocations of this function, started by
   * the RotateSecret just made); fails when the rotation was given up (no
   * AWSPENDING left, no key current) or did not finish in time. Reads the
   * secret's labels only.
   */
  private async firstRotation(secretArn: string, userName: string, waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    let delay = this.options.firstRotationPollMs ?? 500;
    for (;;) {
      const { versions } = await this.ctx.gateway.describeSecret(secretArn);
      const current = stagedKeys(versions).current;
      if (current) {
        this.ctx.logger.info('first rotation done: the secret holds a key', { secretId: secretArn, accessKeyId: current });
        return;
      }
      if (!versionWithLabel(versions, Stage.PENDING)) {
        throw new PublicError(`the first rotation of ${secretArn} (user ${userName}) was given up before the secret held a key; `
          + 'its \'Access Key Rotation Failed\' event says why');
      }
      if (Date.now() + delay > deadline) {
        throw new PublicError(`the first rotation of ${secretArn} (user ${userName}) did not finish within ${Math.round(waitMs / 1000)} s; `
          + 'its \'Access Key Rotation Failed\' events say why, if it failed');
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 5000);
    }
  }

  /**
   * Before a first rotation starts, the keys the user has already must let it
   * succeed under the registration's foreign key policy (the rule its
   * createSecret applies to a secret that holds no key): otherwise the
   * resource fails now, naming the keys and the way out, with nothing changed,
   * rather than after a wait for a rotation that cannot succeed.
   */
  private async firstRotationCanSucceed(secretArn: string, userName: string, policy: ForeignKeyPolicy): Promise<void> {
    const keys = await this.ctx.gateway.listAccessKeys(userName);
    const plan = planCreate({ userName, keys, heldKeyIds: [], orphanKeyIds: [], policy });
    if (plan.kind === 'fail') throw new PublicError(`the first rotation of ${secretArn} (user ${userName}) cannot succeed: ${plan.reason}`);
  }

  /** The user has a free key slot, or an inactive key a rotation may delete to make one. */
  private async roomForKey(registration: Registration): Promise<boolean> {
    const keys = await this.ctx.gateway.listAccessKeys(userNameOf(registration.userArn));
    return keys.length < MAX_KEYS_PER_USER || keys.some((k) => k.status !== ACTIVE);
  }

  /**
   * The registration this one takes the place of, when it is the same user's:
   * an Update names the one its physical id was made from (its properties are
   * checked against that id's hash); a Create (a moved construct, whose
   * logical ids changed) finds it among the library's secrets holding a key of
   * the user, proven by a rotation resource of this stack made for it.
   */
  private async predecessor(
    event: CloudFormationCustomResourceEvent, registration: RotationEntry, secret: SecretDescription,
  ): Promise<string | undefined> {
    if (labelledKeys(secret.versions).size > 0) return undefined; // the secret holds keys already: nothing to take over
    if (event.RequestType === 'Update') {
      const old = event.OldResourceProperties as Props;
      const oldSecret = String(old[RotationProperties.SECRET] ?? '');
      const oldUser = String(old[RotationProperties.USER] ?? '');
      const had = parseRotationPhysicalId(event.PhysicalResourceId);
      if (!had || had.hash !== registrationHash(oldSecret, oldUser)) {
        throw new RefusedError(`the old properties of ${event.LogicalResourceId} are not those its physical id ${event.PhysicalResourceId} was made from`);
      }
      return sameUser(oldUser, registration.userArn) && oldSecret !== registration.secretArn ? oldSecret : undefined;
    }
    const userName = userNameOf(registration.userArn);
    const keys = await this.ctx.gateway.listAccessKeys(userName);
    if (keys.length === 0) return undefined;
    const candidates: string[] = [];
    for await (const listed of this.ctx.gateway.listSecrets(secretDescription(userName))) {
      const holds = keys.some((k) => listed.versions && Object.values(listed.versions).some((labels) => labels.includes(k.accessKeyId)));
      if (listed.arn !== registration.secretArn && holds) candidates.push(listed.arn);
    }
    if (candidates.length === 0) return undefined;
    const hashes = new Map(candidates.map((arn) => [registrationHash(arn, registration.userArn), arn]));
    for await (const resource of this.ctx.gateway.listStackResources(this.options.stackId)) {
      const id = resource.type === ROTATION_RESOURCE_TYPE ? parseRotationPhysicalId(resource.physicalId) : undefined;
      if (id && hashes.has(id.hash)) return hashes.get(id.hash);
    }
    return undefined;
  }

  /**
   * Hands a departing registration's keys to its successor for the same user:
   * the successor's secret gets the predecessor's current key as AWSCURRENT
   * and its previous key as AWSPREVIOUS (each version labelled with its key,
   * a revoke's label kept), and the state tags that date them. The user keeps
   * the key it uses, the successor serves it at once, and the old key goes on
   * with its timeline; the cleanup that removes the predecessor finds its keys
   * held by a registration of the same user, and deletes none of them.
   */
  private async handOver(from: string, to: RotationEntry, target: SecretDescription): Promise<boolean> {
    const { ctx } = this;
    const userName = userNameOf(to.userArn);
    const [source, keys] = await Promise.all([ctx.gateway.describeSecret(from), ctx.gateway.listAccessKeys(userName)]);
    const staged = stagedKeys(source.versions);
    const active = (id?: string) => keys.find((k) => k.accessKeyId === id && k.status === ACTIVE);
    if (!staged.current || !active(staged.current)) return false;
    const value = async (stage: string, id: string) => {
      const raw = await ctx.gateway.getSecretString(from, stage);
      const creds = readCredentials(ctx, raw, `the ${stage} version of ${from}`);
      return creds?.accessKeyId === id && sameName(creds.userName, userName) ? raw! : undefined;
    };
    const current = await value(Stage.CURRENT, staged.current);
    if (!current) return false;
    const previous = staged.previous && keys.some((k) => k.accessKeyId === staged.previous)
      ? await value(Stage.PREVIOUS, staged.previous) : undefined;
    const metadataVersion = versionWithLabel(target.versions, Stage.CURRENT);
    if (previous) await ctx.gateway.putPendingValue(to.secretArn, handOverToken(to.secretArn, staged.previous!), previous, [staged.previous!]);
    await ctx.gateway.putPendingValue(to.secretArn, handOverToken(to.secretArn, staged.current), current,
      [Stage.CURRENT, staged.current, ...(staged.revokedPredecessor ? [Stage.REVOKED_PREDECESSOR] : [])]);
    if (previous) {
      // Moving AWSCURRENT moved AWSPREVIOUS to the metadata-only version: it belongs to the previous key's.
      const now = await ctx.gateway.describeSecret(to.secretArn);
      const holder = versionWithLabel(now.versions, Stage.PREVIOUS) ?? metadataVersion;
      await ctx.gateway.moveLabel(to.secretArn, Stage.PREVIOUS, handOverToken(to.secretArn, staged.previous!), holder);
    }
    const carried = [Tags.CURRENT_KEY, Tags.PREVIOUS_KEY, Tags.PROGRESS, Tags.HOLD].filter((t) => source.tags[t] !== undefined);
    if (carried.length > 0) await ctx.gateway.tag(to.secretArn, Object.fromEntries(carried.map((t) => [t, source.tags[t]])));
    ctx.audit.record(EventType.HANDED_OVER, {
      secretArn: to.secretArn,
      userName,
      // Who to tell is in the registry only (a hand-over is rare: a moved construct).
      owner: (await ctx.registry.load()).find(to.secretArn)?.owner,
      accessKeyId: staged.current,
      previousAccessKeyId: previous ? staged.previous : undefined,
      fromSecretArn: from,
      reason: `the registration of ${userName} moved from ${from}: its current key${previous ? ' and its previous key' : ''} now served by ${to.secretArn}`,
    });
    await ctx.audit.flush();
    return true;
  }

  /**
   * A rollback's Update puts back the properties CloudFormation had. For the
   * same registration, its previous schedule. For a replacement (another
   * secret or user), the registration the physical id was made from before
   * this operation, proven by the stack's events: nothing of it was changed
   * by the update but, when the user changed on the same secret, which key
   * is current; that is put back to a key of the user the stack names again.
   */
  private async rollbackUpdate(event: CloudFormationCustomResourceEvent, props: Props, functionArn: string): Promise<string> {
    const secretArn = String(props[RotationProperties.SECRET] ?? '');
    const userArn = String(props[RotationProperties.USER] ?? '');
    const physicalId = (event as { PhysicalResourceId?: string }).PhysicalResourceId;
    const had = parseRotationPhysicalId(physicalId);
    if (event.RequestType !== 'Update' || !had) {
      throw new RefusedError(`a rollback ${event.RequestType} of ${event.LogicalResourceId} names no physical id this function made`);
    }
    if (had.hash === registrationHash(secretArn, userArn)) {
      await this.configure(secretArn, functionArn, rulesOf(props), false, modeOf(props));
      // A flip of the removal policy undone: back to the physical id of the policy put back, which the stack's events show.
      const removal = props[RotationProperties.REMOVAL] === Removal.DESTROY ? Removal.DESTROY : Removal.RETAIN;
      if (had.removal === removal) return physicalId!;
      const before = await this.physicalIdBefore(event.LogicalResourceId, had.hash, removal);
      return before ?? rotationPhysicalId(secretArn, userArn, removal, had.freshSecret);
    }
    const before = await this.physicalIdBefore(event.LogicalResourceId, registrationHash(secretArn, userArn));
    if (!before) {
      throw new RefusedError(`a rollback Update of ${event.LogicalResourceId} names another secret or user than its physical id, `
        + 'and the stack\'s events show no earlier resource for them');
    }
    const forward = event.OldResourceProperties as Props;
    if (String(forward[RotationProperties.SECRET] ?? '') === secretArn) {
      await this.restoreCurrentKeyOf(secretArn, userArn);
      await this.configure(secretArn, functionArn, rulesOf(props), false, modeOf(props));
    }
    return before;
  }

  /** The physical id the resource had before this operation, for a registration (and removal policy): from the stack's events of the operation. */
  private async physicalIdBefore(logicalId: string, hash: string, removal?: Removal): Promise<string | undefined> {
    let read = 0;
    let operations = 0;
    for await (const e of this.ctx.gateway.stackEvents(this.options.stackId)) {
      const id = e.logicalId === logicalId && e.resourceType === ROTATION_RESOURCE_TYPE ? parseRotationPhysicalId(e.physicalId) : undefined;
      if (id?.hash === hash && (removal === undefined || id.removal === removal)) return e.physicalId;
      // The rollback's own start, then the start of the operation it undoes: nothing older belongs to either.
      if (e.resourceType === 'AWS::CloudFormation::Stack' && /_IN_PROGRESS$/.test(e.status) && ++operations >= 2 && /^(CREATE|UPDATE)_IN_PROGRESS$/.test(e.status)) return undefined;
      if (++read >= (this.options.maxStackEvents ?? 200)) return undefined;
    }
    return undefined;
  }

  /**
   * The secret's AWSCURRENT back on a key of the user (an update had given it another user's): the key the undone
   * rotation superseded (AWSPREVIOUS's, when it is an active key of the user), else the newest active key of the
   * user the secret holds; and AWSPREVIOUS back on the user's other key the secret holds, so that the lifecycle
   * retires it (left on the other user's version, no lifecycle run would, and every later rotation would fail on it).
   */
  private async restoreCurrentKeyOf(secretArn: string, userArn: string): Promise<void> {
    const { ctx } = this;
    const [secret, keys] = await Promise.all([ctx.gateway.describeSecret(secretArn), ctx.gateway.listAccessKeys(userNameOf(userArn))]);
    const staged = stagedKeys(secret.versions);
    const held = labelledKeys(secret.versions);
    const mine = (id?: string) => keys.some((k) => k.accessKeyId === id);
    const active = keys.filter((k) => k.status === ACTIVE && held.has(k.accessKeyId))
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    const back = mine(staged.current) ? undefined : active.find((k) => k.accessKeyId === staged.previous) ?? active[0];
    if (back) {
      await ctx.gateway.moveLabel(secretArn, Stage.CURRENT, held.get(back.accessKeyId)!, versionWithLabel(secret.versions, Stage.CURRENT));
      ctx.logger.info('rollback: AWSCURRENT put back on a key of the user the stack names again', { secretId: secretArn, accessKeyId: back.accessKeyId });
    }
    const current = back?.accessKeyId ?? staged.current;
    if (!mine(current)) return;
    const now = back ? await ctx.gateway.describeSecret(secretArn) : secret;
    const previousVersion = versionWithLabel(now.versions, Stage.PREVIOUS);
    if (mine(keyOfVersion(now.versions, previousVersion))) return;
    const other = keys.filter((k) => k.accessKeyId !== current && held.has(k.accessKeyId))
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
    if (!other) return;
    await ctx.gateway.moveLabel(secretArn, Stage.PREVIOUS, held.get(other.accessKeyId)!, previousVersion);
    ctx.logger.info('rollback: AWSPREVIOUS put back on the user\'s previous key', { secretId: secretArn, accessKeyId: other.accessKeyId });
  }

  /**
   * The tags that hold the function's state, written empty where missing: once they exist, the function only
   * overwrites them, which counts against no tag quota, so a secret filled with others' tags cannot stop a rotation.
   */
  private async stateTags(secret: SecretDescription): Promise<void> {
    const missing = STATE_TAG_KEYS.filter((k) => secret.tags[k] === undefined);
    if (missing.length > 0) await this.ctx.gateway.tag(secret.arn, Object.fromEntries(missing.map((k) => [k, ''])));
  }

  /** RotateSecret with this function; retried while IAM propagates permissions the same deployment just granted. */
  private async configure(
    secretArn: string, functionArn: string, rules: RotationRules, rotateNow: boolean, mode = RotationMode.ENFORCE,
  ): Promise<void> {
    if (mode === RotationMode.OBSERVE) {
      // Observing: Secrets Manager's rotation stays off (a rotation would create a key), whatever it was before.
      await this.ctx.gateway.cancelRotation(secretArn);
      return;
    }
    const attempts = this.options.configureAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.gateway.configureRotation(secretArn, unqualifiedFunctionArn(functionArn), rules, rotateNow);
        return;
      } catch (e) {
        if (attempt >= attempts || !(e instanceof PermissionDenied)) throw e;
        this.ctx.logger.warn('RotateSecret denied; IAM may not have propagated this deployment\'s permissions yet', { secretId: secretArn, attempt });
        await new Promise((r) => setTimeout(r, (this.options.configureDelayMs ?? 2000) * attempt));
      }
    }
  }

  /**
   * A verified Delete: turn rotation off (unless the secret stays registered,
   * for another user), and delete the registration's keys when it really
   * leaves with DESTROY — never one a registration of the same user in the
   * registry in force holds (the secret it handed over to, say).
   */
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
    });
    const detail = { secretArn, userName: userNameOf(userArn) };
    ctx.logger.info('registration removal', { ...detail, plan });
    if (plan.kind === 'refuse') throw new RefusedError(plan.reason);
    if (plan.kind === 'nothing') return physicalId;
    const registry = await ctx.registry.load();
    if (stack.status === 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS' && !registry.find(secretArn)) {
      // The undone update added it: released when the rollback put the departures back, while the role still named it.
      ctx.logger.info('registration removal: released when the rollback put the departures back', detail);
      return physicalId;
    }
    // A secret that stays registered (for another user, after a change of user) keeps its rotation; with the stack, every one goes.
    const staysRegistered = stack.status !== 'DELETE_IN_PROGRESS' && registry.find(secretArn) !== undefined;
    if (!staysRegistered) await this.cancelRotation(secretArn, plan.onlyCreatedByOperation);
    const startedAt = plan.onlyCreatedByOperation ? stack.updatedAt ?? stack.createdAt : undefined;
    const registered = registry.registrations.map((r): [string, string] => [r.secretArn, r.userArn]);
    if (plan.deleteKeys) await this.deleteKeys(secretArn, userArn, registered, plan.reason, startedAt);
    else await this.reportRetained(secretArn, userArn, registered, plan.reason, startedAt, registry.find(secretArn)?.owner);
    await ctx.audit.flush();
    return physicalId;
  }

  /**
   * A RETAIN registration leaves: the keys DESTROY would have deleted stay on
   * the user, and nothing rotates, deactivates or deletes them any more. One
   * event names them, Active and Inactive. It is a report: a read that fails
   * is logged, never in the way of CloudFormation's deletion.
   */
  private async reportRetained(
    secretArn: string, userArn: string, registered: [string, string][], why: string, operationStartedAt?: Date, owner?: string,
  ): Promise<void> {
    const { ctx } = this;
    const userName = userNameOf(userArn);
    try {
      const leaving = await this.departingKeys(secretArn, userArn, registered, operationStartedAt);
      if (!leaving) return;
      const ids = (status: (s: string) => boolean) => leaving.release.filter((k) => status(k.status)).map((k) => k.accessKeyId).sort();
      const active = ids((s) => s === ACTIVE);
      const inactive = ids((s) => s !== ACTIVE);
      if (active.length === 0 && inactive.length === 0) return;
      const kept = [
        ...active.length > 0 ? [`${active.join(', ')} Active`] : [],
        ...inactive.length > 0 ? [`${inactive.join(', ')} Inactive`] : [],
      ].join(' and ');
      ctx.audit.record(EventType.RETAINED, {
        secretArn,
        userName,
        owner,
        accessKeyIds: active,
        inactiveAccessKeyIds: inactive,
        reason: `registration removed (${why}): ${userName} keeps ${kept}, no longer rotated, deactivated or deleted; `
          + 'retire them by hand (docs/OPERATIONS.md, Removing a user)',
      });
    } catch (e) {
      ctx.logger.error('the keys a RETAIN registration leaves could not be listed', { secretId: secretArn, userName, reason: describeError(e, ctx.redactor) });
    }
  }

  /**
   * Rotation off for a secret that leaves. In a rollback the role may no
   * longer name a secret the undone operation added (CloudFormation puts the
   * registrations' policy back first): that secret is deleted with the stack's
   * rollback anyway, so a denial is logged, not fatal.
   */
  private async cancelRotation(secretArn: string, rollback: boolean): Promise<void> {
    try {
      await this.ctx.gateway.cancelRotation(secretArn);
    } catch (e) {
      if (!(rollback && e instanceof PermissionDenied)) throw e;
      this.ctx.logger.warn('rotation of a secret the undone operation added was not turned off: the role no longer names it', { secretId: secretArn });
    }
  }

  /**
   * Deletes the keys the secret's versions hold and proven orphans (in a
   * rollback, those the undone operation created), except keys a
   * registration of the same user holds; keys made by hand stay, named in the log.
   */
  private async deleteKeys(
    secretArn: string, userArn: string, registered: [string, string][] | undefined, why: string, operationStartedAt?: Date,
  ): Promise<void> {
    const { ctx } = this;
    const userName = userNameOf(userArn);
    const leaving = await this.departingKeys(secretArn, userArn, registered, operationStartedAt);
    if (!leaving) return; // no secret, so no key it holds
    const { release, foreign } = leaving;
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

  /**
   * A departing registration's keys: those its removal releases (the keys the
   * secret's versions hold and proven orphans; in a rollback, those the undone
   * operation created), never a key a registration of the same user that stays
   * holds; and the user's keys this library did not create. Undefined when the
   * secret is gone.
   */
  private async departingKeys(
    secretArn: string, userArn: string, registered: [string, string][] | undefined, operationStartedAt?: Date,
  ): Promise<{ release: AccessKey[]; foreign: AccessKey[] } | undefined> {
    const { ctx } = this;
    let secret: SecretDescription | undefined;
    try {
      secret = await ctx.gateway.describeSecret(secretArn);
    } catch (e) {
      if (e instanceof NotFound) return undefined;
      // A secret the undone operation added, which the role no longer names: IAM's dates tell that operation's keys.
      if (!(operationStartedAt && e instanceof PermissionDenied)) throw e;
    }
    const held = secret ? [...labelledKeys(secret.versions).keys()] : [];
    const keys = await ctx.gateway.listAccessKeys(userNameOf(userArn));
    const orphans = secret ? await this.orphans(secret, keys, held) : [];
    // Keys a registration of the same user that stays holds, and keys this secret holds only because they were handed over to it.
    const served = [...registered ? await this.servedKeys(userArn, secretArn, registered) : [], ...secret ? handedOver(secret) : []];
    return keysToRelease({ keys, heldKeyIds: held, orphanKeyIds: orphans, servedKeyIds: served, operationStartedAt });
  }

  /** A key an interrupted attempt of the secret's rotation created and never stored, proven so. */
  private async orphans(secret: SecretDescription, keys: AccessKey[], held: string[]): Promise<string[]> {
    const marker = parseCreatingMarker(secret.tags);
    const marked = keys.find((k) => k.accessKeyId === marker);
    const pending = versionWithLabel(secret.versions, Stage.PENDING);
    if (!marked || held.includes(marked.accessKeyId) || !pending) return [];
    const [lastUse, all] = await Promise.all([this.ctx.gateway.lastUse(marked.accessKeyId), this.ctx.gateway.listVersions(secret.arn)]);
    const attemptStartedAt = all.find((v) => v.versionId === pending)?.createdAt;
    return provenOrphan({ markerId: marker, key: marked, heldKeyIds: held, lastUse, attemptStartedAt }) ? [marked.accessKeyId] : [];
  }

  /** Keys held by the other registrations (`[secret ARN, user ARN]`) of the same user that stay (not the departing secret's own). */
  private async servedKeys(userArn: string, departingSecret: string, registered: [string, string][]): Promise<string[]> {
    const successors = registered.filter(([secret, user]) => secret !== departingSecret && sameUser(user, userArn));
    const held = await Promise.all(successors.map(async ([secret]) =>
      [...labelledKeys((await this.ctx.gateway.describeSecret(secret)).versions).keys()]));
    return held.flat();
  }

  // ---- Custom::AccessKeyDepartures ---------------------------------------------------

  private async departures(event: CloudFormationCustomResourceEvent): Promise<Record<string, string>> {
    // One string, a line per registration (a list, as written before, is read too: the old properties of an upgrade).
    const list = (props: unknown) => {
      const v = (props as Props | undefined)?.[DeparturesProperties.REGISTRATIONS];
      return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(DEPARTURES_SEPARATOR).filter((r) => r !== '') : [];
    };
    const before = event.RequestType === 'Update' ? list(event.OldResourceProperties) : [];
    const after = list(event.ResourceProperties);
    const gone = event.RequestType === 'Update' ? departing(before, after) : { secretArns: [], userArns: [] };
    if (event.RequestType === 'Update' && gone.secretArns.length > 0) {
      const stack = await this.ctx.gateway.stack(this.options.stackId);
      if (stack.status === 'UPDATE_ROLLBACK_IN_PROGRESS') await this.releaseUndone(before, after, stack.updatedAt ?? stack.createdAt);
    }
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

  /**
   * A rollback puts the departures back after the resources that depend on
   * them and before the registrations' policies: the registrations the undone
   * update added (in its list, not in the one restored) are released now,
   * while the role still names them — CloudFormation deletes their resources
   * only after it has put the policies back. Only a registration of the
   * registry in force whose rotation resource the undone operation created
   * (its stack events say so) is released, and only the keys that operation
   * created; a failure is logged, never in the way of the rollback.
   */
  private async releaseUndone(undone: string[], restored: string[], operationStartedAt: Date): Promise<void> {
    const { ctx } = this;
    const kept = new Set(restored);
    const leaving = undone.filter((r) => !kept.has(r)).map((r) => r.split(DEPARTURE_FIELD_SEPARATOR) as [string, string]);
    const registry = await ctx.registry.load();
    const keptSecrets = new Set(restored.map((r) => r.split(DEPARTURE_FIELD_SEPARATOR)[0]));
    const created = await this.createdByOperation(new Set(leaving.map(([s, u]) => registrationHash(s, u))));
    for (const [secretArn, userArn] of leaving) {
      const registration = registry.find(secretArn);
      if (!registration || registration.userArn !== userArn || !created.has(registrationHash(secretArn, userArn))) continue;
      try {
        if (!keptSecrets.has(secretArn)) await ctx.gateway.cancelRotation(secretArn);
        // The secret stays, for the user the rollback puts back: its current key goes back to that user's before any key of this one goes.
        const restoredUser = restored.map((r) => r.split(DEPARTURE_FIELD_SEPARATOR)).find(([s]) => s === secretArn)?.[1];
        if (restoredUser) await this.restoreCurrentKeyOf(secretArn, restoredUser);
        if (registration.removal === Removal.DESTROY) {
          // Only what the undone operation created goes: a key handed over from the registration the rollback restores stays.
          await this.deleteKeys(secretArn, userArn, undefined, 'rollback of the update that added it', operationStartedAt);
        }
      } catch (e) {
        ctx.logger.error('a registration the undone update added could not be released', { secretId: secretArn, reason: describeError(e, ctx.redactor) });
      }
    }
    await ctx.audit.flush();
  }

  /**
   * Of these registrations, those whose rotation resource the operation being
   * rolled back created, or put in place of another (an Update answered with a
   * new physical id): never one updated in place, which existed before it.
   */
  private async createdByOperation(hashes: Set<string>): Promise<Set<string>> {
    const created = new Set<string>();
    const updatedTo = new Map<string, string>(); // hash → logical id whose update completed with it
    const updatedFrom = new Map<string, Set<string>>(); // logical id → physical ids its updates started from
    let operations = 0;
    let read = 0;
    for await (const e of this.ctx.gateway.stackEvents(this.options.stackId)) {
      const id = e.resourceType === ROTATION_RESOURCE_TYPE ? parseRotationPhysicalId(e.physicalId) : undefined;
      if (id && e.status === 'CREATE_COMPLETE' && hashes.has(id.hash)) created.add(id.hash);
      if (id && e.status === 'UPDATE_COMPLETE' && hashes.has(id.hash)) updatedTo.set(id.hash, e.logicalId);
      if (id && e.status === 'UPDATE_IN_PROGRESS') updatedFrom.set(e.logicalId, new Set([...updatedFrom.get(e.logicalId) ?? [], id.hash]));
      // The rollback's own start, then the start of the operation it undoes: nothing older belongs to either.
      if (e.resourceType === 'AWS::CloudFormation::Stack' && /_IN_PROGRESS$/.test(e.status) && ++operations >= 2 && /^(CREATE|UPDATE)_IN_PROGRESS$/.test(e.status)) break;
      if (++read >= (this.options.maxStackEvents ?? 200)) break;
    }
    // An update that started from another registration's physical id was a replacement: this registration is new.
    for (const [hash, logicalId] of updatedTo) {
      const from = updatedFrom.get(logicalId);
      if (from && [...from].some((h) => h !== hash)) created.add(hash);
    }
    return created;
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

/** `OBSERVE` when the properties (or a registration) say the registration only reports; `ENFORCE` otherwise. */
function modeOf(source: Props | RotationEntry | undefined): RotationMode {
  const s = (source ?? {}) as Record<string, unknown>;
  return (s.mode ?? s[RotationProperties.MODE]) === RotationMode.OBSERVE ? RotationMode.OBSERVE : RotationMode.ENFORCE;
}

/** IAM user ARNs that name the same user: the same account and name (IAM compares names whatever their case; a name is unique whatever the path). */
function sameUser(a: string, b: string): boolean {
  return accountOf(a) === accountOf(b) && sameName(userNameOf(a), userNameOf(b));
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Keys a secret holds in versions a hand-over made: its predecessor's keys, never the successor's to release. */
function handedOver(secret: SecretDescription): string[] {
  return [...labelledKeys(secret.versions)].filter(([key, version]) => version === handOverToken(secret.arn, key)).map(([key]) => key);
}

/** The version id a handed-over key is stored under in its new secret: the same on a retry, so the copy is idempotent. */
function handOverToken(secretArn: string, accessKeyId: string): string {
  const h = createHash('sha256').update(`hand-over\n${secretArn}\n${accessKeyId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

