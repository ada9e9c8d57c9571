/**
 * Plays CloudFormation deployments of a synthesized stack against moto, the
 * CloudFormation stand-in and the shipped bundle, phase by phase, while the
 * call recorder (./authorization.ts) judges every call the function makes
 * against its role as deployed at that moment.
 *
 * THE MODEL OF CLOUDFORMATION THIS PLAYER ENCODES
 *
 * Order. A resource waits for every resource it names: `DependsOn`, and each
 * `Ref`, `Fn::GetAtt` and `Fn::Sub` in its Properties or its Metadata
 * (CloudFormation must resolve those before it can write them). "If the
 * properties of resource A use a !Ref to resource B: resource B is created
 * before resource A; resource A is deleted before resource B; resource B is
 * updated before resource A" (DependsOn attribute, AWS CloudFormation User
 * Guide, aws-attribute-dependson). CloudFormation works in parallel where
 * nothing orders two resources; the player works serially, in one of the
 * orders CloudFormation may choose: dependencies first, ties in template order.
 *
 * Create (CREATE_IN_PROGRESS): every resource in that order. A failure rolls
 * the creation back (ROLLBACK_IN_PROGRESS): what was created is deleted, in
 * reverse order.
 *
 * Update (UPDATE_IN_PROGRESS), in the new template's order:
 * - a resource the old template lacks is created;
 * - a resource whose properties or Metadata, resolved against the physical ids
 *   and attributes of that moment, differ from what CloudFormation last
 *   applied is updated. Resolution is what makes "resources that depend on
 *   updated resources are updated automatically" (same page): the Guards
 *   policy's text never changes, but the departures resource's attributes it
 *   names do. A custom resource gets an `Update` with `OldResourceProperties`
 *   (custom resource request types, "Update": "sent when there's any change to
 *   the properties of the custom resource"); if it answers another
 *   PhysicalResourceId, "CloudFormation recognizes the update as a replacement
 *   and sends a delete request to the old resource" (AWS::CloudFormation::
 *   CustomResource, "Replacing a custom resource during an update");
 * - a change of a property whose "Update requires: Replacement" (a secret's
 *   `Name`, a user's `UserName`, a managed policy's `ManagedPolicyName`, `Path`
 *   or `Description`, a function's `FunctionName`, a custom resource's
 *   `ServiceToken`, in each type's reference page) creates the resource anew:
 *   "CloudFormation usually creates the replacement resource first, changes
 *   references from other dependent resources to point to the replacement
 *   resource, and then deletes the old resource" (Update behaviors of stack
 *   resources). Until then both exist (a replaced managed policy stays attached).
 * Then UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, "ongoing removal of old resources
 * ... after a successful stack update" (stack status codes): the old physical
 * ids of replaced resources (kept instead with `UpdateReplacePolicy: Retain`)
 * and the resources the new template removed (kept with `DeletionPolicy:
 * Retain`) are deleted, in reverse order of the old template. A deletion that
 * fails there is logged DELETE_FAILED and leaves the resource behind; the
 * stack still becomes UPDATE_COMPLETE.
 *
 * Rollback. "If a resource update fails, AWS CloudFormation rolls back any
 * resources that it has updated during the upgrade to their configurations
 * before the update" (Monitoring the progress of a stack update). In
 * UPDATE_ROLLBACK_IN_PROGRESS the resources the failed update changed are put
 * back, in the reverse of the order they were changed, the one whose own
 * update failed included: one updated in place gets its previous properties
 * again (a custom resource an `Update` "with ResourceProperties and
 * OldResourceProperties reversed", aws-cdk-lib's custom-resources README,
 * "Handling Lifecycle Events"); one replaced goes back to its old physical id,
 * which still exists. What comes back is the configuration as it was, not a
 * new resolution: the Guards policy gets back the departures it named before
 * the update, whatever the departures resource answers its own rollback
 * `Update`. Then
 * UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, "ongoing removal of new
 * resources ... after a failed stack update. In this state, the stack has been
 * rolled back to its previous working state" (stack status codes): what the
 * failed update created (new resources, and the new physical ids of
 * replacements) is deleted, in reverse order of the new template. A created
 * resource with `DeletionPolicy: Retain` is kept: UpdateStack's
 * `RetainExceptOnCreate` "When set to true, newly created resources are deleted
 * when the operation rolls back. This includes newly created resources marked
 * with a deletion policy of Retain. Default: false" (CloudFormation API
 * Reference, UpdateStack, as the SDKs' UpdateStackRequest documents it).
 *
 * Delete (DELETE_IN_PROGRESS): every resource in reverse order, those with
 * `DeletionPolicy: Retain` kept.
 *
 * Not documented, assumed here: the rollback puts changed resources back in
 * the reverse of the order they were changed; after a custom resource answered
 * a new physical id (a replacement), a rollback returns to the old id without
 * a request to either (as for any replaced resource) and deletes the new id in
 * the rollback's cleanup; the new physical id of any replacement counts as
 * created by the update (its `DeletionPolicy` applies in that cleanup); a
 * resource whose only change is its Metadata keeps its configuration (a Lambda
 * function's warm environments stay, with the registry they read:
 * `recycleEnvironments` retires them, as Lambda may at any time).
 *
 * Events and statuses. While a provider is called, its resource is
 * `*_IN_PROGRESS` in DescribeStackResource and the stack's events log it; the
 * stack's own event opens each phase (Monitoring the progress of a stack
 * update). Metadata is returned resolved by DescribeStackResource (Metadata
 * attribute: intrinsic functions "add those interpreted values"), that of a
 * resource being created included (cfn-init, "Bootstrapping applications",
 * reads its instance's Metadata while the instance is CREATE_IN_PROGRESS);
 * while a resource is updated, its Metadata of before (not documented).
 *
 * WHAT IS MATERIALIZED
 * IAM users and roles, secrets and the function exist in moto (SDK calls on
 * its own endpoint, never through the recorder). Policies are state: the role
 * as deployed. The function's Metadata is the stand-in's registry; a change of
 * its resolved Properties is a new configuration, so the bundle is loaded anew
 * (a cold start) with the resolved environment. Custom resources are events to
 * the bundle, answered through `captureAnswers`; the departures resource's
 * `Data` are its attributes. Every other resource is recorded only. Deleting
 * a user that still has access keys fails with DeleteConflict, as IAM fails it
 * (moto deletes it).
 * While each custom resource call runs, Secrets Manager is played, as it
 * works in AWS (asynchronously, in other invocations of the function, so a
 * Create can wait for its first rotation): each `RotateSecret` with
 * `RotateImmediately` the function made, once answered, gets the four
 * rotation steps, invoked on the bundle (moto invokes no function). A
 * `RotateSecret` without it starts no rotation in AWS, but moto leaves an
 * AWSPENDING version behind: the player removes that label.
 */
