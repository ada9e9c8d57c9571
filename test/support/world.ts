/**
 * Fixtures for tests and the demo: an AWS account inside moto, built with SDK
 * calls (never CloudFormation), the stack's registry in the CloudFormation
 * stand-in, a simulated clock, and recorders for the function's API calls,
 * logs and audit events.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient,
  TagResourceCommand, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { FUNCTION_LOGICAL_ID } from './cloudformation';
import { activeCloudFormation, syncIamClock } from './moto';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import { AwsClients, AwsGateway, defaultClients } from '../../src/rotation/aws';
import { Defaults, Env, Registration, secretDescription, Stage, Tags } from '../../src/rotation/contract';
import { formatRevokeRequest } from '../../src/rotation/model';
import { Registry, RegistrySource, StackRegistrySource } from '../../src/rotation/registry';
import { Rotator, RotatorOptions } from '../../src/rotation/rotator';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

/**
 * Simulated time for the function under test; IAM follows it (keys' creation
 * and last use) when moto runs with a settable clock (`MotoServer.start({ clock: true })`).
 */
export class SimulatedClock {
  constructor(private current: Date) {}
  now = (): Date => new Date(this.current);
  advance(ms: number): Date {
    this.set(new Date(this.current.getTime() + ms));
    return this.now();
  }
  set(at: Date): void {
    this.current = new Date(at);
    syncIamClock(this.current);
  }
}

/** Every AWS operation the rotation function calls, in order (`Service.Operation`). */
export function recordCalls(clients: AwsClients, into: string[]): AwsClients {
  const record = (service: string): InitializeMiddleware<object, MetadataBearer> => (next, context) => async (args) => {
    into.push(`${service}.${context.commandName?.replace(/Command$/, '')}`);
    return next(args);
  };
  clients.iam.middlewareStack.add(record('IAM'), { step: 'initialize' });
  clients.secretsManager.middlewareStack.add(record('SecretsManager'), { step: 'initialize' });
  clients.eventBridge.middlewareStack.add(record('EventBridge'), { step: 'initialize' });
  clients.cloudFormation.middlewareStack.add(record('CloudFormation'), { step: 'initialize' });
  return clients;
}

/** The real AWS layer, with the audit events it sends kept for assertions. */
export class RecordingGateway extends AwsGateway {
  readonly events: PutEventsRequestEntry[] = [];
  async putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
    this.events.push(...entries);
    await super.putEvents(entries);
  }
}

export interface Harness {
  readonly rotator: Rotator;
  readonly gateway: RecordingGateway;
  readonly clock: SimulatedClock;
  readonly logs: string[];
  readonly calls: string[];
}

/**
 * The registry as the deployed function reads it from the stand-in: once per
 * "deployment" (a new digest is a new function configuration, so new
 * containers), through the function's own StackRegistrySource.
 */
export class DeployedRegistry implements RegistrySource {
  private source?: StackRegistrySource;
  private digest?: string;
  constructor(private readonly gateway: AwsGateway) {}
  load(): Promise<Registry> {
    const cfn = activeCloudFormation();
    if (!this.source || this.digest !== cfn.digest) {
      this.digest = cfn.digest;
      this.source = new StackRegistrySource(this.gateway, { stackId: cfn.stackId, logicalId: FUNCTION_LOGICAL_ID, digest: cfn.digest });
    }
    return this.source.load();
  }
}

export function makeRotator(options: Partial<Omit<RotatorOptions, 'clock' | 'gateway'>> & { clock?: SimulatedClock } = {}): Harness {
  const calls: string[] = [];
  const logs: string[] = [];
  const { clock: simulated, ...rest } = options;
  const gateway = new RecordingGateway(recordCalls(defaultClients(process.env.AWS_REGION), calls));
  const clock = simulated ?? new SimulatedClock(new Date());
  const rotator = new Rotator({
    gateway,
    clock: clock.now,
    logSink: { write: (line) => logs.push(line) },
    testSecretRetry: { attempts: 3, firstDelayMs: 10, maxDelayMs: 50 },
    registry: new DeployedRegistry(gateway),
    stackId: activeCloudFormation().stackId,
    ...rest,
  });
  return { rotator, gateway, clock, logs, calls };
}

