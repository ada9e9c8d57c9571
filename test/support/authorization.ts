/**
 * Every AWS call the rotation function makes, caught at the wire and judged
 * as IAM would judge it against the function's role as deployed at that
 * moment (moto enforces no IAM).
 *
 * The shipped bundle reaches AWS through `AWS_ENDPOINT_URL` and
 * `AWS_ENDPOINT_URL_CLOUDFORMATION`, which point at this recorder; it
 * forwards to moto and to the CloudFormation stand-in. A call signed with the
 * function's own access key id (SigV4's `Credential=`) becomes one or more IAM
 * requests: the action, the resource's ARN (a secret named by its name is
 * looked up, an IAM user is its ARN with its path, an access key is its
 * owner's ARN, a stack name is its stack id) and the condition keys the call
 * carries. Each request is evaluated by @cloud-copilot/iam-simulate in Strict
 * mode against the role's policies of that moment, resolved to physical ids,
 * which the caller supplies (`role`). A denied request is answered as AWS
 * answers it (AccessDenied), unless the recorder only observes. Calls signed
 * with another key (STS GetCallerIdentity with the key under test, the test's
 * own fixture clients) pass through unjudged.
 *
 * A condition of the role on a key the recorder does not supply for that
 * action would make the simulation vacuous: such a request fails the test.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { GetUserCommand, IAMClient, ListAccessKeysCommand, paginateListUsers } from '@aws-sdk/client-iam';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runSimulation, type Simulation, type SimulationIdentityPolicy, type RequestAnalysis } from '@cloud-copilot/iam-simulate';
import { Environment } from './intrinsics';

/** One IAM authorization request: what IAM evaluates for (part of) an API call. */
export interface IamRequest {
  /** `service:Action`, as policies name it. */
  readonly action: string;
  /** The resource's ARN, or `*` for an action without resource-level permissions. */
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  /** Why this request is part of the call, when it is not the call's own action. */
  readonly note?: string;
}

/** The role at one moment: the principal the function runs as, and every policy attached to the role then. */
export interface DeployedRole {
  readonly principal: string;
  readonly policies: SimulationIdentityPolicy[];
}

export type Verdict = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** How one request of the function fared. */
export interface Decision {
  /** What the deployment was doing (a stack status, or a name the test gives). */
  readonly phase: string;
  /** The API call, `service:Operation`. */
  readonly call: string;
  readonly request: IamRequest;
  readonly verdict: Verdict;
  /** For an allowed request, the statements that allow it; for a denied one, what denies it or what is missing. */
  readonly why: string;
}

/** One API call signed with the function's key, as it crossed the wire. */
export interface RecordedCall {
  readonly phase: string;
  /** `service:Operation` (the IAM service prefix). */
  readonly call: string;
  readonly params: Record<string, unknown>;
  /** The HTTP status AWS (or the recorder, for a denied call) answered. */
  status?: number;
  /** RotateSecret's answer: the version the rotation started (its token). */
  versionId?: string;
}

/**
 * What IAM needs to know about resources a call names only by name: moto,
 * asked directly (never through the recorder), and the stand-in's stack.
 */
export interface ResourceDirectory {
  readonly environment: Environment;
  secretArn(secretId: string): Promise<string>;
  userArn(userName: string): Promise<string>;
  /** The ARN of the user an access key belongs (or belonged) to. */
  keyOwnerArn(accessKeyId: string): Promise<string>;
  /** The rotation function a secret is configured with, if any. */
  rotationFunctionOf(secretArn: string): Promise<string | undefined>;
  /** Learns from an answer AWS gave (the owner of each access key listed or created). */
  remember(call: string, answer: string): void;
}

/** The directory over moto's server: fixture clients with their own endpoint and credentials. */
export class MotoDirectory implements ResourceDirectory {
  private readonly iam: IAMClient;
  private readonly secretsManager: SecretsManagerClient;
  /** Access key id → the name of the user it belongs (or belonged) to. */
  private readonly owners = new Map<string, string>();
  /** User name → ARN (with the user's path), as IAM last answered. */
  private readonly users = new Map<string, string>();