import { createHash } from 'crypto';
import {
  CreateRoleCommand, CreateUserCommand, DeleteRoleCommand, DeleteUserCommand, GetUserCommand, IAMClient, ListAccessKeysCommand, UpdateUserCommand,
} from '@aws-sdk/client-iam';
import { CreateFunctionCommand, DeleteFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient,
  UpdateSecretCommand, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { CallRecorder, Decision, DeployedRole, describeDecisions, MotoDirectory } from './authorization';
import { captureAnswers, Handler, loadBundle } from './bundle';
import { Answer, ServedCall, STACK_NAME, StandInResource } from './cloudformation';
import { IntrinsicResolver, Json, JsonObject, TEST_ENV } from './intrinsics';
import { MotoServer } from './moto';
import { EMPTY_ZIP } from './world';
import { Env, parseRegistry, Registration, REGISTRY_METADATA_KEY, Stage } from '../../src/rotation/contract';

/** A resource as a synthesized template declares it. */
export interface ResourceDefinition {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly Metadata?: JsonObject;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface StackTemplate {
  readonly Resources: Record<string, ResourceDefinition>;
}

/** The template of the stack `Stack` (the stand-in's) as `build` makes it, synthesized in process. */
export function synthesize(build: (stack: Stack) => void): StackTemplate {
  const app = new App();
  const stack = new Stack(app, STACK_NAME, { env: { account: TEST_ENV.account, region: TEST_ENV.region } });
  build(stack);
  return app.synth().getStackByName(STACK_NAME).template as StackTemplate;
}

/** One physical resource as CloudFormation holds it. */
interface Deployed {
  readonly logicalId: string;
  readonly definition: ResourceDefinition;
  readonly physicalId: string;
  /** The values of `Ref` and `Fn::GetAtt`. */
  readonly ref: Json;
  readonly attributes: Record<string, Json>;
  /** Properties and Metadata as last applied, resolved. */
  readonly properties: JsonObject;
  readonly metadata?: JsonObject;
}

/** A Secrets Manager rotation the player ran on the bundle. */
export interface PlayedRotation {
  readonly secretArn: string;
  readonly token: string;
  /** The step that failed, and why; undefined when all four succeeded. */
  readonly failed?: { readonly step: string; readonly error: string };
}

/** One invocation of the function: what it served, and the CloudFormation calls it made (with the bytes of each answer). */
export interface Invocation {
  /** `Create Custom::AccessKeyRotation`, `Delete Custom::AccessKeyDepartures`, `createSecret`... */
  readonly request: string;
  /** The custom resource's logical id, or the rotated secret's ARN. */
  readonly target: string;
  readonly cloudFormation: ServedCall[];
  /**
   * When it started and when it ended, as places in one sequence of the player's invocations' starts and ends
   * (invocations overlap: a Create waits while Secrets Manager's steps run). The list is in the order they ended.
   */
  readonly started: number;
  readonly ended: number;
}

/** What happened while the stack was in one status. */
export interface Phase {
  readonly status: string;
  readonly decisions: Decision[];
  readonly answers: Answer[];
  readonly rotations: PlayedRotation[];
  readonly invocations: Invocation[];
  /** Resources CloudFormation could not create, update or delete (and why). */
  readonly failures: string[];
}

export interface Operation {
  readonly phases: Phase[];
  /** The stack's status at the end. */
  readonly status: string;
}

export interface PlayerOptions {
  /** `enforce` answers a denied call with AccessDenied as AWS does (the default); `observe` lets it through and records it. */
  readonly mode?: 'enforce' | 'observe';
  /**
   * `configuration` (the default): one execution environment per configuration of the function, as a serial
   * deployment gets. `invocation`: a new one for every invocation, as CloudFormation's parallel creates and
   * Secrets Manager's rotations of many registrations at once can get (Lambda scales out): every invocation
   * pays what a cold start reads.
   */
  readonly coldStarts?: 'configuration' | 'invocation';
  /** Where the function's calls to every service but CloudFormation go after the recorder (moto itself by default; a proxy in front of it). */
  readonly upstream?: string;
}

export interface UpdateOptions {
  /** A resource the update creates or changes whose operation fails, rolling the update back. */
  readonly failAt?: string;
}

/** The access key id the function signs with, told apart at the wire from every other caller's. */
const FUNCTION_ACCESS_KEY_ID = 'function-role';
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const DEFAULT_FUNCTION_TIMEOUT_MS = 300_000;
/** Properties whose change CloudFormation carries out as a replacement, by resource type (each type's reference page). */
const REPLACED_BY: Record<string, string[]> = {
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::IAM::User': ['UserName'],
  'AWS::IAM::Role': ['RoleName', 'Path'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName', 'Path', 'Description'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
};

class ResourceFailure extends Error {}

/** AWS managed policies a stack's roles may name, by path and name: their documents as AWS publishes them. */
const AWS_MANAGED_POLICIES: Record<string, object> = {
  '/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

export class DeploymentPlayer {
  /** Starts the recorder in front of moto and the stand-in and points the function's environment at it. */
  static async start(moto: MotoServer, options: PlayerOptions = {}): Promise<DeploymentPlayer> {
    const directory = new MotoDirectory(moto.endpoint, TEST_ENV);
    let player: DeploymentPlayer | undefined;
    const recorder = await CallRecorder.start({
      aws: options.upstream ?? moto.endpoint,
      cloudFormation: moto.cloudFormation.endpoint,
      accessKeyId: FUNCTION_ACCESS_KEY_ID,
      directory,
      role: () => player!.role(),
      mode: options.mode,
    });
    player = new DeploymentPlayer(moto, recorder, options.coldStarts ?? 'configuration');
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: recorder.endpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: recorder.cloudFormationEndpoint,
      AWS_ACCESS_KEY_ID: FUNCTION_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'function-role-secret',
    });
    return player;
  }

  /** The stack as CloudFormation holds it: logical id → the physical resource. */
  readonly resources = new Map<string, Deployed>();
  /** Physical resources replaced during the current update, not yet deleted. */
  private readonly replaced: Deployed[] = [];
  private template: StackTemplate = { Resources: {} };
  private handler?: Handler;
  /** The deployed function's environment, for the cold starts of `coldStarts: 'invocation'`. */
  private environment: Record<string, string> = {};
  private functionArn = '';
  private answers: Answer[] = [];
  private phases: Phase[] = [];
  private generation = 0;
  /**
   * Each invocation's time limit, as Lambda gives it (the template's default timeout, 5 minutes); a test
   * may shorten it, to see a Create whose first rotation fails end when its wait does. `reset` restores it.
   */
  functionTimeoutMs = DEFAULT_FUNCTION_TIMEOUT_MS;
  /** Places in the order of invocations' starts and ends (`Invocation.started`, `ended`). */
  private sequence = 0;
  /**
   * Keep the daily check of current keys in the function's environment (it runs by `Date`'s hour: a test that
   * sets it fakes the date). Read at the function's next configuration; `reset` turns it off.
   */
  dailyKeyCheck = false;
  /** The invocations under way, each with where in CloudFormation's calls the first invocation started during it began. */
  private readonly running = new Set<{ nestedAt?: number }>();
  /** How many of the recorder's decisions are already in a phase. */
  private collected = 0;
  /** Fixture clients on moto's own endpoint (their calls are not the function's, and are not judged). */
  readonly iam: IAMClient;
  readonly secretsManager: SecretsManagerClient;
  private readonly lambda: LambdaClient;

  private constructor(private readonly moto: MotoServer, readonly recorder: CallRecorder, private readonly coldStarts: 'configuration' | 'invocation') {
    const config = { endpoint: moto.endpoint, region: TEST_ENV.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    this.iam = new IAMClient(config);
    this.secretsManager = new SecretsManagerClient(config);
    this.lambda = new LambdaClient(config);
  }

  /** Forgets every stack, resource and recorded call: moto is reset, and CloudFormation's answers are captured anew. */
  async reset(): Promise<void> {
    await this.moto.reset();
    this.moto.cloudFormation.resources.clear();
    this.recorder.reset();
    this.resources.clear();
    this.replaced.length = 0;
    this.template = { Resources: {} };
    this.handler = undefined;
    this.functionArn = '';
    this.generation = 0;
    this.functionTimeoutMs = DEFAULT_FUNCTION_TIMEOUT_MS;
    this.dailyKeyCheck = false;
    this.collected = 0;
    this.answers = captureAnswers().answers;
  }

  async stop(): Promise<void> {
    await this.recorder.stop();
  }

  // ---- operations ------------------------------------------------------------------------

  /** Creates the stack. */
  async create(template: StackTemplate): Promise<Operation> {
    this.phases = [];
    this.template = template;
    const created: string[] = [];
    this.begin('CREATE_IN_PROGRESS');
    try {
      for (const id of order(template)) {
        created.push(id);
        this.resources.set(id, await this.createResource(id, template.Resources[id]));
      }
    } catch (e) {
      this.fail(e);
      this.begin('ROLLBACK_IN_PROGRESS');
      for (const id of created.reverse()) if (this.resources.has(id)) await this.deleteLogical(id, this.resources.get(id)!.definition.DeletionPolicy);
      return this.end('ROLLBACK_COMPLETE');
    }
    return this.end('CREATE_COMPLETE');
  }

  /** Updates the stack to `next`: create, update and replace in order, then the cleanup; or, when a resource fails, the rollback. */
  async update(next: StackTemplate, options: UpdateOptions = {}): Promise<Operation> {
    this.phases = [];
    const previous = this.template;
    if (options.failAt && !next.Resources[options.failAt]) throw new Error(`failAt names ${options.failAt}, which the new template does not have`);
    this.template = next;
    /** What this update did, in order: the physical resource before (none for a created one). */
    const changes: { logicalId: string; before?: Deployed }[] = [];
    this.begin('UPDATE_IN_PROGRESS');
    try {
      for (const id of order(next)) {
        const definition = next.Resources[id];
        const current = this.resources.get(id);
        if (!current || current.definition.Type !== definition.Type) {
          if (id === options.failAt) throw new ResourceFailure(`${id}: CREATE_FAILED (the failure this play asked for)`);
          if (current) this.replaced.push(current);
          changes.push({ logicalId: id, before: current });
          this.resources.set(id, await this.createResource(id, definition));
          continue;
        }
        const properties = this.resolveObject(definition.Properties);
        const metadata = definition.Metadata && this.resolveObject(definition.Metadata);
        if (same(properties, current.properties) && same(metadata, current.metadata)) {
          if (id === options.failAt) throw new Error(`failAt names ${id}, which this update does not change`);
          this.resources.set(id, { ...current, definition });
          continue;
        }
        if (id === options.failAt) throw new ResourceFailure(`${id}: UPDATE_FAILED (the failure this play asked for)`);
        changes.push({ logicalId: id, before: current });
        const replacedBy = (REPLACED_BY[definition.Type] ?? (definition.Type.startsWith('Custom::') ? ['ServiceToken'] : []))
          .filter((p) => !same(properties[p], current.properties[p]));
        if (replacedBy.length > 0) {
          this.replaced.push(current);
          this.resources.set(id, await this.createResource(id, definition));
        } else {
          const after = await this.updateResource(current, definition, properties, metadata);
          if (after.physicalId !== current.physicalId) this.replaced.push(current);
          this.resources.set(id, after);
        }
      }
    } catch (e) {
      this.fail(e);
      return this.rollBack(previous, next, changes);
    }
    this.begin('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const removed = Object.keys(previous.Resources).filter((id) => !next.Resources[id]);
    for (const id of order(previous).reverse()) {
      for (const old of this.replaced.filter((r) => r.logicalId === id)) await this.deletePhysical(old, old.definition.UpdateReplacePolicy);
      if (removed.includes(id) && this.resources.has(id)) await this.deleteLogical(id, this.resources.get(id)!.definition.DeletionPolicy);
    }
    this.replaced.length = 0;
    return this.end('UPDATE_COMPLETE');
  }

  /** Deletes the stack. */
  async delete(): Promise<Operation> {
    this.phases = [];
    this.begin('DELETE_IN_PROGRESS');
    for (const id of order(this.template).reverse()) {
      if (this.resources.has(id)) await this.deleteLogical(id, this.resources.get(id)!.definition.DeletionPolicy);
    }
    this.template = { Resources: {} };
    return this.end('DELETE_COMPLETE');
  }

  private async rollBack(previous: StackTemplate, next: StackTemplate, changes: { logicalId: string; before?: Deployed }[]): Promise<Operation> {
    this.begin('UPDATE_ROLLBACK_IN_PROGRESS');
    /** Physical resources the failed update created: deleted in the rollback's cleanup. */
    const created: Deployed[] = [];
    for (const { logicalId, before } of [...changes].reverse()) {
      const current = this.resources.get(logicalId);
      if (!before) {
        if (current) created.push(current);
        continue;
      }
      if (!current || current.physicalId !== before.physicalId || current.definition.Type !== before.definition.Type) {
        // Replaced: the old physical resource still exists; CloudFormation goes back to it.
        if (current) created.push(current);
        if (this.replaced.includes(before)) this.replaced.splice(this.replaced.indexOf(before), 1);
        this.putStandIn(before, 'UPDATE_COMPLETE');
        this.resources.set(logicalId, before);
        if (before.definition.Type === 'AWS::Lambda::Function') this.coldStart(before);
        continue;
      }
      try {
        this.resources.set(logicalId, await this.updateResource(current, before.definition, before.properties, before.metadata));
      } catch (e) {
        this.fail(e);
        return this.end('UPDATE_ROLLBACK_FAILED');
      }
    }
    // Failed creations of custom resources were answered with a physical id too: CloudFormation deletes them.
    for (const [id, resource] of this.resources) {
      if (!previous.Resources[id] && !created.some((c) => c.logicalId === id)) created.push(resource);
    }
    // Attributes such as DeletionPolicy go back with the template.
    for (const [id, resource] of this.resources) {
      const definition = previous.Resources[id];
      if (definition && resource.definition !== definition) this.resources.set(id, { ...resource, definition });
    }
    this.template = previous;
    this.begin('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    for (const id of order(next).reverse()) {
      for (const resource of created.filter((c) => c.logicalId === id)) {
        if (this.resources.get(id) === resource) await this.deleteLogical(id, resource.definition.DeletionPolicy);
        else await this.deletePhysical(resource, resource.definition.DeletionPolicy);
      }
    }
    return this.end('UPDATE_ROLLBACK_COMPLETE');
  }

  /**
   * Lambda retires execution environments when it likes: the next invocation
   * is a cold start of the same configuration (it reads the registry anew).
   */
  recycleEnvironments(): void {
    const fn = [...this.resources.values()].find((r) => r.definition.Type === 'AWS::Lambda::Function' && r.metadata?.[REGISTRY_METADATA_KEY]);
    if (!fn) throw new Error('the stack has no rotation function');
    this.coldStart(fn);
  }

  // ---- the stack as deployed ----------------------------------------------------------------

  /** The registry as the function's Metadata holds it now (resolved). */
  registrations(): Registration[] {
    const fn = [...this.resources.values()].find((r) => r.definition.Type === 'AWS::Lambda::Function' && r.metadata?.[REGISTRY_METADATA_KEY]);
    return fn ? parseRegistry(fn.metadata).registrations : [];
  }

  /** The physical resource of a logical id. */
  physical(logicalId: string): Deployed {
    const r = this.resources.get(logicalId);
    if (!r) throw new Error(`the stack has no resource ${logicalId}`);
    return r;
  }

  /** The rotation function's role (or another function's of the stack) as deployed now: every policy attached to it, resolved as last applied. */
  role(functionLogicalId?: string): DeployedRole {
    const fn = functionLogicalId === undefined
      ? [...this.resources.values()].find((r) => r.definition.Type === 'AWS::Lambda::Function' && r.metadata?.[REGISTRY_METADATA_KEY])
      : this.resources.get(functionLogicalId);
    if (!fn) throw new Error(`the stack has no ${functionLogicalId ?? 'rotation function'} yet, so no role to judge its calls by`);
    const role = [...this.resources.values()].find((r) => r.definition.Type === 'AWS::IAM::Role' && r.attributes.Arn === fn.properties.Role);
    if (!role) throw new Error(`the function's role ${JSON.stringify(fn.properties.Role)} is not a role of the stack`);
    const roleName = String(role.ref);
    const policies: SimulationIdentityPolicy[] = [];
    for (const inline of (role.properties.Policies ?? []) as JsonObject[]) {
      policies.push({ name: `${role.logicalId}/${String(inline.PolicyName)}`, policy: inline.PolicyDocument });
    }
    const managed = new Set((role.properties.ManagedPolicyArns ?? []) as string[]);
    // A replaced policy stays attached until the cleanup deletes it.
    for (const r of [...this.resources.values(), ...this.replaced]) {
      const { Type: type } = r.definition;
      const attached = ((r.properties.Roles ?? []) as string[]).includes(roleName);
      if (type === 'AWS::IAM::Policy' && attached) policies.push({ name: `${r.logicalId}`, policy: r.properties.PolicyDocument });
      if (type === 'AWS::IAM::ManagedPolicy' && (attached || managed.has(String(r.ref)))) {
        managed.delete(String(r.ref));
        policies.push({ name: `${r.logicalId}`, policy: r.properties.PolicyDocument });
      }
    }
    // AWS managed policies are not in the template: the one a Lambda function's default role has is known.
    for (const arn of managed) {
      const known = AWS_MANAGED_POLICIES[arn.replace(/^arn:[^:]+:iam::aws:policy/, '')];
      if (!known) continue;
      managed.delete(arn);
      policies.push({ name: arn, policy: known });
    }
    if (managed.size > 0) throw new Error(`the role has managed policies whose documents are not in the template: ${[...managed].join(', ')}`);
    const functionName = String(fn.ref);
    return { principal: `arn:${TEST_ENV.partition}:sts::${TEST_ENV.account}:assumed-role/${roleName}/${functionName}`, policies };
  }

  /**
   * Promise 1 at the end of a deployment, for each registration given (the
   * registry's by default): its secret's AWSCURRENT holds an Active key of its
   * user that authenticates as that user. Returns the problems found.
   */
  async currentKeysServe(registrations: Pick<Registration, 'secretArn' | 'userArn'>[] = this.registrations()): Promise<string[]> {
    const problems: string[] = [];
    for (const { secretArn, userArn } of registrations) {
      const userName = userArn.slice(userArn.lastIndexOf('/') + 1);
      const value = await this.secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: Stage.CURRENT }))
        .then((v) => JSON.parse(v.SecretString ?? '{}') as Record<string, string>, (e: Error) => ({ error: e.name }) as Record<string, string>);
      if (!value.accessKeyId) {
        problems.push(`${userName}: AWSCURRENT of ${secretArn} holds no key (${value.error ?? JSON.stringify(Object.keys(value))})`);
        continue;
      }
      const keys = (await this.iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
      const key = keys.find((k) => k.AccessKeyId === value.accessKeyId);
      if (key?.Status !== 'Active') {
        problems.push(`${userName}: the AWSCURRENT key ${value.accessKeyId} is ${key ? key.Status : 'not a key of the user'}`);
        continue;
      }
      const credentials = { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey };
      const sts = new STSClient({ endpoint: this.moto.endpoint, region: TEST_ENV.region, credentials });
      const caller = await sts.send(new GetCallerIdentityCommand({})).then((o) => o.Arn, (e: Error) => `error ${e.name}`);
      if (caller !== userArn) problems.push(`${userName}: the AWSCURRENT key authenticates as ${caller}, not ${userArn}`);
    }
    return problems;
  }

  // ---- phases ------------------------------------------------------------------------------

  private begin(status: string): void {
    if (this.phases.length > 0) this.collectDecisions();
    this.moto.cloudFormation.begin(status);
    this.recorder.phase = status;
    this.phases.push({ status, decisions: [], answers: [], rotations: [], invocations: [], failures: [] });
  }

  private get phase(): Phase {
    return this.phases[this.phases.length - 1];
  }

  /** The recorder's decisions since the last collection belong to the current phase. */
  private collectDecisions(): void {
    this.phase.decisions.push(...this.recorder.decisions.slice(this.collected));
    this.collected = this.recorder.decisions.length;
  }

  private fail(e: unknown): void {
    if (!(e instanceof ResourceFailure)) throw e;
    this.phase.failures.push(e.message);
  }

  private end(status: string): Operation {
    this.collectDecisions();
    this.moto.cloudFormation.begin(status);
    this.recorder.phase = `after ${status}`;
    if (this.recorder.errors.length > 0) throw new Error(`the call recorder failed:\n${this.recorder.errors.join('\n')}`);
    return { phases: this.phases, status };
  }

  // ---- resources -------------------------------------------------------------------------

  private resolver(): IntrinsicResolver {
    const physical: Record<string, Json> = {};
    for (const r of this.resources.values()) {
      physical[r.logicalId] = r.ref;
      for (const [attribute, value] of Object.entries(r.attributes)) physical[`${r.logicalId}.${attribute}`] = value;
    }
    // No template: a reference to anything not yet deployed fails loudly instead of being made up.
    return new IntrinsicResolver({}, TEST_ENV, physical);
  }

  private resolveObject(value: JsonObject | undefined): JsonObject {
    return (value === undefined ? {} : this.resolver().resolve(value)) as JsonObject;
  }

  /** A name as CloudFormation generates one: the stack's name, the logical id and a suffix. */
  private generatedName(logicalId: string, max: number): string {
    const suffix = createHash('sha256').update(`${logicalId}/${++this.generation}`).digest('hex').slice(0, 12).toUpperCase();
    return `${STACK_NAME}-${logicalId.slice(0, max - STACK_NAME.length - 14)}-${suffix}`;
  }

  private putStandIn(resource: Deployed, status: string): void {
    const standIn: StandInResource = {
      logicalId: resource.logicalId, type: resource.definition.Type, physicalId: resource.physicalId, status, metadata: resource.metadata,
    };
    this.moto.cloudFormation.put(standIn);
  }

  private log(logicalId: string, type: string, status: string, physicalId?: string): void {
    this.moto.cloudFormation.log({ logicalId, type, status, physicalId });
  }

  private async createResource(logicalId: string, definition: ResourceDefinition): Promise<Deployed> {
    const { Type: type } = definition;
    const properties = this.resolveObject(definition.Properties);
    const metadata = definition.Metadata && this.resolveObject(definition.Metadata);
    const replacing = this.resources.get(logicalId);
    // A resource's Metadata is readable while CloudFormation creates it (cfn-init reads its instance's while it is CREATE_IN_PROGRESS).
    if (!replacing) this.moto.cloudFormation.put({ logicalId, type, status: 'CREATE_IN_PROGRESS', metadata });
    else this.moto.cloudFormation.put({ logicalId, type, physicalId: replacing.physicalId, status: 'UPDATE_IN_PROGRESS', metadata: replacing.metadata });
    this.log(logicalId, type, replacing ? 'UPDATE_IN_PROGRESS' : 'CREATE_IN_PROGRESS', replacing?.physicalId);
    const made = await this.materialize(logicalId, definition, properties, metadata)
      .catch((e) => { throw failureOf(e, `${logicalId}: ${replacing ? 'UPDATE_FAILED' : 'CREATE_FAILED'}`); });
    this.putStandIn(made, replacing ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE');
    this.log(logicalId, type, replacing ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE', made.physicalId);
    return made;
  }

  /** The physical resource for a definition, made in moto (or recorded only). */
  private async materialize(logicalId: string, definition: ResourceDefinition, properties: JsonObject, metadata?: JsonObject): Promise<Deployed> {
    const base = { logicalId, definition, properties, metadata };
    const { partition, region, account } = TEST_ENV;
    const str = (v: Json | undefined) => (v === undefined ? undefined : String(v));
    switch (definition.Type) {
      case 'AWS::IAM::User': {
        const name = str(properties.UserName) ?? this.generatedName(logicalId, 64);
        const user = (await this.iam.send(new CreateUserCommand({ UserName: name, Path: str(properties.Path) }))).User!;
        return { ...base, physicalId: name, ref: name, attributes: { Arn: user.Arn! } };
      }
      case 'AWS::SecretsManager::Secret': {
        const name = str(properties.Name) ?? this.generatedName(logicalId, 64).slice(STACK_NAME.length + 1);
        const out = await this.secretsManager.send(new CreateSecretCommand({
          Name: name, Description: str(properties.Description), SecretString: str(properties.SecretString), KmsKeyId: str(properties.KmsKeyId),
        }));
        return { ...base, physicalId: out.ARN!, ref: out.ARN!, attributes: { Id: out.ARN! } };
      }
      case 'AWS::IAM::Role': {
        const name = str(properties.RoleName) ?? this.generatedName(logicalId, 64);
        const role = (await this.iam.send(new CreateRoleCommand({
          RoleName: name, Path: str(properties.Path), AssumeRolePolicyDocument: JSON.stringify(properties.AssumeRolePolicyDocument),
        }))).Role!;
        return { ...base, physicalId: name, ref: name, attributes: { Arn: role.Arn!, RoleId: role.RoleId! } };
      }
      case 'AWS::Lambda::Function': {
        const name = str(properties.FunctionName) ?? this.generatedName(logicalId, 64);
        // moto registers it (Secrets Manager's RotateSecret wants the function to exist); the bundle runs it.
        const out = await this.lambda.send(new CreateFunctionCommand({
          FunctionName: name, Runtime: 'nodejs20.x', Role: str(properties.Role), Handler: 'index.handler', Code: { ZipFile: EMPTY_ZIP },
        }));
        const made: Deployed = { ...base, physicalId: name, ref: name, attributes: { Arn: out.FunctionArn! } };
        this.coldStart(made);
        return made;
      }
      case 'AWS::IAM::ManagedPolicy': {
        const name = str(properties.ManagedPolicyName) ?? this.generatedName(logicalId, 128);
        const arn = `arn:${partition}:iam::${account}:policy${str(properties.Path) ?? '/'}${name}`;
        return { ...base, physicalId: arn, ref: arn, attributes: { PolicyArn: arn } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = str(properties.LogGroupName) ?? this.generatedName(logicalId, 512);
        return { ...base, physicalId: name, ref: name, attributes: { Arn: `arn:${partition}:logs:${region}:${account}:log-group:${name}:*` } };
      }
      default: {
        if (definition.Type.startsWith('Custom::')) {
          const answer = await this.customResource('Create', logicalId, definition.Type, properties);
          if (answer.Status !== 'SUCCESS') {
            // CloudFormation holds the id the failed Create answered, and deletes it in the rollback.
            this.resources.set(logicalId, { ...base, physicalId: answer.PhysicalResourceId, ref: answer.PhysicalResourceId, attributes: {} });
            this.putStandIn(this.resources.get(logicalId)!, 'CREATE_FAILED');
            throw new ResourceFailure(`${logicalId}: CREATE_FAILED: ${answer.Reason}`);
          }
          return { ...base, physicalId: answer.PhysicalResourceId, ref: answer.PhysicalResourceId, attributes: { ...answer.Data } };
        }
        const name = this.generatedName(logicalId, 64);
        const service = definition.Type.split('::')[1].toLowerCase();
        return { ...base, physicalId: name, ref: name, attributes: { Arn: `arn:${partition}:${service}:${region}:${account}:${name}` } };
      }
    }
  }

  /** An update in place (or a custom resource's Update, which may answer a new physical id). */
  private async updateResource(current: Deployed, definition: ResourceDefinition, properties: JsonObject, metadata?: JsonObject): Promise<Deployed> {
    const { logicalId } = current;
    const type = definition.Type;
    this.putStandIn({ ...current, metadata: current.metadata }, 'UPDATE_IN_PROGRESS');
    this.log(logicalId, type, 'UPDATE_IN_PROGRESS', current.physicalId);
    let after: Deployed = { ...current, definition, properties, metadata };
    try {
      after = await this.applyUpdate(current, after);
    } catch (e) {
      this.putStandIn(current, 'UPDATE_FAILED');
      throw failureOf(e, `${logicalId}: UPDATE_FAILED`);
    }
    this.putStandIn(after, 'UPDATE_COMPLETE');
    this.log(logicalId, type, 'UPDATE_COMPLETE', after.physicalId);
    return after;
  }

  /** The provider's part of an update in place. */
  private async applyUpdate(current: Deployed, wanted: Deployed): Promise<Deployed> {
    const { logicalId, properties } = wanted;
    const type = wanted.definition.Type;
    let after = wanted;
    switch (type) {
      case 'AWS::IAM::User':
        if (!same(properties.Path, current.properties.Path)) {
          await this.iam.send(new UpdateUserCommand({ UserName: current.physicalId, NewPath: String(properties.Path ?? '/') }));
          after = { ...after, attributes: { Arn: (await this.iam.send(new GetUserCommand({ UserName: current.physicalId }))).User!.Arn! } };
        }
        break;
      case 'AWS::SecretsManager::Secret':
        if (!same(properties.Description, current.properties.Description) || !same(properties.KmsKeyId, current.properties.KmsKeyId)) {
          await this.secretsManager.send(new UpdateSecretCommand({
            SecretId: current.physicalId,
            Description: properties.Description as string | undefined,
            KmsKeyId: properties.KmsKeyId as string | undefined,
          }));
        }
        // A new SecretString is a new AWSCURRENT version, as CloudFormation writes it.
        if (!same(properties.SecretString, current.properties.SecretString)) {
          await this.secretsManager.send(new PutSecretValueCommand({ SecretId: current.physicalId, SecretString: String(properties.SecretString) }));
        }
        break;
      case 'AWS::Lambda::Function':
        if (!same(properties, current.properties)) this.coldStart(after);
        break;
      default:
        if (type.startsWith('Custom::')) {
          const extra = { PhysicalResourceId: current.physicalId, OldResourceProperties: current.properties };
          const answer = await this.customResource('Update', logicalId, type, properties, extra);
          if (answer.Status !== 'SUCCESS') throw new ResourceFailure(`${logicalId}: UPDATE_FAILED: ${answer.Reason}`);
          after = { ...after, physicalId: answer.PhysicalResourceId, ref: answer.PhysicalResourceId, attributes: { ...answer.Data } };
        }
    }
    return after;
  }

  /** Deletes the resource a logical id holds (it leaves the stack). */
  private async deleteLogical(logicalId: string, policy: string | undefined): Promise<void> {
    const resource = this.resources.get(logicalId)!;
    this.putStandIn(resource, 'DELETE_IN_PROGRESS');
    this.log(logicalId, resource.definition.Type, 'DELETE_IN_PROGRESS', resource.physicalId);
    const outcome = await this.destroy(resource, policy);
    this.resources.delete(logicalId);
    this.moto.cloudFormation.resources.delete(logicalId);
    this.log(logicalId, resource.definition.Type, outcome, resource.physicalId);
  }

  /** Deletes an old physical id of a logical id that stays (a replaced resource). */
  private async deletePhysical(resource: Deployed, policy: string | undefined): Promise<void> {
    this.log(resource.logicalId, resource.definition.Type, 'DELETE_IN_PROGRESS', resource.physicalId);
    this.log(resource.logicalId, resource.definition.Type, await this.destroy(resource, policy), resource.physicalId);
  }

  /** The deletion itself; returns the resource's final status. */
  private async destroy(resource: Deployed, policy: string | undefined): Promise<string> {
    if (policy === 'Retain') return 'DELETE_SKIPPED';
    const { logicalId, physicalId } = resource;
    try {
      switch (resource.definition.Type) {
        case 'AWS::IAM::User': {
          // IAM refuses to delete a user that has access keys; moto does not, so the player asks first.
          const keys = (await this.iam.send(new ListAccessKeysCommand({ UserName: physicalId }))).AccessKeyMetadata ?? [];
          if (keys.length > 0) {
            throw Object.assign(new Error(`Cannot delete entity, must delete access keys first (${keys.map((k) => k.AccessKeyId).join(', ')})`), { name: 'DeleteConflict' });
          }
          await this.iam.send(new DeleteUserCommand({ UserName: physicalId }));
          break;
        }
        case 'AWS::SecretsManager::Secret':
          await this.secretsManager.send(new DeleteSecretCommand({ SecretId: physicalId, ForceDeleteWithoutRecovery: true }));
          break;
        case 'AWS::IAM::Role':
          await this.iam.send(new DeleteRoleCommand({ RoleName: physicalId }));
          break;
        case 'AWS::Lambda::Function':
          await this.lambda.send(new DeleteFunctionCommand({ FunctionName: physicalId }));
          break;
        default:
          if (resource.definition.Type.startsWith('Custom::')) {
            const answer = await this.customResource('Delete', logicalId, resource.definition.Type, resource.properties, { PhysicalResourceId: physicalId });
            if (answer.Status !== 'SUCCESS') throw new Error(answer.Reason);
          }
      }
      return 'DELETE_COMPLETE';
    } catch (e) {
      this.phase.failures.push(`${logicalId} (${physicalId}): DELETE_FAILED: ${(e as Error).name}: ${(e as Error).message}`);
      return 'DELETE_FAILED';
    }
  }

  // ---- the function --------------------------------------------------------------------------

  /** A new configuration of the function: new execution environments, with the resolved environment. */
  private coldStart(fn: Deployed): void {
    // The daily check of current keys runs by the wall clock's hour: left out, so that no played deployment's outcome
    // depends on the time of day it is played (test/integration/convergence.test.ts checks it at a simulated hour).
    const { [Env.KEY_CHECK_WINDOW]: daily, ...environment } = environmentOf(fn.properties);
    const kept: Record<string, string> = this.dailyKeyCheck && daily ? { [Env.KEY_CHECK_WINDOW]: daily } : {};
    this.environment = { ...environment, ...kept, AWS_LAMBDA_FUNCTION_NAME: fn.physicalId };
    this.handler = loadBundle(this.environment);
    this.functionArn = String(fn.attributes.Arn);
  }

  /** One custom resource request, as CloudFormation sends it; then Secrets Manager's rotations it started. */
  private async customResource(requestType: 'Create' | 'Update' | 'Delete', logicalId: string, type: string, properties: JsonObject, extra: Record<string, Json> = {}): Promise<Answer> {
    const serviceToken = properties.ServiceToken;
    if (!this.handler || serviceToken !== this.functionArn) {
      throw new Error(`${logicalId}'s ServiceToken ${JSON.stringify(serviceToken)} is not the deployed function ${this.functionArn}`);
    }
    const requestId = `${requestType.toLowerCase()}-${logicalId}-${createHash('sha256').update(`${++this.generation}`).digest('hex').slice(0, 8)}`;
    const event = {
      RequestType: requestType,
      ServiceToken: serviceToken,
      ResponseURL: `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/${encodeURIComponent(TEST_ENV.stackId!)}%7C${logicalId}%7C${requestId}`
        + '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=0f1e2d3c',
      StackId: TEST_ENV.stackId,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: type,
      ResourceProperties: properties,
      ...extra,
    };
    // Secrets Manager runs the rotations the function starts while the invocation is still running (a Create
    // waits for its first rotation), as in AWS: in other invocations of the function, asynchronously.
    let played = this.recorder.calls.length;
    let answered = false;
    const secretsManager = (async () => {
      while (!answered) {
        played = await this.playRotations(played);
        await new Promise((r) => setTimeout(r, 20));
      }
      await this.playRotations(played);
    })();
    const { errors } = await this.invoke(event, `${requestType} ${type}`, logicalId).finally(() => { answered = true; });
    await secretsManager;
    const found = this.answers.find((a) => a.RequestId === requestId);
    if (!found) throw new ResourceFailure(`${logicalId}: the function sent CloudFormation no answer to its ${requestType}${errors}`);
    // A failure's Reason is generic (details go to the log): the log's reason is added for the test's reader.
    const answer = found.Status === 'SUCCESS' ? found : { ...found, Reason: `${found.Reason}${errors}` };
    this.phase.answers.push(answer);
    return answer;
  }

  /** One invocation of the deployed function; returns the reasons its log gives for errors, as ` (log: ...)`. */
  private async invoke(event: unknown, request: string, target: string): Promise<{ errors: string; result?: unknown; failure?: Error }> {
    if (this.coldStarts === 'invocation') this.handler = loadBundle(this.environment);
    const served = this.moto.cloudFormation.served;
    const cfnFrom = served.length;
    // Secrets Manager's rotations run in other invocations meanwhile (a Create waits for its first one), and only once
    // the function's RotateSecret was answered, after which a custom resource calls CloudFormation no more: its own
    // calls are those before the first of them started.
    const phase = this.phase;
    for (const outer of this.running) outer.nestedAt ??= served.length;
    const own: { nestedAt?: number } = {};
    this.running.add(own);
    const startedAt = ++this.sequence;
    const lines: string[] = [];
    const previous = console.log;
    console.log = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
      previous(...args);
    };
    let failure: Error | undefined;
    let result: unknown;
    const started = Date.now();
    // Lambda's context: the invocation's time left, by the function's timeout (which the player may shorten).
    const context = { invokedFunctionArn: this.functionArn, getRemainingTimeInMillis: () => this.functionTimeoutMs - (Date.now() - started) };
    try {
      result = await this.handler!(event, context);
    } catch (e) {
      failure = e as Error;
    } finally {
      console.log = previous;
      this.running.delete(own);
      phase.invocations.push({ request, target, cloudFormation: served.slice(cfnFrom, own.nestedAt), started: startedAt, ended: ++this.sequence });
    }
    const reasons = lines.flatMap((l) => {
      try {
        const entry = JSON.parse(l) as { level?: string; reason?: string };
        return entry.level === 'ERROR' && entry.reason ? [entry.reason] : [];
      } catch {
        return [];
      }
    });
    return { errors: reasons.length ? ` (log: ${[...new Set(reasons)].join('; ')})` : '', result, failure };
  }

  /** Secrets Manager's part: the rotations the function's RotateSecret calls since `from` started; returns where it got to. */
  private async playRotations(from: number): Promise<number> {
    // Up to the first RotateSecret still waiting for its answer (its token comes with the answer).
    const pending = this.recorder.calls.findIndex((c, i) => i >= from && c.call === 'secretsmanager:RotateSecret' && c.status === undefined);
    const calls = this.recorder.calls.slice(from, pending < 0 ? undefined : pending);
    for (const call of calls) {
      if (call.call !== 'secretsmanager:RotateSecret' || !call.versionId) continue;
      const secretArn = (await this.secretsManager.send(new DescribeSecretCommand({ SecretId: String(call.params.SecretId) }))).ARN!;
      if (call.params.RotateImmediately === false) {
        // moto answers with the current version's id here, and has put AWSPENDING on a copy of it.
        const { VersionIdsToStages: stages = {} } = await this.secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
        for (const [versionId, labels] of Object.entries(stages)) {
          if (!labels.includes(Stage.PENDING) || labels.includes(Stage.CURRENT)) continue;
          const unlabel = { SecretId: secretArn, VersionStage: Stage.PENDING, RemoveFromVersionId: versionId };
          await this.secretsManager.send(new UpdateSecretVersionStageCommand(unlabel));
        }
        continue;
      }
      await this.playRotation(secretArn, call.versionId);
    }
    return from + calls.length;
  }

  /** Secrets Manager's rotation of a secret it started with this token: the four steps, each an invocation, until one fails. */
  async playRotation(secretArn: string, token: string): Promise<PlayedRotation> {
    let failed: PlayedRotation['failed'];
    for (const step of STEPS) {
      const { failure } = await this.invoke({ Step: step, SecretId: secretArn, ClientRequestToken: token }, step, secretArn);
      if (failure) {
        failed = { step, error: failure.message };
        break;
      }
    }
    const played = { secretArn, token, failed };
    this.phase.rotations.push(played);
    return played;
  }

  /**
   * An invocation of the deployed function outside a deployment, as Lambda's Invoke makes one (a schedule's
   * `{"action": "lifecycle"}`, an operator's `aws lambda invoke`): what it returned, or how it failed.
   */
  async invokeFunction(event: unknown): Promise<{ result?: unknown; failure?: Error }> {
    if (!this.handler) throw new Error('the stack has no rotation function deployed');
    const { result, failure } = await this.invoke(event, 'Invoke', this.functionArn);
    return { result, failure };
  }

  /** The deployed rotation function's name, ARN and environment variables (undefined before it is created). */
  get deployedFunction(): { readonly name: string; readonly arn: string; readonly environment: Record<string, string> } | undefined {
    const fn = [...this.resources.values()].find((r) => r.definition.Type === 'AWS::Lambda::Function' && r.metadata?.[REGISTRY_METADATA_KEY]);
    return fn && { name: fn.physicalId, arn: String(fn.attributes.Arn), environment: environmentOf(fn.properties) };
  }
}

/** Logical ids in an order CloudFormation may take: each after everything it names, ties in template order. */
export function order(template: StackTemplate): string[] {
  const ids = Object.keys(template.Resources);
  const deps = new Map(ids.map((id) => [id, dependencies(template, id)]));
  const done = new Set<string>();
  const out: string[] = [];
  while (out.length < ids.length) {
    const next = ids.find((id) => !done.has(id) && [...deps.get(id)!].every((d) => done.has(d) || !template.Resources[d]));
    if (!next) throw new Error(`the template has a dependency cycle among ${ids.filter((id) => !done.has(id)).join(', ')}`);
    done.add(next);
    out.push(next);
  }
  return out;
}

/** Logical ids a resource names: DependsOn, and each Ref, Fn::GetAtt and Fn::Sub of a resource in its Properties and Metadata. */
export function dependencies(template: StackTemplate, id: string): Set<string> {
  const resource = template.Resources[id];
  const found = new Set<string>([resource.DependsOn ?? []].flat());
  const add = (name: string) => {
    if (name in template.Resources) found.add(name);
  };
  const walk = (v: Json | undefined): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [k, inner] of Object.entries(v)) {
      if (k === 'Ref' && typeof inner === 'string') {add(inner);} else if (k === 'Fn::GetAtt') {add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]);} else if (k === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        for (const [, name] of String(text).matchAll(/\$\{([^!}][^}.]*)[^}]*\}/g)) add(name);
        if (Array.isArray(inner)) walk(inner[1]);
      } else {walk(inner);}
    }
  };
  walk(resource.Properties);
  walk(resource.Metadata);
  return found;
}

/** An error of AWS (an SDK error carries `$metadata`) is the resource's failure, as CloudFormation reports it; anything else is the player's own. */
function failureOf(e: unknown, what: string): unknown {
  if (e instanceof ResourceFailure || !(e instanceof Error) || !('$metadata' in e)) return e;
  return new ResourceFailure(`${what}: ${e.name}: ${e.message}`);
}

/** A function's environment variables, as its resolved properties set them. */
function environmentOf(properties: JsonObject): Record<string, string> {
  return ((properties.Environment as JsonObject | undefined)?.Variables ?? {}) as Record<string, string>;
}

function same(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every request of the operation the role allowed; a denial fails with each one: the phase, the call, the resource and what is missing. */
export function expectEveryCallAuthorized(operation: Operation): void {
  const denied = operation.phases.flatMap((p) => p.decisions).filter((d) => d.verdict !== 'Allowed');
  if (denied.length > 0) throw new Error(`the role denied ${denied.length} request(s) of the function:\n${describeDecisions(denied)}`);
}