/** A registry entry with the construct's defaults. */
export function registration(secretArn: string, userArn: string, config: Partial<Registration> = {}): Registration {
  return {
    secretArn,
    userArn,
    deactivateAfterSeconds: Defaults.deactivateAfterSeconds,
    deleteAfterSeconds: Defaults.deleteAfterSeconds,
    postponeWhileInUseSeconds: Defaults.postponeWhileInUseSeconds,
    foreignKeyPolicy: ForeignKeyPolicy.FAIL,
    removal: Defaults.removal,
    scheduleExpression: Defaults.scheduleExpression,
    rotateOnDeploy: Defaults.rotateOnDeploy,
    ...config,
  };
}

/** An account inside moto: users, managed secrets and a (never invoked) rotation function. */
export class World {
  readonly iam = new IAMClient({});
  readonly secretsManager = new SecretsManagerClient({});
  private rotationLambdaArn?: string;
  private roleArn?: string;
  private readonly paths = new Map<string, string>();

  /** The ARN IAM gives the user (created here with its path, or not created at all). */
  userArn(userName: string): string {
    return `arn:aws:iam::123456789012:user${this.paths.get(userName) ?? '/'}${userName}`;
  }

  /** Secrets Manager needs a rotation function to exist; moto registers it without running it. */
  async rotationFunctionArn(): Promise<string> {
    this.rotationLambdaArn ??= await this.createFunction('access-key-rotation', {});
    return this.rotationLambdaArn;
  }

