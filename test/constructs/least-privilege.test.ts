/**
 * Least privilege of the shared rotation function's role, proven by policy
 * simulation rather than by reading the template: the stack is synthesized in
 * process, every policy attached to the function's role is collected and its
 * CloudFormation intrinsics resolved to concrete ARNs, and each request below
 * is evaluated by @cloud-copilot/iam-simulate in Strict mode.
 *
 * Allowed requests must come out 'Allowed'. Denied requests must come out
 * denied (implicitly, or explicitly by the role's guard statements) and, more
 * strictly, the identity policies alone must not allow them, so a denial that
 * only comes from elsewhere (a cross-account request, a missing trust policy)
 * still fails the test when the role itself grants too much.
 */
import { createHash } from 'crypto';
import {
  getGrantReasons, RequestAnalysis, runSimulation, Simulation, SimulationIdentityPolicy,
} from '@cloud-copilot/iam-simulate';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { AccessKeyRotator, RotatingAccessKey, RotatingAccessKeyUser } from '../../src';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';
const REGION = 'us-east-1';
const PARTITION = 'aws';
const EXTRA_USERS = 40;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Resources = Record<string, { Type: string; Properties?: JsonObject }>;

// ---------------------------------------------------------------------------
// Resolving CloudFormation intrinsics to concrete values
// ---------------------------------------------------------------------------

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': PARTITION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** A deterministic, realistic-looking KMS key id (a UUID) for a logical id. */
function fakeKeyId(logicalId: string): string {
  const h = createHash('sha256').update(logicalId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The ARN Secrets Manager would give a secret: its name and a six-character suffix. */
function fakeSecretArn(name: string): string {
  return `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
}

/**
 * Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select and Fn::Split over a
 * template's resources. Anything it does not know throws: an intrinsic left
 * unresolved would silently become a resource that matches nothing.
 */
class IntrinsicResolver {
  constructor(private readonly resources: Resources) {}

  public resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    const intrinsic = keys.find((k) => k === 'Ref' || k.startsWith('Fn::'));
    if (intrinsic !== undefined) {
      if (keys.length !== 1) throw new Error(`malformed intrinsic ${JSON.stringify(value)}`);
      return this.intrinsic(intrinsic, value[intrinsic]);
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(value[k])]));
  }

  public resolveString(value: Json): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, ${JSON.stringify(value)} resolved to ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private intrinsic(name: string, arg: Json): Json {
    switch (name) {
      case 'Ref':
        if (typeof arg !== 'string') throw new Error(`Ref of a non-string ${JSON.stringify(arg)}`);
        return this.ref(arg);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? arg.split('.') : [];
        if (typeof logicalId !== 'string' || typeof attribute !== 'string') throw new Error(`malformed Fn::GetAtt ${JSON.stringify(arg)}`);
        return this.getAtt(logicalId, attribute);
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') throw new Error(`malformed Fn::Join ${JSON.stringify(arg)}`);
        const parts = this.resolve(arg[1]);
        if (!Array.isArray(parts)) throw new Error(`Fn::Join of a non-list ${JSON.stringify(arg[1])}`);
        return parts.map((p) => {
          if (typeof p !== 'string') throw new Error(`Fn::Join of a non-string part ${JSON.stringify(p)}`);
          return p;
        }).join(arg[0]);
      }
      case 'Fn::Select': {
        if (!Array.isArray(arg) || arg.length !== 2) throw new Error(`malformed Fn::Select ${JSON.stringify(arg)}`);
        const index = Number(this.resolve(arg[0]));
        const list = this.resolve(arg[1]);
        if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
          throw new Error(`Fn::Select index ${JSON.stringify(arg[0])} out of ${JSON.stringify(list)}`);
        }
        return list[index];
      }
      case 'Fn::Split': {
        if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') throw new Error(`malformed Fn::Split ${JSON.stringify(arg)}`);
        return this.resolveString(arg[1]).split(arg[0]);
      }
      default:
        throw new Error(`cannot resolve intrinsic ${name}: ${JSON.stringify(arg)}`);
    }
  }

  private ref(name: string): Json {
    if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name];
    if (name.startsWith('AWS::')) throw new Error(`cannot resolve pseudo parameter ${name}`);
    const { Type: type, Properties: props = {} } = this.resource(name);
    switch (type) {
      case 'AWS::IAM::User': return this.nameOf(name, props.UserName);
      case 'AWS::IAM::Role': return this.nameOf(name, props.RoleName);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${PARTITION}:iam::${ACCOUNT}:policy${this.pathOf(props.Path)}${this.nameOf(name, props.ManagedPolicyName)}`;
      case 'AWS::SecretsManager::Secret': return fakeSecretArn(this.nameOf(name, props.Name));
      case 'AWS::KMS::Key': return fakeKeyId(name);
      case 'AWS::Logs::LogGroup': return this.nameOf(name, props.LogGroupName);
      case 'AWS::Lambda::Function': return this.nameOf(name, props.FunctionName);
      default: throw new Error(`cannot resolve Ref of ${name} (${type})`);
    }
  }

  private getAtt(logicalId: string, attribute: string): Json {
    const { Type: type, Properties: props = {} } = this.resource(logicalId);
    const key = `${type}.${attribute}`;
    switch (key) {
      case 'AWS::IAM::User.Arn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:user${this.pathOf(props.Path)}${this.ref(logicalId)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role${this.pathOf(props.Path)}${this.ref(logicalId)}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${fakeKeyId(logicalId)}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${this.ref(logicalId)}:*`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${this.ref(logicalId)}`;
      default: throw new Error(`cannot resolve Fn::GetAtt ${logicalId}.${attribute} (${type})`);
    }
  }

  private resource(logicalId: string) {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`cannot resolve a reference to ${logicalId}: no such resource or parameter`);
    return resource;
  }

  private nameOf(logicalId: string, name: Json | undefined): string {
    return name === undefined ? logicalId : this.resolveString(name);
  }

  private pathOf(path: Json | undefined): string {
    return path === undefined ? '/' : this.resolveString(path);
  }
}

