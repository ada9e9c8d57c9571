/**
 * A CloudFormation stand-in for what moto cannot do: a stack whose resources
 * carry resolved Metadata (the registry), whose statuses can be mid-operation
 * (CREATE_IN_PROGRESS, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, a rollback), and
 * whose event history a test writes. It answers CloudFormation's query API over
 * HTTP on 127.0.0.1 — DescribeStackResource, DescribeStacks and
 * DescribeStackEvents, the three calls the function makes, and
 * ListStackResources, which the CLI makes — and, for the CLI's tests, other
 * stacks of the account with a registry of their own (a look-alike) — so the function's
 * real AWS layer (and its shipped bundle) talks to it through the standard
 * `AWS_ENDPOINT_URL_CLOUDFORMATION` variable, while moto serves every other service.
 */
import { createHash, randomUUID } from 'crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { TEST_ENV } from './intrinsics';
import { REGISTRY_METADATA_KEY, REGISTRY_VERSION, Registration } from '../../src/rotation/contract';

export interface StandInResource {
  readonly logicalId: string;
  readonly type: string;
  physicalId?: string;
  status: string;
  metadata?: unknown;
}

/** One call the stand-in answered. */
export interface ServedCall {
  readonly action: string;
  readonly logicalId?: string;
  /** The answer's size on the wire (the Metadata of a DescribeStackResource included). */
  readonly bytes: number;
}

export interface StandInEvent {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly type: string;
  readonly status: string;
  readonly timestamp: Date;
}