  /** A function moto registers without running it, with this environment (the rotator's, or a look-alike's). */
  async createFunction(name: string, variables: Record<string, string>): Promise<string> {
    this.roleArn ??= (await this.iam.send(new CreateRoleCommand({ RoleName: 'access-key-rotation', AssumeRolePolicyDocument: '{}' }))).Role!.Arn!;
    const out = await new LambdaClient({}).send(new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: this.roleArn,
      Handler: 'index.handler',
      Code: { ZipFile: EMPTY_ZIP },
      Environment: { Variables: variables },
    }));
    return out.FunctionArn!;
  }

  /**
   * The rotation function as the stack deploys it: its environment names the
   * stack, the resource holding the registry and the registry's digest (what
   * the CLI reads to find a secret's registration). Call it after each change
   * of the registry, as a deployment would.
   */
  async deployFunction(): Promise<string> {
    const arn = await this.rotationFunctionArn();
    const cfn = activeCloudFormation();
    await new LambdaClient({}).send(new UpdateFunctionConfigurationCommand({
      FunctionName: arn,
      Environment: { Variables: { [Env.STACK_ID]: cfn.stackId, [Env.REGISTRY_RESOURCE]: FUNCTION_LOGICAL_ID, [Env.REGISTRY_DIGEST]: cfn.digest } },
    }));
    return arn;
  }

  /** The token of the rotation Secrets Manager has started (its AWSPENDING version), if one has. */
  async pendingToken(secretArn: string): Promise<string | undefined> {
    const out = await this.secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
    return Object.entries(out.VersionIdsToStages ?? {}).find(([, labels]) => labels.includes(Stage.PENDING) && !labels.includes(Stage.CURRENT))?.[0];
  }

  async createUser(userName: string, path?: string): Promise<void> {
    await this.iam.send(new CreateUserCommand({ UserName: userName, Path: path }));
    if (path) this.paths.set(userName, path);
  }

  /** A hand-made key, as someone clicking in the console would create it. */
  async createForeignKey(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const out = await this.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: out.AccessKey!.AccessKeyId!, secretAccessKey: out.AccessKey!.SecretAccessKey! };
  }

  /** A secret as the constructs create it (metadata only, no tags), registered in the stack's registry. */
  async createManagedSecret(userName: string, config: Partial<Registration> = {}): Promise<string> {
    // Secret names take letters, digits and /_+=.@-: a user name's commas (IAM allows them) become '_'.
    const arn = await this.createSecret(`access-keys/${userName.replace(/,/g, '_')}`, userName);
    this.register(arn, userName, config);
    return arn;
  }

  /** A metadata-only secret, registered with nothing. */
  async createSecret(name: string, userName: string, tags: Record<string, string> = {}): Promise<string> {
    const out = await this.secretsManager.send(new CreateSecretCommand({
      Name: name,
      Description: secretDescription(userName),
      SecretString: JSON.stringify({ userName }),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }));
    return out.ARN!;
  }

  /** A key served by a secret as the function serves one: its value AWSCURRENT, on a version labelled with the key's id. */
  async serve(secretArn: string, key: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
    const userName = (await this.credentials(secretArn, Stage.CURRENT))?.userName;
    const out = await this.secretsManager.send(new PutSecretValueCommand({
      SecretId: secretArn, SecretString: JSON.stringify({ userName, ...key, createdAt: new Date().toISOString() }),
    }));
    await this.secretsManager.send(new UpdateSecretVersionStageCommand({
      SecretId: secretArn, VersionStage: key.accessKeyId, MoveToVersionId: out.VersionId,
    }));
  }

  /** Deploys a registration of a secret for a user (a stack update, in the stand-in). */
  register(secretArn: string, userName: string, config: Partial<Registration> = {}): Registration {
    const r = registration(secretArn, this.userArn(userName), config);
    activeCloudFormation().register(r);
    return r;
  }

  /** What Secrets Manager does before calling the function: an AWSPENDING placeholder; returns its token. */
  async startRotation(secretArn: string): Promise<string> {
    const out = await this.secretsManager.send(new RotateSecretCommand({
      SecretId: secretArn, RotationLambdaARN: await this.rotationFunctionArn(), RotateImmediately: true,
    }));
    return out.VersionId!;
  }

  /**
   * An operator's emergency revoke, as the README shows it: tag the request,
   * then start a rotation (no invocation of the function). Returns the token.
   */
  async revoke(secretArn: string, at: Date): Promise<string> {
    await this.secretsManager.send(new TagResourceCommand({
      SecretId: secretArn, Tags: [{ Key: Tags.REVOKE, Value: formatRevokeRequest(at) }],
    }));
    return this.startRotation(secretArn);
  }

  async keys(userName: string): Promise<{ accessKeyId: string; status: string }[]> {
    const out = await this.iam.send(new ListAccessKeysCommand({ UserName: userName }));
    return (out.AccessKeyMetadata ?? []).map((k) => ({ accessKeyId: k.AccessKeyId!, status: k.Status! }));
  }

  async keyStatus(userName: string, accessKeyId: string): Promise<string | undefined> {
    return (await this.keys(userName)).find((k) => k.accessKeyId === accessKeyId)?.status;
  }

  /** The access key id each stage holds (undefined: no key there). */
  async stages(secretArn: string): Promise<Record<string, string | undefined>> {
    const out: Record<string, string | undefined> = {};
    for (const stage of [Stage.CURRENT, Stage.PENDING, Stage.PREVIOUS]) {
      out[stage] = (await this.credentials(secretArn, stage))?.accessKeyId;
    }
    return out;
  }

  async credentials(secretArn: string, stage: string): Promise<Record<string, string> | undefined> {
    try {
      const v = await this.secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage }));
      return v.SecretString ? JSON.parse(v.SecretString) : undefined;
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  }

  async tags(secretArn: string): Promise<Record<string, string>> {
    const out = await this.secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }
}

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

/** A whole rotation as Secrets Manager drives it: RotateSecret, then the four steps. */
export async function rotate(world: World, rotator: Rotator, secretArn: string, after?: () => Promise<void>): Promise<string> {
  const token = await world.startRotation(secretArn);
  for (const step of STEPS) {
    await rotator.rotationStep({ Step: step, SecretId: secretArn, ClientRequestToken: token });
    if (after) await after();
  }
  return token;
}

// A zip archive holding one empty file: moto needs code to register a function.
export const EMPTY_ZIP = Buffer.from(
  'UEsDBBQAAAAAAAAAIQAAAAAAAAAAAAAAAAAIAAAAaW5kZXguanNQSwECFAMUAAAAAAAAACEAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAgAEAAAAAaW5kZXguanNQSwUGAAAAAAEAAQA2AAAAJgAAAAAA',
  'base64');