// ---------------------------------------------------------------------------
// The stack under test
// ---------------------------------------------------------------------------

const app = new App();
const stack = new Stack(app, 'LeastPrivilege', { env: { account: ACCOUNT, region: REGION } });
const alice = new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice', path: '/service/' });
const bob = new RotatingAccessKey(stack, 'Bob', { user: iam.User.fromUserName(stack, 'BobUser', 'bob') });
const carolKey = new kms.Key(stack, 'CarolKey');
const carol = new RotatingAccessKey(stack, 'Carol', { user: iam.User.fromUserName(stack, 'CarolUser', 'carol'), encryptionKey: carolKey });
const extras = Array.from({ length: EXTRA_USERS }, (_, i) =>
  new RotatingAccessKey(stack, `Extra${i}`, { user: iam.User.fromUserName(stack, `Extra${i}User`, `extra-${i}`) }));
const lastExtra = extras[extras.length - 1];

const template = app.synth().getStackByName(stack.stackName).template as { Resources: Resources };
const resolver = new IntrinsicResolver(template.Resources);
const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
const secretArn = (s: secretsmanager.ISecret) => fakeSecretArn(logicalId(s));

// The role Lambda runs the function as: read from the function's own Role property.
const functionId = logicalId(AccessKeyRotator.of(stack).function);
const functionRole = template.Resources[functionId].Properties?.Role as JsonObject;
const roleId = (functionRole?.['Fn::GetAtt'] as string[] | undefined)?.[0];
if (!roleId || template.Resources[roleId]?.Type !== 'AWS::IAM::Role') {
  throw new Error(`the function's Role is not a role of the stack: ${JSON.stringify(functionRole)}`);
}
const roleName = resolver.resolveString({ Ref: roleId });
const PRINCIPAL = `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${roleName}/${resolver.resolveString({ Ref: functionId })}`;

/**
 * Every policy attached to the role, its intrinsics resolved: inline policies
 * (AWS::IAM::Policy, AWS::IAM::RolePolicy, the role's Policies) and managed
 * policies (AWS::IAM::ManagedPolicy naming the role in Roles, or listed in the
 * role's ManagedPolicyArns). A managed policy whose document is not in the
 * template (an AWS managed policy, say) throws: it cannot be simulated.
 */