  constructor(endpoint: string, readonly environment: Environment) {
    const config = { endpoint, region: environment.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    this.iam = new IAMClient(config);
    this.secretsManager = new SecretsManagerClient(config);
  }

  async secretArn(secretId: string): Promise<string> {
    if (secretId.startsWith('arn:')) return secretId;
    try {
      return (await this.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }))).ARN!;
    } catch {
      // No such secret: IAM still evaluates the request, on the ARN the name would have.
      const { partition, region, account } = this.environment;
      return `arn:${partition}:secretsmanager:${region}:${account}:secret:${secretId}`;
    }
  }

  async userArn(userName: string): Promise<string> {
    if (!this.users.has(userName)) {
      try {
        this.users.set(userName, (await this.iam.send(new GetUserCommand({ UserName: userName }))).User!.Arn!);
      } catch {
        // No such user (any more): IAM still evaluates the request, on the ARN the name has without a path.
        return `arn:${this.environment.partition}:iam::${this.environment.account}:user/${userName}`;
      }
    }
    return this.users.get(userName)!;
  }

  async keyOwnerArn(accessKeyId: string): Promise<string> {
    if (!this.owners.has(accessKeyId)) {
      for await (const page of paginateListUsers({ client: this.iam }, {})) {
        for (const user of page.Users ?? []) {
          this.users.set(user.UserName!, user.Arn!);
          const keys = await this.iam.send(new ListAccessKeysCommand({ UserName: user.UserName }));
          for (const k of keys.AccessKeyMetadata ?? []) this.owners.set(k.AccessKeyId!, user.UserName!);
        }
      }
    }
    const owner = this.owners.get(accessKeyId);
    if (!owner) throw new Error(`no user is known to own access key ${accessKeyId}: cannot tell which resource IAM authorizes`);
    return this.userArn(owner);
  }

  async rotationFunctionOf(secretArn: string): Promise<string | undefined> {
    try {
      return (await this.secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }))).RotationLambdaARN || undefined;
    } catch {
      return undefined;
    }
  }

  remember(call: string, answer: string): void {
    if (call !== 'iam:ListAccessKeys' && call !== 'iam:CreateAccessKey') return;
    // IAM answers in XML: each key (a <member>, or the created <AccessKey>) names its user.
    for (const [, , block] of answer.matchAll(/<(member|AccessKey)>([\s\S]*?)<\/\1>/g)) {
      const userName = /<UserName>([^<]+)<\/UserName>/.exec(block)?.[1];
      const keyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(block)?.[1];
      if (userName && keyId) this.owners.set(keyId, userName);
    }
  }
}

/** IAM's service prefix for SigV4's signing name. */
const PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };

/** Operations whose request IAM never evaluates (AWS documents that no permission is needed). */
const UNAUTHORIZED_OPERATIONS = new Set(['sts:GetCallerIdentity']);

/** Condition keys the recorder supplies, by action (`*` for every action of a service). */
const SUPPLIED_KEYS: Record<string, string[]> = {
  'secretsmanager:*': ['secretsmanager:SecretId'],
  'secretsmanager:RotateSecret': ['secretsmanager:RotationLambdaARN', 'secretsmanager:ModifyRotationRules', 'secretsmanager:RotateImmediately'],
  'secretsmanager:TagResource': ['aws:TagKeys', 'aws:RequestTag/*'],
  'secretsmanager:UntagResource': ['aws:TagKeys'],
  'secretsmanager:GetSecretValue': ['secretsmanager:VersionId', 'secretsmanager:VersionStage'],
  'events:PutEvents': ['events:source', 'events:detail-type'],
  'cloudwatch:PutMetricData': ['cloudwatch:namespace'],
};

function suppliedKeys(action: string): string[] {
  return [...(SUPPLIED_KEYS[`${action.split(':')[0]}:*`] ?? []), ...(SUPPLIED_KEYS[action] ?? [])].map((k) => k.toLowerCase());
}

