/**
 * Fixtures for tests and the demo: an AWS account inside moto, built with SDK
 * calls (never CloudFormation), a simulated clock, and recorders for the
 * function's API calls, logs and audit events.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { AwsClients, AwsGateway, defaultClients } from '../../src/rotation/aws';
import { Stage, Tags } from '../../src/rotation/model';
import { Rotator, RotatorOptions } from '../../src/rotation/rotation';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export class SimulatedClock {
  constructor(private current: Date) {}
  now = (): Date => new Date(this.current);
  advance(ms: number): Date {
    this.current = new Date(this.current.getTime() + ms);
    return this.now();
  }
  set(at: Date): void {
    this.current = new Date(at);
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
    ...rest,
  });
  return { rotator, gateway, clock, logs, calls };
}

/** An account inside moto: users, managed secrets and a (never invoked) rotation function. */
export class World {
  readonly iam = new IAMClient({});
  readonly secretsManager = new SecretsManagerClient({});
  private rotationLambdaArn?: string;

  /** Secrets Manager needs a rotation function to exist; moto registers it without running it. */
  async rotationFunctionArn(): Promise<string> {
    if (!this.rotationLambdaArn) {
      const role = await this.iam.send(new CreateRoleCommand({ RoleName: 'access-key-rotation', AssumeRolePolicyDocument: '{}' }));
      const out = await new LambdaClient({}).send(new CreateFunctionCommand({
        FunctionName: 'access-key-rotation',
        Runtime: 'nodejs20.x',
        Role: role.Role!.Arn!,
        Handler: 'index.handler',
        Code: { ZipFile: EMPTY_ZIP },
      }));
      this.rotationLambdaArn = out.FunctionArn!;
    }
    return this.rotationLambdaArn;
  }

  async createUser(userName: string, path?: string): Promise<void> {
    await this.iam.send(new CreateUserCommand({ UserName: userName, Path: path }));
  }

  /** A hand-made key, as someone clicking in the console would create it. */
  async createForeignKey(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const out = await this.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: out.AccessKey!.AccessKeyId!, secretAccessKey: out.AccessKey!.SecretAccessKey! };
  }

  /** A secret as the constructs create it: metadata only, configuration in tags. */
  async createManagedSecret(userName: string, tags: Record<string, string> = {}): Promise<string> {
    const out = await this.secretsManager.send(new CreateSecretCommand({
      Name: `access-keys/${userName}`,
      SecretString: JSON.stringify({ userName }),
      Tags: Object.entries({ [Tags.USER]: userName, ...tags }).map(([Key, Value]) => ({ Key, Value })),
    }));
    return out.ARN!;
  }

  /** What Secrets Manager does before calling the function: an AWSPENDING placeholder; returns its token. */
  async startRotation(secretArn: string): Promise<string> {
    const out = await this.secretsManager.send(new RotateSecretCommand({
      SecretId: secretArn, RotationLambdaARN: await this.rotationFunctionArn(), RotateImmediately: true,
    }));
    return out.VersionId!;
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
const EMPTY_ZIP = Buffer.from(
  'UEsDBBQAAAAAAAAAIQAAAAAAAAAAAAAAAAAIAAAAaW5kZXguanNQSwECFAMUAAAAAAAAACEAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAgAEAAAAAaW5kZXguanNQSwUGAAAAAAEAAQA2AAAAJgAAAAAA',
  'base64');