function policiesOfRole(id: string): SimulationIdentityPolicy[] {
  const policies = new Map<string, { kind: string; document: Json }>();
  const namesRole = (roles: Json | undefined) => Array.isArray(roles) && roles.some((r) => resolver.resolve(r) === roleName);
  for (const [policyId, { Type: type, Properties: props = {} }] of Object.entries(template.Resources)) {
    if ((type === 'AWS::IAM::Policy' || type === 'AWS::IAM::ManagedPolicy') && namesRole(props.Roles)) {
      policies.set(policyId, { kind: type, document: props.PolicyDocument });
    }
    if (type === 'AWS::IAM::RolePolicy' && resolver.resolve(props.RoleName) === roleName) {
      policies.set(policyId, { kind: type, document: props.PolicyDocument });
    }
  }
  const role = template.Resources[id].Properties ?? {};
  for (const inline of (role.Policies ?? []) as JsonObject[]) {
    policies.set(`${id}/${resolver.resolveString(inline.PolicyName)}`, { kind: 'AWS::IAM::Role.Policies', document: inline.PolicyDocument });
  }
  for (const arn of (role.ManagedPolicyArns ?? []) as Json[]) {
    const ref = (arn as JsonObject)?.Ref;
    const managed = typeof ref === 'string' ? template.Resources[ref] : undefined;
    if (managed?.Type !== 'AWS::IAM::ManagedPolicy') {
      throw new Error(`the role has managed policy ${JSON.stringify(arn)} whose document is not in the template; cannot simulate it`);
    }
    policies.set(ref as string, { kind: managed.Type, document: managed.Properties?.PolicyDocument ?? null });
  }
  return [...policies].map(([name, { kind, document }]) => {
    if (!document) throw new Error(`${kind} ${name} has no PolicyDocument`);
    return { name: `${kind} ${name}`, policy: resolver.resolve(document) };
  });
}

const IDENTITY_POLICIES = policiesOfRole(roleId);

// ---------------------------------------------------------------------------
// Running a request through the simulator
// ---------------------------------------------------------------------------

interface RequestSpec {
  /** Whose resource, for the test name. */
  readonly given: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** The resource's own policy (a KMS key policy, a trust policy), when the service requires one. */
  readonly resourcePolicy?: Json;
}

interface Outcome {
  readonly overall: string;
  readonly analyses: RequestAnalysis[];
}

async function simulate(spec: RequestSpec, policies: SimulationIdentityPolicy[] = IDENTITY_POLICIES): Promise<Outcome> {
  const simulation: Simulation = {
    request: {
      principal: PRINCIPAL,
      action: spec.action,
      resource: { resource: spec.resource, accountId: spec.resource.split(':')[4] || ACCOUNT },
      contextVariables: spec.context ?? {},
    },
    identityPolicies: policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: spec.resourcePolicy,
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') {
    throw new Error(`the simulator rejected ${spec.action} on ${spec.resource}: ${JSON.stringify(response.errors)}`);
  }
  const results = response.resultType === 'single' ? [response.result] : response.results;
  if (results.length === 0) throw new Error(`no simulation ran for ${spec.action} on ${spec.resource}`);
  // A context key the simulator drops would make a condition vacuous: refuse it.
  const ignored = results.flatMap((r) => r.ignoredContextKeys ?? []);
  if (ignored.length > 0) throw new Error(`the simulator ignored context keys ${ignored.join(', ')} of ${spec.action} on ${spec.resource}`);
  return { overall: response.overallResult, analyses: results.map((r) => r.analysis) };
}

function grantingPolicies(outcome: Outcome): string[] {
  return outcome.analyses.flatMap((a) => getGrantReasons(a))
    .map((g) => (g.policyType === 'resource' ? 'resource policy' : g.policyIdentifier));
}

// ---------------------------------------------------------------------------
// The resources
// ---------------------------------------------------------------------------