/** The IAM requests one call makes: its own action on its resource(s), and any action the service checks on the caller's behalf. */
export async function iamRequestsOf(call: string, params: Record<string, unknown>, directory: ResourceDirectory): Promise<IamRequest[]> {
  const [service, operation] = call.split(':');
  const { partition, region, account, stackId } = directory.environment;
  const str = (name: string) => {
    const v = params[name];
    if (typeof v !== 'string') throw new Error(`${call} without ${name}: cannot tell which resource IAM authorizes`);
    return v;
  };
  switch (service) {
    case 'secretsmanager': {
      if (operation === 'ListSecrets' || operation === 'GetRandomPassword') return [{ action: call, resource: '*', context: {} }];
      const secret = await directory.secretArn(str('SecretId'));
      const context: Record<string, string | string[]> = { 'secretsmanager:SecretId': secret };
      const requests: IamRequest[] = [];
      if (operation === 'RotateSecret') {
        const fn = typeof params.RotationLambdaARN === 'string' ? params.RotationLambdaARN : await directory.rotationFunctionOf(secret);
        if (fn) context['secretsmanager:RotationLambdaARN'] = fn;
        context['secretsmanager:ModifyRotationRules'] = String(params.RotationRules !== undefined);
        context['secretsmanager:RotateImmediately'] = String(params.RotateImmediately ?? true);
        // Secrets Manager invokes the rotation function with the caller's permission (docs/SECURITY.md, "Operators").
        if (fn) requests.push({ action: 'lambda:InvokeFunction', resource: fn, context: {}, note: 'RotateSecret invokes the rotation function as the caller' });
      }
      if (operation === 'TagResource') {
        const tags = (params.Tags as { Key: string; Value: string }[] | undefined) ?? [];
        context['aws:TagKeys'] = tags.map((t) => t.Key);
        for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
      }
      if (operation === 'UntagResource') context['aws:TagKeys'] = (params.TagKeys as string[] | undefined) ?? [];
      if (operation === 'GetSecretValue') {
        if (typeof params.VersionStage === 'string') context['secretsmanager:VersionStage'] = params.VersionStage;
        if (typeof params.VersionId === 'string') context['secretsmanager:VersionId'] = params.VersionId;
      }
      return [{ action: call, resource: secret, context }, ...requests];
    }
    case 'iam': {
      if (operation === 'GetAccessKeyLastUsed') return [{ action: call, resource: await directory.keyOwnerArn(str('AccessKeyId')), context: {} }];
      if (['ListAccessKeys', 'CreateAccessKey', 'UpdateAccessKey', 'DeleteAccessKey', 'GetUser'].includes(operation)) {
        return [{ action: call, resource: await directory.userArn(str('UserName')), context: {} }];
      }
      break;
    }
    case 'cloudformation': {
      const name = str('StackName');
      const stackName = stackId?.split('/')[1];
      const resource = name.startsWith('arn:') ? name
        : name === stackName ? stackId! : `arn:${partition}:cloudformation:${region}:${account}:stack/${name}/*`;
      return [{ action: call, resource, context: {} }];
    }
    case 'events': {
      if (operation !== 'PutEvents') break;
      const entries = (params.Entries as { EventBusName?: string; Source?: string; DetailType?: string }[] | undefined) ?? [];
      const byBus = new Map<string, typeof entries>();
      for (const e of entries) {
        const name = e.EventBusName ?? 'default';
        const bus = name.startsWith('arn:') ? name : `arn:${partition}:events:${region}:${account}:event-bus/${name}`;
        byBus.set(bus, [...(byBus.get(bus) ?? []), e]);
      }
      return [...byBus].map(([bus, list]) => ({
        action: call,
        resource: bus,
        context: { 'events:source': [...new Set(list.map((e) => String(e.Source)))], 'events:detail-type': [...new Set(list.map((e) => String(e.DetailType)))] },
      }));
    }
    case 'lambda': {
      if (operation !== 'InvokeFunction') break;
      const name = str('FunctionName');
      const qualifier = typeof params.Qualifier === 'string' ? `:${params.Qualifier}` : '';
      const resource = name.startsWith('arn:') ? `${name}${qualifier}` : `arn:${partition}:lambda:${region}:${account}:function:${name}${qualifier}`;
      return [{ action: call, resource, context: {} }];
    }
    case 'cloudwatch':
      if (operation === 'PutMetricData') return [{ action: call, resource: '*', context: { 'cloudwatch:namespace': str('Namespace') } }];
      break;
  }
  throw new Error(`the recorder does not know how IAM authorizes ${call}: teach iamRequestsOf its resource and condition keys`);
}

/** Every condition key of the role's statements that apply to this action. */
function conditionKeysFor(action: string, policies: SimulationIdentityPolicy[]): string[] {
  const keys = new Set<string>();
  const matches = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);
  for (const p of policies) {
    const doc = p.policy as { Statement?: unknown };
    type Statement = { Action?: string | string[]; NotAction?: string | string[]; Condition?: Record<string, Record<string, unknown>> };
    const statements = [doc.Statement ?? []].flat() as Statement[];
    for (const st of statements) {
      const applies = st.Action !== undefined ? [st.Action].flat().some(matches) : ![st.NotAction ?? []].flat().some(matches);
      if (!applies || !st.Condition) continue;
      for (const byKey of Object.values(st.Condition)) for (const key of Object.keys(byKey)) keys.add(key);
    }
  }
  return [...keys];
}