/** Logical id of the rotation function's resource in the stand-in stack. */
export const FUNCTION_LOGICAL_ID = 'AccessKeyRotatorFunctionE5F7DB95';
export const STACK_NAME = 'Stack';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const tag = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${xml(value)}</${name}>`);

export class CloudFormationStandIn {
  /** Starts the stand-in (on a free port unless one is given) and points the SDK's CloudFormation client at it. */
  static async start(port = 0): Promise<CloudFormationStandIn> {
    const standIn = new CloudFormationStandIn();
    await new Promise<void>((resolve, reject) => {
      standIn.server.once('error', reject);
      standIn.server.listen(port, '127.0.0.1', resolve);
    });
    standIn.endpoint = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = standIn.endpoint;
    return standIn;
  }

  readonly stackId = TEST_ENV.stackId!;
  endpoint = '';
  status = 'UPDATE_COMPLETE';
  createdAt = new Date(Date.now() - 86_400_000);
  updatedAt?: Date;
  readonly resources = new Map<string, StandInResource>();
  /** Newest first, as DescribeStackEvents lists them. */
  events: StandInEvent[] = [];
  /** Every call, by action. */
  readonly calls: string[] = [];
  /** Every call answered: its action, the logical id it named (if any) and the bytes of its answer. */
  readonly served: ServedCall[] = [];
  /** The registrations of the deployed registry, and its digest (what the function's environment carries). */
  registrations: Registration[] = [];
  digest = '';
  /** Other stacks of the account, by id: each holds one function resource whose Metadata carries a registry. */
  readonly otherStacks = new Map<string, { readonly name: string; readonly resources: Map<string, StandInResource> }>();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => this.serve(req, res));
    this.deployRegistry([]);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
  }

  reset(): void {
    this.resources.clear();
    this.otherStacks.clear();
    this.events = [];
    this.calls.length = 0;
    this.served.length = 0;
    this.status = 'UPDATE_COMPLETE';
    this.deployRegistry([]);
  }

  /** Adds a registration (replacing one for the same secret) and deploys the registry. */
  register(registration: Registration): void {
    this.deployRegistry([...this.registrations.filter((r) => r.secretArn !== registration.secretArn), registration]);
  }

  unregister(secretArn: string): void {
    this.deployRegistry(this.registrations.filter((r) => r.secretArn !== secretArn));
  }

  /**
   * Deploys a registry in the function's Metadata, as CloudFormation would
   * hold it once resolved; returns its digest (what the function's
   * environment would carry).
   */
  deployRegistry(registrations: Registration[]): string {
    this.registrations = registrations;
    const digest = createHash('sha256').update(JSON.stringify(registrations)).digest('hex');
    this.digest = digest;
    this.put({
      logicalId: FUNCTION_LOGICAL_ID,
      type: 'AWS::Lambda::Function',
      physicalId: 'access-key-rotator',
      status: 'UPDATE_COMPLETE',
      metadata: { [REGISTRY_METADATA_KEY]: { version: REGISTRY_VERSION, digest, registrations } },
    });
    return digest;
  }

  /**
   * Another stack with a function resource (logical id FUNCTION_LOGICAL_ID)
   * whose Metadata holds a registry of these registrations, as anyone allowed
   * to create a stack could deploy; returns the stack's id and the registry's digest.
   */
  addStack(name: string, registrations: Registration[]): { stackId: string; digest: string } {
    const stackId = this.stackId.replace(`:stack/${STACK_NAME}/`, `:stack/${name}/`).replace(/[0-9a-f]{12}$/, randomUUID().slice(-12));
    const digest = createHash('sha256').update(JSON.stringify(registrations)).digest('hex');
    this.otherStacks.set(stackId, {
      name,
      resources: new Map([[FUNCTION_LOGICAL_ID, {
        logicalId: FUNCTION_LOGICAL_ID,
        type: 'AWS::Lambda::Function',
        physicalId: `${name}-function`,
        status: 'CREATE_COMPLETE',
        metadata: { [REGISTRY_METADATA_KEY]: { version: REGISTRY_VERSION, digest, registrations } },
      }]]),
    });
    return { stackId, digest };
  }

  put(resource: StandInResource): void {
    this.resources.set(resource.logicalId, resource);
  }

  /** Starts an operation: the stack's own event, as CloudFormation writes it first. */
  begin(status: string): void {
    this.status = status;
    if (/^(CREATE|UPDATE|DELETE|IMPORT)_IN_PROGRESS$/.test(status)) this.updatedAt = new Date();
    this.log({ logicalId: STACK_NAME, physicalId: this.stackId, type: 'AWS::CloudFormation::Stack', status });
  }

  log(event: Omit<StandInEvent, 'timestamp'>): void {
    this.events.unshift({ ...event, timestamp: new Date() });
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? '';
      this.calls.push(action);
      try {
        const out = this.answer(action, params);
        const answer = `<${action}Response xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><${action}Result>${out}</${action}Result>`
          + `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
        this.served.push({ action, logicalId: params.get('LogicalResourceId') ?? undefined, bytes: Buffer.byteLength(answer) });
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(answer);
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end('<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>'
          + `<Code>ValidationError</Code><Message>${xml((e as Error).message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
      }
    });
  }

  private answer(action: string, params: URLSearchParams): string {
    const stack = params.get('StackName');
    const other = [...this.otherStacks.entries()].find(([id, s]) => stack === id || stack === s.name);
    if (other && (action === 'DescribeStackResource' || action === 'ListStackResources')) {
      return this.answerResources(action, params, other[1].name, other[0], other[1].resources);
    }
    if (stack !== this.stackId && stack !== STACK_NAME) throw new Error(`Stack with id ${stack} does not exist`);
    switch (action) {
      case 'DescribeStackResource':
      case 'ListStackResources':
        return this.answerResources(action, params, STACK_NAME, this.stackId, this.resources);
      case 'DescribeStacks':
        return `<Stacks><member>${tag('StackName', STACK_NAME)}${tag('StackId', this.stackId)}${tag('CreationTime', this.createdAt.toISOString())}`
          + `${tag('LastUpdatedTime', this.updatedAt?.toISOString())}${tag('StackStatus', this.status)}</member></Stacks>`;
      case 'DescribeStackEvents': {
        const start = Number(params.get('NextToken') ?? 0);
        const page = this.events.slice(start, start + 100);
        const next = start + 100 < this.events.length ? tag('NextToken', String(start + 100)) : '';
        return `<StackEvents>${page.map((e) => `<member>${tag('EventId', randomUUID())}${tag('StackName', STACK_NAME)}${tag('StackId', this.stackId)}`
          + `${tag('LogicalResourceId', e.logicalId)}${tag('PhysicalResourceId', e.physicalId)}${tag('ResourceType', e.type)}`
          + `${tag('Timestamp', e.timestamp.toISOString())}${tag('ResourceStatus', e.status)}</member>`).join('')}</StackEvents>${next}`;
      }
      default:
        throw new Error(`the stand-in does not answer ${action}`);
    }
  }

  private answerResources(action: string, params: URLSearchParams, name: string, stackId: string, resources: Map<string, StandInResource>): string {
    if (action === 'DescribeStackResource') {
      const logicalId = params.get('LogicalResourceId') ?? '';
      const r = resources.get(logicalId);
      if (!r) throw new Error(`Resource ${logicalId} does not exist for stack ${name}`);
      return `<StackResourceDetail>${tag('StackName', name)}${tag('StackId', stackId)}${tag('LogicalResourceId', r.logicalId)}`
        + `${tag('PhysicalResourceId', r.physicalId)}${tag('ResourceType', r.type)}${tag('LastUpdatedTimestamp', new Date().toISOString())}`
        + `${tag('ResourceStatus', r.status)}${tag('Metadata', r.metadata === undefined ? undefined : JSON.stringify(r.metadata))}</StackResourceDetail>`;
    }
    return `<StackResourceSummaries>${[...resources.values()].map((r) => `<member>${tag('LogicalResourceId', r.logicalId)}`
      + `${tag('PhysicalResourceId', r.physicalId)}${tag('ResourceType', r.type)}${tag('LastUpdatedTimestamp', new Date().toISOString())}`
      + `${tag('ResourceStatus', r.status)}</member>`).join('')}</StackResourceSummaries>`;
  }
}

/** What the function answered CloudFormation, as the response bucket received it. */
export interface Answer {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** A URL in CloudFormation's response bucket for the stand-in's region, as CloudFormation presigns them. */
export function responseUrl(requestId: string): string {
  return `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/${encodeURIComponent(TEST_ENV.stackId!)}%7C${requestId}`
    + '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=0f1e2d3c';
}

/**
 * Plays CloudFormation for the function's custom resources against the
 * stand-in, step by step as CloudFormation orders them: a resource is
 * IN_PROGRESS (and logged) while its provider is called, an update that
 * returns a new physical id is a replacement whose old id is deleted in the
 * cleanup phase, removed resources are deleted in the cleanup phase, and a
 * rollback deletes what the failed operation created.
 */
export class CloudFormationDriver {
  private requests = 0;
  /** Physical ids replaced during the current update, deleted at cleanup: logical id → [old id, its properties]. */
  private replaced: [string, string, Record<string, unknown>][] = [];
  /** Properties CloudFormation holds for each resource. */
  readonly properties = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly standIn: CloudFormationStandIn,
    private readonly invoke: (event: Record<string, unknown>) => Promise<unknown>,
    private readonly answers: Answer[],
  ) {}

  /** Sends one event (as CloudFormation would) and returns the function's answer; a missing answer throws. */
  async send(event: Record<string, unknown>): Promise<Answer> {
    const requestId = String(event.RequestId);
    await this.invoke(event).catch(() => undefined);
    const answer = this.answers.find((a) => a.RequestId === requestId);
    if (!answer) throw new Error(`the function sent CloudFormation no answer for ${event.RequestType} ${event.LogicalResourceId}`);
    return answer;
  }

  event(requestType: 'Create' | 'Update' | 'Delete', logicalId: string, type: string, props: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const requestId = `request-${++this.requests}-${randomUUID().slice(0, 8)}`;
    return {
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:access-key-rotator',
      ResponseURL: responseUrl(requestId),
      StackId: this.standIn.stackId,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: type,
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:access-key-rotator', ...props },
      ...extra,
    };
  }

  async create(logicalId: string, type: string, props: Record<string, unknown>): Promise<Answer> {
    const resource: StandInResource = { logicalId, type, status: 'CREATE_IN_PROGRESS' };
    this.standIn.put(resource);
    this.standIn.log({ logicalId, type, status: 'CREATE_IN_PROGRESS' });
    const answer = await this.send(this.event('Create', logicalId, type, props));
    resource.physicalId = answer.PhysicalResourceId;
    resource.status = answer.Status === 'SUCCESS' ? 'CREATE_COMPLETE' : 'CREATE_FAILED';
    this.standIn.log({ logicalId, type, physicalId: resource.physicalId, status: resource.status });
    if (answer.Status === 'SUCCESS') this.properties.set(logicalId, props);
    return answer;
  }

  async update(logicalId: string, props: Record<string, unknown>): Promise<Answer> {
    const resource = this.standIn.resources.get(logicalId)!;
    const oldId = resource.physicalId!;
    const oldProps = this.properties.get(logicalId)!;
    resource.status = 'UPDATE_IN_PROGRESS';
    this.standIn.log({ logicalId, type: resource.type, physicalId: oldId, status: 'UPDATE_IN_PROGRESS' });
    const answer = await this.send(this.event('Update', logicalId, resource.type, props, { PhysicalResourceId: oldId, OldResourceProperties: oldProps }));
    resource.status = answer.Status === 'SUCCESS' ? 'UPDATE_COMPLETE' : 'UPDATE_FAILED';
    if (answer.Status === 'SUCCESS') {
      if (answer.PhysicalResourceId !== oldId) this.replaced.push([logicalId, oldId, oldProps]);
      resource.physicalId = answer.PhysicalResourceId;
      this.properties.set(logicalId, props);
    }
    return answer;
  }

  /** The cleanup phase of a successful update: replaced physical ids, then the removed resources, are deleted. */
  async cleanup(removed: string[] = []): Promise<Answer[]> {
    this.standIn.begin('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const answers: Answer[] = [];
    for (const [logicalId, oldId, oldProps] of this.replaced) {
      const type = this.standIn.resources.get(logicalId)!.type;
      this.standIn.log({ logicalId, type, physicalId: oldId, status: 'DELETE_IN_PROGRESS' });
      answers.push(await this.send(this.event('Delete', logicalId, type, oldProps, { PhysicalResourceId: oldId })));
    }
    this.replaced = [];
    for (const logicalId of removed) answers.push(await this.deleteResource(logicalId));
    this.standIn.status = 'UPDATE_COMPLETE';
    return answers;
  }

  /** A stack deletion: every resource given is deleted. */
  async deleteStack(logicalIds: string[]): Promise<Answer[]> {
    this.standIn.begin('DELETE_IN_PROGRESS');
    const answers: Answer[] = [];
    for (const logicalId of logicalIds) answers.push(await this.deleteResource(logicalId));
    return answers;
  }

  /** A rollback deletes resources the failed operation created. */
  async rollback(created: string[], status = 'UPDATE_ROLLBACK_IN_PROGRESS'): Promise<Answer[]> {
    this.standIn.begin(status);
    const answers: Answer[] = [];
    for (const logicalId of created) answers.push(await this.deleteResource(logicalId));
    return answers;
  }

  private async deleteResource(logicalId: string): Promise<Answer> {
    const resource = this.standIn.resources.get(logicalId)!;
    resource.status = 'DELETE_IN_PROGRESS';
    this.standIn.log({ logicalId, type: resource.type, physicalId: resource.physicalId, status: 'DELETE_IN_PROGRESS' });
    const answer = await this.send(this.event('Delete', logicalId, resource.type, this.properties.get(logicalId) ?? {}, { PhysicalResourceId: resource.physicalId }));
    if (answer.Status === 'SUCCESS') this.standIn.resources.delete(logicalId);
    return answer;
  }
}