const iamUser = (path: string, account = ACCOUNT) => `arn:${PARTITION}:iam::${account}:user${path}`;
const ALICE = iamUser('/service/alice');
const BOB = iamUser('/bob');
const LAST_EXTRA = iamUser(`/extra-${EXTRA_USERS - 1}`);
const ALICE_SECRET = secretArn(alice.secret);
const BOB_SECRET = secretArn(bob.secret);
const LAST_EXTRA_SECRET = secretArn(lastExtra.secret);
const OTHER_SECRET = fakeSecretArn('mallory-access-key');
const CAROL_KEY = resolver.resolveString({ 'Fn::GetAtt': [logicalId(carolKey), 'Arn'] });
const CAROL_KEY_POLICY = resolver.resolve(template.Resources[logicalId(carolKey)].Properties?.KeyPolicy ?? null);
const OTHER_KEY = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${fakeKeyId('SomeoneElsesKey')}`;
const DEFAULT_BUS = `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/default`;
const ADMIN_ROLE = `arn:${PARTITION}:iam::${ACCOUNT}:role/admin`;
const LOG_GROUP = `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${resolver.resolveString(
  (template.Resources[functionId].Properties?.LoggingConfig as JsonObject | undefined)?.LogGroup ?? null)}`;
const TRUSTS_ACCOUNT: Json = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
};
const VIA_SECRETS_MANAGER = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
const FUNCTION_ARN = resolver.resolveString({ 'Fn::GetAtt': [functionId, 'Arn'] });
const THROUGH_THIS_FUNCTION = { 'secretsmanager:RotationLambdaARN': FUNCTION_ARN };
const FROM_THIS_LIBRARY = { 'events:source': 'cdk-rotating-access-keys', 'events:detail-type': 'Access Key Created' };

const KEY_ACTIONS = ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:UpdateAccessKey', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed', 'iam:GetUser'];
const SECRET_ACTIONS = [
  'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret',
  'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:RotateSecret',
];
/** RotateSecret is allowed only with this function as the rotation function. */
function rotationContext(action: string): Record<string, string> | undefined {
  return action === 'secretsmanager:RotateSecret' ? THROUGH_THIS_FUNCTION : undefined;
}
const WRITE_KEY_ACTIONS = ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:UpdateAccessKey'];

const ALLOWED: RequestSpec[] = [
  ...KEY_ACTIONS.map((action) => ({ given: "alice's user (path /service/)", action, resource: ALICE })),
  ...KEY_ACTIONS.map((action) => ({ given: "bob's imported user", action, resource: BOB })),
  ...SECRET_ACTIONS.map((action) => ({ given: "alice's secret", action, resource: ALICE_SECRET, context: rotationContext(action) })),
  ...SECRET_ACTIONS.map((action) => ({ given: "bob's secret", action, resource: BOB_SECRET, context: rotationContext(action) })),
  { given: "alice's secret and the previous-key state tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:previous-key'] } },
  { given: "bob's secret and the previous-key state tag", action: 'secretsmanager:TagResource', resource: BOB_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:previous-key'] } },
  { given: "alice's secret and the current-key and creating state tags", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:current-key', 'access-key-rotation:creating'] } },
  { given: "bob's secret and the creating state tag", action: 'secretsmanager:UntagResource', resource: BOB_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:creating'] } },
  { given: "alice's secret and an old key's progress tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:key/AKIAOLDKEY0000000001'] } },
  { given: "alice's secret and old keys' progress tags", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:key/AKIAOLDKEY0000000001', 'access-key-rotation:previous-key'] } },
  { given: 'the managed secrets to find', action: 'secretsmanager:ListSecrets', resource: '*' },
  { given: 'the default event bus', action: 'events:PutEvents', resource: DEFAULT_BUS, context: FROM_THIS_LIBRARY },
  { given: "the function's log group", action: 'logs:PutLogEvents', resource: `${LOG_GROUP}:log-stream:2024/01/01/[$LATEST]0123456789abcdef` },
  { given: "carol's secret (customer key)", action: 'secretsmanager:GetSecretValue', resource: secretArn(carol.secret) },
  { given: "carol's customer key", action: 'kms:Decrypt', resource: CAROL_KEY, resourcePolicy: CAROL_KEY_POLICY, context: VIA_SECRETS_MANAGER },
  { given: "carol's customer key", action: 'kms:GenerateDataKey', resource: CAROL_KEY, resourcePolicy: CAROL_KEY_POLICY, context: VIA_SECRETS_MANAGER },
  { given: `the user of registration ${EXTRA_USERS + 3} (second managed policy)`, action: 'iam:CreateAccessKey', resource: LAST_EXTRA },
  { given: `the secret of registration ${EXTRA_USERS + 3} (second managed policy)`, action: 'secretsmanager:PutSecretValue', resource: LAST_EXTRA_SECRET },
];

const DENIED: RequestSpec[] = [
  ...WRITE_KEY_ACTIONS.map((action) => ({ given: 'an unregistered admin user', action, resource: iamUser('/admin') })),
  ...WRITE_KEY_ACTIONS.map((action) => ({ given: "an unregistered user in alice's path", action, resource: iamUser('/service/mallory') })),
  { given: "a user whose name starts with bob's", action: 'iam:CreateAccessKey', resource: iamUser('/bob-admin') },
  { given: 'a new user', action: 'iam:CreateUser', resource: iamUser('/new-user') },
  { given: "alice's user", action: 'iam:AttachUserPolicy', resource: ALICE },
  { given: "alice's user", action: 'iam:PutUserPolicy', resource: ALICE },
  { given: "alice's user", action: 'iam:DeleteUser', resource: ALICE },
  { given: 'a user named alice in another account', action: 'iam:CreateAccessKey', resource: iamUser('/service/alice', OTHER_ACCOUNT) },
  { given: 'a user named bob in another account', action: 'iam:UpdateAccessKey', resource: iamUser('/bob', OTHER_ACCOUNT) },
  { given: "another user's secret", action: 'secretsmanager:GetSecretValue', resource: OTHER_SECRET },
  { given: "another user's secret", action: 'secretsmanager:PutSecretValue', resource: OTHER_SECRET },
  { given: "alice's secret and the configuration tag access-key-rotation:user", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:user'] } },
  { given: "alice's secret and a state tag plus the configuration tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:previous-key', 'access-key-rotation:deactivate-after-seconds'] } },
  { given: "alice's secret and the tag Owner", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['Owner'] } },
  { given: "alice's secret and the configuration tag access-key-rotation:user", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:user'] } },
  { given: "alice's secret", action: 'secretsmanager:DeleteSecret', resource: ALICE_SECRET },
  { given: "alice's secret", action: 'secretsmanager:PutResourcePolicy', resource: ALICE_SECRET },
  { given: "alice's secret", action: 'secretsmanager:CancelRotateSecret', resource: ALICE_SECRET },
  { given: "another user's secret and a state tag", action: 'secretsmanager:TagResource', resource: OTHER_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:previous-key'] } },
  { given: 'another key whose key policy trusts the account', action: 'kms:Decrypt', resource: OTHER_KEY, resourcePolicy: CAROL_KEY_POLICY, context: VIA_SECRETS_MANAGER },
  { given: 'an admin role', action: 'iam:PassRole', resource: ADMIN_ROLE },
  { given: 'an admin role that trusts the account', action: 'sts:AssumeRole', resource: ADMIN_ROLE, resourcePolicy: TRUSTS_ACCOUNT },
  { given: 'another event bus', action: 'events:PutEvents', resource: `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/payments`, context: FROM_THIS_LIBRARY },
  { given: 'the default bus and another source', action: 'events:PutEvents', resource: DEFAULT_BUS, context: { 'events:source': 'com.payments', 'events:detail-type': 'Payment' } },
  {
    given: "alice's secret and another rotation function",
    action: 'secretsmanager:RotateSecret',
    resource: ALICE_SECRET,
    context: { 'secretsmanager:RotationLambdaARN': `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:exfiltrate` },
  },
  { given: "alice's secret and the operator's hold tag", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:hold'] } },
  { given: "alice's secret and a look-alike of the progress tags", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:keys'] } },
  { given: "alice's secret and the current-key tag", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:current-key'] } },
  {
    given: "carol's customer key, called directly rather than through Secrets Manager",
    action: 'kms:Decrypt',
    resource: CAROL_KEY,
    resourcePolicy: CAROL_KEY_POLICY,
    context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
  },
  { given: "carol's customer key", action: 'kms:Encrypt', resource: CAROL_KEY, resourcePolicy: CAROL_KEY_POLICY, context: VIA_SECRETS_MANAGER },
  { given: 'another log group', action: 'logs:PutLogEvents', resource: `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/other:log-stream:x` },
];

// ---------------------------------------------------------------------------
// The specification
// ---------------------------------------------------------------------------

describe('the rotation function role', () => {
  test('GIVEN the synthesized stack WHEN the role\'s policies are collected THEN the default policy and both registration policies are found, fully resolved', () => {
    const kinds = IDENTITY_POLICIES.map((p) => p.name.split(' ')[0]);
    expect(kinds.filter((k) => k === 'AWS::IAM::Policy')).toHaveLength(2); // the default policy and the guards
    expect(kinds.filter((k) => k === 'AWS::IAM::ManagedPolicy')).toHaveLength(2);
    // IAM refuses a managed policy over 6,144 characters (white space not counted).
    for (const p of IDENTITY_POLICIES.filter((q) => q.name.startsWith('AWS::IAM::ManagedPolicy'))) {
      expect(JSON.stringify(p.policy).length).toBeLessThanOrEqual(6144);
    }
    expect(JSON.stringify(IDENTITY_POLICIES)).not.toMatch(/"Ref"|"Fn::/);
    expect(PRINCIPAL).toMatch(/^arn:aws:sts::123456789012:assumed-role\/AccessKeyRotatorRole[0-9A-F]{8}\//);
  });

  test.each(ALLOWED)('GIVEN $given WHEN the function calls $action THEN it is allowed', async (spec) => {
    const outcome = await simulate(spec);

    expect(outcome.overall).toBe('Allowed');
    expect(grantingPolicies(outcome).some((p) => p.startsWith('AWS::IAM::'))).toBe(true);
  });

  test.each(DENIED)('GIVEN $given WHEN the function calls $action THEN it is denied', async (spec) => {
    const outcome = await simulate(spec);

    expect(['ImplicitlyDenied', 'ExplicitlyDenied']).toContain(outcome.overall);
    // The identity policies alone must not allow it, whatever else denies it.
    for (const analysis of outcome.analyses) expect(['ImplicitlyDenied', 'ExplicitlyDenied']).toContain(analysis.identityAnalysis?.result);
  });

  test(`GIVEN ${EXTRA_USERS + 3} registrations WHEN the first and the last are simulated THEN each is granted by a different managed policy`, async () => {
    const first = grantingPolicies(await simulate({ given: 'alice', action: 'iam:CreateAccessKey', resource: ALICE }));
    const last = grantingPolicies(await simulate({ given: 'last', action: 'iam:CreateAccessKey', resource: LAST_EXTRA }));

    expect(first).toEqual([expect.stringMatching(/^AWS::IAM::ManagedPolicy /)]);
    expect(last).toEqual([expect.stringMatching(/^AWS::IAM::ManagedPolicy /)]);
    expect(last[0]).not.toBe(first[0]);
  });
});

describe('the intrinsic resolver', () => {
  const resources: Resources = {
    User: { Type: 'AWS::IAM::User', Properties: { UserName: 'u', Path: '/p/' } },
    Secret: { Type: 'AWS::SecretsManager::Secret' },
    Queue: { Type: 'AWS::SQS::Queue' },
  };
  const r = new IntrinsicResolver(resources);

  test.each<[string, Json, Json]>([
    ['a user\'s Ref', { Ref: 'User' }, 'u'],
    ['a user\'s Arn with its path', { 'Fn::GetAtt': ['User', 'Arn'] }, 'arn:aws:iam::123456789012:user/p/u'],
    ['a secret\'s Ref', { Ref: 'Secret' }, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:Secret-AbCdEf'],
    ['pseudo parameters in a Join', { 'Fn::Join': [':', [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::URLSuffix' }]] }, 'aws:us-east-1:123456789012:amazonaws.com'],
    ['a Select of a Split', { 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['User', 'Arn'] }] }] }, 'p'],
  ])('GIVEN %s WHEN resolved THEN it is concrete', (_, input, expected) => {
    expect(r.resolve(input)).toEqual(expected);
  });

  test.each<[string, Json, RegExp]>([
    ['an unsupported intrinsic', { 'Fn::Sub': 'arn:${AWS::Partition}:x' }, /cannot resolve intrinsic Fn::Sub/],
    ['a Ref of a missing resource', { Ref: 'Nope' }, /no such resource/],
    ['a Ref of an unsupported resource type', { Ref: 'Queue' }, /cannot resolve Ref of Queue/],
    ['an unsupported attribute', { 'Fn::GetAtt': ['User', 'PermissionsBoundary'] }, /cannot resolve Fn::GetAtt/],
    ['an unknown pseudo parameter', { Ref: 'AWS::StackName' }, /pseudo parameter/],
    ['a Select out of range', { 'Fn::Select': [3, ['a']] }, /out of/],
    ['an intrinsic nested in a statement', { Statement: [{ Resource: { 'Fn::ImportValue': 'x' } }] }, /Fn::ImportValue/],
  ])('GIVEN %s WHEN resolved THEN it fails loudly', (_, input, error) => {
    expect(() => r.resolve(input)).toThrow(error);
  });
});