/** The statement of a policy, named for a person: its Sid (or position) and the policy. */
function statementName(analysis: { policyId: string; statement: { sid(): string | undefined; index(): number } }): string {
  return `${analysis.statement.sid() ?? `statement ${analysis.statement.index() + 1}`} (${analysis.policyId})`;
}

/** Why a request came out as it did, in the role's own terms. */
function explain(request: IamRequest, verdict: Verdict, analyses: RequestAnalysis[]): string {
  const identity = analyses.map((a) => a.identityAnalysis).filter((a) => a !== undefined);
  if (verdict === 'Allowed') {
    return `allowed by ${[...new Set(identity.flatMap((a) => a.allowStatements.map(statementName)))].join(', ')}`;
  }
  if (verdict === 'ExplicitlyDenied') {
    return `explicitly denied by ${[...new Set(identity.flatMap((a) => a.denyStatements.map(statementName)))].join(', ')}`;
  }
  const near = identity.flatMap((a) => a.unmatchedStatements)
    .filter((s) => s.actionMatch && s.statement.isAllow());
  if (near.length === 0) return `no statement of the role allows ${request.action} on any resource`;
  const described = [...new Map(near.map((s) => {
    const raw = s.statement.toJSON() as { Resource?: string | string[] };
    const why = !s.resourceMatch ? `names only ${[raw.Resource ?? []].flat().map(shortArn).join(', ')}` : 'matches, but its condition does not hold';
    return [statementName(s), `${statementName(s)} ${why}`];
  })).values()];
  return `no statement allows this request: ${described.join('; ')}`;
}

/** An ARN cut to its resource part, for messages (placeholders are long). */
function shortArn(arn: string): string {
  const tail = arn.replace(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:/, '');
  return tail.length > 80 ? `${tail.slice(0, 60)}…` : tail;
}

/** Judges one request against the role as deployed. */
export async function judge(request: IamRequest, role: DeployedRole): Promise<{ verdict: Verdict; why: string }> {
  if (UNAUTHORIZED_OPERATIONS.has(request.action)) return { verdict: 'Allowed', why: 'needs no permission' };
  const supplied = suppliedKeys(request.action);
  const unsupplied = conditionKeysFor(request.action, role.policies)
    .filter((k) => !supplied.some((s) => (s.endsWith('/*') ? k.toLowerCase().startsWith(s.slice(0, -1)) : k.toLowerCase() === s)));
  if (unsupplied.length > 0) {
    throw new Error(`the role conditions ${request.action} on ${unsupplied.join(', ')}, which the recorder does not supply: `
      + 'the simulation would be vacuous; teach iamRequestsOf the key');
  }
  const simulation: Simulation = {
    request: {
      principal: role.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resource.split(':')[4] || role.principal.split(':')[4] },
      contextVariables: request.context,
    },
    identityPolicies: role.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') {
    throw new Error(`the simulator rejected ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`);
  }
  const results = response.resultType === 'single' ? [response.result] : response.results;
  const ignored = results.flatMap((r) => r.ignoredContextKeys ?? []);
  if (ignored.length > 0) throw new Error(`the simulator ignored context keys ${ignored.join(', ')} of ${request.action} on ${request.resource}`);
  const verdict = response.overallResult;
  return { verdict, why: explain(request, verdict, results.map((r) => r.analysis).filter((a) => a !== undefined)) };
}

export interface CallRecorderOptions {
  /** moto's server, which serves every service but CloudFormation. */
  readonly aws: string;
  /** The CloudFormation stand-in. */
  readonly cloudFormation: string;
  /** The access key id the function signs with (its environment's `AWS_ACCESS_KEY_ID`). */
  readonly accessKeyId: string;
  readonly directory: ResourceDirectory;
  /** The role as deployed at this moment, asked for every request. */
  readonly role: () => DeployedRole;
  /**
   * `enforce` (the default) answers a denied request with AccessDenied, as AWS
   * does; `observe` lets it through and only records the denial, so that one
   * run names every call the role would deny.
   */
  readonly mode?: 'enforce' | 'observe';
}

/** The wire between the function and AWS: records and judges each call of the function, forwards every call. */
export class CallRecorder {
  static async start(options: CallRecorderOptions): Promise<CallRecorder> {
    const recorder = new CallRecorder(options);
    const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
    recorder.endpoint = await listen(recorder.awsServer);
    recorder.cloudFormationEndpoint = await listen(recorder.cloudFormationServer);
    return recorder;
  }

  /** Where the function's `AWS_ENDPOINT_URL` points. */
  endpoint = '';
  /** Where the function's `AWS_ENDPOINT_URL_CLOUDFORMATION` points. */
  cloudFormationEndpoint = '';
  /** The phase the next calls belong to. */
  phase = '';
  readonly calls: RecordedCall[] = [];
  readonly decisions: Decision[] = [];
  /** Problems of the recorder itself (a call it could not map, a vacuous condition): they fail the test too. */
  readonly errors: string[] = [];
  private readonly awsServer: Server;
  private readonly cloudFormationServer: Server;

  /** What a denied request gets: see `CallRecorderOptions.mode`. */
  mode: 'enforce' | 'observe';

  private constructor(private readonly options: CallRecorderOptions) {
    this.mode = options.mode ?? 'enforce';
    this.awsServer = createServer((req, res) => this.serve(req, res, options.aws));
    this.cloudFormationServer = createServer((req, res) => this.serve(req, res, options.cloudFormation));
  }

  /** Requests the role denied (recorded in both modes). */
  denied(): Decision[] {
    return this.decisions.filter((d) => d.verdict !== 'Allowed');
  }

  reset(): void {
    this.calls.length = 0;
    this.decisions.length = 0;
    this.errors.length = 0;
    this.phase = '';
  }

  async stop(): Promise<void> {
    for (const server of [this.awsServer, this.cloudFormationServer]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse, upstream: string): void {
    this.handle(req, res, upstream).catch((e) => {
      this.errors.push(String((e as Error).stack ?? e));
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, upstream: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const signer = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
    let recorded: RecordedCall | undefined;
    let denial: { call: string; request: IamRequest; why: string; json: boolean } | undefined;
    if (signer && signer[1] === this.options.accessKeyId) {
      const target = req.headers['x-amz-target'];
      // Lambda's REST protocol names the operation by its path: Invoke is `POST /2015-03-31/functions/<name>/invocations`.
      const invoke = signer[2] === 'lambda' ? /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?Qualifier=([^&]+))?/.exec(req.url ?? '') : null;
      const json = typeof target === 'string' || invoke !== null;
      const params: Record<string, unknown> = invoke
        ? { FunctionName: decodeURIComponent(invoke[1]), ...(invoke[2] ? { Qualifier: decodeURIComponent(invoke[2]) } : {}) }
        : json ? JSON.parse(body.toString() || '{}') : Object.fromEntries(new URLSearchParams(body.toString()));
      const operation = invoke ? 'InvokeFunction' : json ? String(target).split('.').pop()! : String(params.Action);
      const call = `${PREFIX[signer[2]] ?? signer[2]}:${operation}`;
      recorded = { phase: this.phase, call, params };
      this.calls.push(recorded);
      const phase = this.phase;
      try {
        const role = this.options.role();
        for (const request of await iamRequestsOf(call, params, this.options.directory)) {
          const { verdict, why } = await judge(request, role);
          this.decisions.push({ phase, call, request, verdict, why });
          if (verdict !== 'Allowed' && !denial) denial = { call, request, why, json };
        }
      } catch (e) {
        this.errors.push(`${phase}: ${call}: ${(e as Error).message}`);
      }
    }
    if (denial && this.mode === 'enforce') {
      recorded!.status = denial.json ? 400 : 403;
      const message = `User: ${this.options.role().principal} is not authorized to perform: ${denial.request.action} on resource: ${denial.request.resource} (${denial.why})`;
      if (denial.json) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message }));
      } else {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${message.replace(/[<>&]/g, '')}</Message></Error>`
          + '<RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>');
      }
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers,
      body: ['GET', 'HEAD'].includes(req.method ?? '') ? undefined : body,
    });
    const out = Buffer.from(await answer.arrayBuffer());
    if (recorded) {
      recorded.status = answer.status;
      if (recorded.call === 'secretsmanager:RotateSecret' && answer.ok) recorded.versionId = JSON.parse(out.toString()).VersionId;
      if (answer.ok) this.options.directory.remember(recorded.call, out.toString());
    }
    res.writeHead(answer.status, Object.fromEntries([...answer.headers]
      .filter(([k]) => !['content-encoding', 'transfer-encoding', 'content-length'].includes(k))));
    res.end(out);
  }
}

/** The denials of a run, one line each: the phase, the call, the request and what is missing. */
export function describeDecisions(decisions: Decision[]): string {
  return decisions.map((d) => `[${d.phase}] ${d.call}${d.request.action !== d.call ? ` (needs ${d.request.action}${d.request.note ? `: ${d.request.note}` : ''})` : ''} `
    + `on ${d.request.resource}: ${d.verdict}: ${d.why}`).join('\n');
}
