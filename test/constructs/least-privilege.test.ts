/**
 * Least privilege of the shared rotation function's role, and of what
 * `grantRead` gives a consumer, proven by policy simulation rather than by
 * reading the template: the stack is synthesized in process, every policy
 * attached to a role is collected and its CloudFormation intrinsics resolved
 * to concrete ARNs (test/support/intrinsics.ts), and each request below is
 * evaluated by @cloud-copilot/iam-simulate in Strict mode.
 *
 * Allowed requests must come out 'Allowed'. Denied requests must come out
 * denied (implicitly, or explicitly by the role's guard statements) and, more
 * strictly, the identity policies alone must not allow them, so a denial that
 * only comes from elsewhere (a cross-account request, a missing trust policy)
 * still fails the test when the role itself grants too much.
 *
 * The departures custom resource feeds two statements of the role: its
 * attributes are resolved (a) as the function answers when nothing departs
 * (placeholders that name nothing) and (b) as it answers the update that
 * removes a DESTROY registration, computed with the function's own
 * `departing()` from the registrations of the stack before and after.
 */
import {
  getGrantReasons, RequestAnalysis, runSimulation, Simulation, SimulationIdentityPolicy, typeForContextKey,
} from '@cloud-copilot/iam-simulate';
import { App, CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { AccessKeyRotator, RotatingAccessKey, RotatingAccessKeyUser } from '../../src';
import {
  DEPARTURES_SEPARATOR, DeparturesAttributes, DeparturesProperties, placeholderSecretArn, placeholderUserArn, userArnProblem,
} from '../../src/rotation/contract';
import { departing } from '../../src/rotation/decide';
import { Environment, fakeKeyId, IntrinsicResolver, Json, JsonObject, Resources, TEST_ENV } from '../support/intrinsics';

const ACCOUNT = TEST_ENV.account;
const OTHER_ACCOUNT = '210987654321';
const REGION = TEST_ENV.region;
const PARTITION = TEST_ENV.partition;
const STACK_NAME = 'LeastPrivilege';
const ENVIRONMENT: Environment = {
  ...TEST_ENV,
  stackId: `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/5d0c8e10-7a4b-11ef-9c1e-0affd3e5a1b7`,
};
const EXTRA_USERS = 40;
const DAVE = `arn:${PARTITION}:iam::${ACCOUNT}:user/onprem/dave`;

type Template = { Resources: Resources };

// ---------------------------------------------------------------------------
// The stack under test, before and after an update that removes dave's
// DESTROY registration
// ---------------------------------------------------------------------------

function synthesize(withDave: boolean) {
  const app = new App();
  const stack = new Stack(app, STACK_NAME, { env: { account: ACCOUNT, region: REGION } });
  const alice = new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice', path: '/service/' });
  const bob = new RotatingAccessKey(stack, 'Bob', { user: iam.User.fromUserName(stack, 'BobUser', 'bob') });
  const carolKey = new kms.Key(stack, 'CarolKey');
  const carol = new RotatingAccessKey(stack, 'Carol', { user: iam.User.fromUserName(stack, 'CarolUser', 'carol'), encryptionKey: carolKey });
  const dave = withDave
    ? new RotatingAccessKey(stack, 'Dave', { user: iam.User.fromUserArn(stack, 'DaveUser', DAVE), removalPolicy: RemovalPolicy.DESTROY })
    : undefined;
  const extras = Array.from({ length: EXTRA_USERS }, (_, i) =>
    new RotatingAccessKey(stack, `Extra${i}`, { user: iam.User.fromUserName(stack, `Extra${i}User`, `extra-${i}`) }));
  // A consumer of carol's key (customer-managed KMS key).
  const consumer = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  carol.grantRead(consumer);
  // Operators: one who may rotate bob's key, one who may revoke it, and one who operates alice's key with the CLI.
  const rotations = new iam.Role(stack, 'Rotations', { assumedBy: new iam.AccountRootPrincipal() });
  bob.grantRotate(rotations);
  const revoker = new iam.Role(stack, 'Revoker', { assumedBy: new iam.AccountRootPrincipal() });
  bob.grantRevoke(revoker);
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  alice.grantOperate(operator);

  const template = app.synth().getStackByName(stack.stackName).template as Template;
  const logicalId = (c: IConstruct) => stack.resolve(stack.getLogicalId(
    (CfnElement.isCfnElement(c) ? c : c.node.defaultChild) as CfnElement)) as string;
  const rotator = AccessKeyRotator.of(stack);
  return {
    template,
    logicalId,
    alice,
    bob,
    carol,
    carolKey,
    dave,
    extras,
    consumer,
    rotations,
    revoker,
    operator,
    functionId: logicalId(rotator.function),
    guardsId: logicalId(rotator.node.findChild('Guards')),
    departuresId: logicalId(rotator.node.findChild('Departures')),
  };
}
type Deployment = ReturnType<typeof synthesize>;

/** The departures resource's answer: ARNs a line each, or placeholders when none depart (as the function answers). */
function departuresAnswer(gone: { secretArns: string[]; userArns: string[] }): Record<string, string> {
  const users = gone.userArns.length ? gone.userArns : [placeholderUserArn(PARTITION, ACCOUNT)];
  const secrets = gone.secretArns.length ? gone.secretArns : [placeholderSecretArn(PARTITION, REGION, ACCOUNT)];
  return {
    [DeparturesAttributes.USERS]: users.join(DEPARTURES_SEPARATOR),
    [DeparturesAttributes.SECRETS]: secrets.join(DEPARTURES_SEPARATOR),
  };
}

/** A resolver of a deployment's template, with the departures resource's attributes as given. */
function resolverOf(d: Deployment, gone = { secretArns: [] as string[], userArns: [] as string[] }): IntrinsicResolver {
  const answer = departuresAnswer(gone);
  return new IntrinsicResolver(d.template.Resources, ENVIRONMENT, Object.fromEntries(
    Object.entries(answer).map(([attribute, value]) => [`${d.departuresId}.${attribute}`, value])));
}

/** The registrations the departures resource lists, resolved. */
function listedRegistrations(d: Deployment): string[] {
  const list = d.template.Resources[d.departuresId].Properties?.[DeparturesProperties.REGISTRATIONS] ?? [];
  // One string, a line per registration.
  return (resolverOf(d).resolve(list) as string).split('\n').filter((r) => r !== '');
}

/** The role a function or service runs as: read from the role's logical id. */
function roleNameOf(d: Deployment, resolver: IntrinsicResolver, roleId: string): string {
  if (d.template.Resources[roleId]?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the stack`);
  return resolver.resolveString({ Ref: roleId });
}

/**
 * Every policy attached to a role, its intrinsics resolved: inline policies
 * (AWS::IAM::Policy, AWS::IAM::RolePolicy, the role's Policies) and managed
 * policies (AWS::IAM::ManagedPolicy naming the role in Roles, or listed in the
 * role's ManagedPolicyArns). A managed policy whose document is not in the
 * template (an AWS managed policy, say) throws: it cannot be simulated.
 */
function policiesOfRole(d: Deployment, resolver: IntrinsicResolver, roleId: string): SimulationIdentityPolicy[] {
  const { template } = d;
  const roleName = roleNameOf(d, resolver, roleId);
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
  const role = template.Resources[roleId].Properties ?? {};
  for (const inline of (role.Policies ?? []) as JsonObject[]) {
    policies.set(`${roleId}/${resolver.resolveString(inline.PolicyName)}`, { kind: 'AWS::IAM::Role.Policies', document: inline.PolicyDocument });
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

/** The function's role, as Lambda runs it: read from the function's own Role property. */
function functionRoleId(d: Deployment): string {
  const role = d.template.Resources[d.functionId].Properties?.Role as JsonObject;
  const id = (role?.['Fn::GetAtt'] as string[] | undefined)?.[0];
  if (!id) throw new Error(`the function's Role is not a role of the stack: ${JSON.stringify(role)}`);
  return id;
}

const NEW = synthesize(false);
const OLD = synthesize(true);
const RESOLVER = resolverOf(NEW);
/** What the departures resource answers the update from OLD to NEW (its old and new Registrations, resolved). */
const GONE = departing(listedRegistrations(OLD), listedRegistrations(NEW));
const ROLE_ID = functionRoleId(NEW);
const ROLE_NAME = roleNameOf(NEW, RESOLVER, ROLE_ID);
const FUNCTION_NAME = RESOLVER.resolveString({ Ref: NEW.functionId });
const PRINCIPAL = `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${ROLE_NAME}/${FUNCTION_NAME}`;
/** (a) The role as it stands: nothing departs. */
const IDENTITY_POLICIES = policiesOfRole(NEW, RESOLVER, ROLE_ID);
/** (b) The role in the update that removes dave, once the departures resource has answered. */
const AFTER_UPDATE_POLICIES = policiesOfRole(NEW, resolverOf(NEW, GONE), ROLE_ID);
/** The role before that update, when dave was registered. */
const BEFORE_UPDATE_POLICIES = policiesOfRole(OLD, resolverOf(OLD), functionRoleId(OLD));
const CONSUMER_ID = NEW.logicalId(NEW.consumer);
const CONSUMER_POLICIES = policiesOfRole(NEW, RESOLVER, CONSUMER_ID);
const CONSUMER = `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${roleNameOf(NEW, RESOLVER, CONSUMER_ID)}/backup-shipper-task`;
/** A person's session in one of the operator roles. */
function operatorCaller(role: IConstruct): { principal: string; policies: SimulationIdentityPolicy[] } {
  const id = NEW.logicalId(role);
  return { principal: `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${roleNameOf(NEW, RESOLVER, id)}/jane`, policies: policiesOfRole(NEW, RESOLVER, id) };
}

// ---------------------------------------------------------------------------
// Running a request through the simulator
// ---------------------------------------------------------------------------

/**
 * The simulator recognises a condition key with a variable part only when the
 * variable follows a '/' (aws:PrincipalTag/Team). KMS's encryption context keys
 * put it after a ':' (kms:EncryptionContext:SecretARN), so the simulator drops
 * them from the request as unknown (ignoredContextKeys), although IAM's data
 * for kms:Decrypt lists kms:EncryptionContext:${EncryptionContextKey} and the
 * simulator knows the key's type. Such a key is handed to the simulator under a
 * stand-in: a key of the same action and the same type that no simulated
 * policy uses, renamed in the request and in the policies alike. Every other
 * context key still goes through the ignoredContextKeys check, and the tests at
 * the end prove each stand-in is sound and still needed.
 */
const STAND_INS: Record<string, { standIn: string; action: string }> = {
  'kms:EncryptionContext:SecretARN': { standIn: 'kms:RequestAlias', action: 'kms:Decrypt' },
};
const standInFor = (key: string) => Object.entries(STAND_INS).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1].standIn;

function withStandIns(policy: Json): Json {
  if (Array.isArray(policy)) return policy.map(withStandIns);
  if (policy === null || typeof policy !== 'object') return policy;
  return Object.fromEntries(Object.entries(policy).map(([k, v]) => {
    if (k !== 'Condition' || v === null || typeof v !== 'object' || Array.isArray(v)) return [k, withStandIns(v)];
    return [k, Object.fromEntries(Object.entries(v).map(([operator, keys]) => [operator,
      Object.fromEntries(Object.entries(keys as JsonObject).map(([key, value]) => [standInFor(key) ?? key, value]))]))];
  }));
}

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

interface Caller {
  readonly principal: string;
  readonly policies: SimulationIdentityPolicy[];
}
const FUNCTION: Caller = { principal: PRINCIPAL, policies: IDENTITY_POLICIES };
/** A consumer granted read of carol's secret (customer key). */
const READER: Caller = { principal: CONSUMER, policies: CONSUMER_POLICIES };

async function simulate(spec: RequestSpec, caller: Caller = FUNCTION, standIns = true): Promise<Outcome> {
  const rename = standIns ? withStandIns : (p: Json) => p;
  const context = Object.fromEntries(Object.entries(spec.context ?? {}).map(([k, v]) => [(standIns && standInFor(k)) || k, v]));
  const simulation: Simulation = {
    request: {
      principal: caller.principal,
      action: spec.action,
      resource: { resource: spec.resource, accountId: spec.resource.split(':')[4] || ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: caller.policies.map((p) => ({ ...p, policy: rename(p.policy as Json) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: spec.resourcePolicy === undefined ? undefined : rename(spec.resourcePolicy),
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') {
    throw new Error(`the simulator rejected ${spec.action} on ${spec.resource}: ${JSON.stringify(response.errors)}`);
  }
  const results = response.resultType === 'single' ? [response.result] : response.results;
  // A request on '*' (an action without resource types) that no statement allows has no per-statement results.
  const deniedWildcard = response.resultType === 'wildcard' && response.overallResult !== 'Allowed';
  if (results.length === 0 && !deniedWildcard) throw new Error(`no simulation ran for ${spec.action} on ${spec.resource}`);
  // A context key the simulator drops would make a condition vacuous: refuse it.
  const ignored = results.flatMap((r) => r.ignoredContextKeys ?? []);
  if (ignored.length > 0) throw new Error(`the simulator ignored context keys ${ignored.join(', ')} of ${spec.action} on ${spec.resource}`);
  return { overall: response.overallResult, analyses: results.map((r) => r.analysis) };
}

function grantingPolicies(outcome: Outcome): string[] {
  return outcome.analyses.flatMap((a) => getGrantReasons(a))
    .map((g) => (g.policyType === 'resource' ? 'resource policy' : g.policyIdentifier));
}

function expectDenied(outcome: Outcome): void {
  expect(['ImplicitlyDenied', 'ExplicitlyDenied']).toContain(outcome.overall);
  // The identity policies alone must not allow it, whatever else denies it.
  for (const analysis of outcome.analyses) expect(['ImplicitlyDenied', 'ExplicitlyDenied']).toContain(analysis.identityAnalysis?.result);
}

// ---------------------------------------------------------------------------
// The resources
// ---------------------------------------------------------------------------

const iamUser = (path: string, account = ACCOUNT) => `arn:${PARTITION}:iam::${account}:user${path}`;
const secretArn = (d: Deployment, key: RotatingAccessKey) => resolverOf(d).resolveString({ Ref: d.logicalId(key.secret) });
const ALICE = iamUser('/service/alice');
const BOB = iamUser('/bob');
const LAST_EXTRA = iamUser(`/extra-${EXTRA_USERS - 1}`);
const ALICE_SECRET = secretArn(NEW, NEW.alice.accessKey);
const BOB_SECRET = secretArn(NEW, NEW.bob);
const CAROL_SECRET = secretArn(NEW, NEW.carol);
const DAVE_SECRET = secretArn(OLD, OLD.dave!);
const LAST_EXTRA_SECRET = secretArn(NEW, NEW.extras[EXTRA_USERS - 1]);
const OTHER_SECRET = RESOLVER.secretArn('mallory-access-key');
const CAROL_KEY = RESOLVER.resolveString({ 'Fn::GetAtt': [NEW.logicalId(NEW.carolKey), 'Arn'] });
const CAROL_KEY_POLICY = RESOLVER.resolve(NEW.template.Resources[NEW.logicalId(NEW.carolKey)].Properties?.KeyPolicy ?? null);
const OTHER_KEY = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${fakeKeyId('SomeoneElsesKey')}`;
const DEFAULT_BUS = `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/default`;
const ADMIN_ROLE = `arn:${PARTITION}:iam::${ACCOUNT}:role/admin`;
const OWN_STACK = ENVIRONMENT.stackId!;
const OTHER_STACK = `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/Payments/0b1d2c3e-7a4b-11ef-9c1e-0affd3e5a1b7`;
/** A stack of the same name created anew (another stack id). */
const SAME_NAME_STACK = `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/11111111-2222-4333-8444-555555555555`;
const LOG_GROUP = `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${RESOLVER.resolveString(
  (NEW.template.Resources[NEW.functionId].Properties?.LoggingConfig as JsonObject | undefined)?.LogGroup ?? null)}`;
const TRUSTS_ACCOUNT: Json = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
};
const VIA_SECRETS_MANAGER = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
const FUNCTION_ARN = RESOLVER.resolveString({ 'Fn::GetAtt': [NEW.functionId, 'Arn'] });
const OTHER_FUNCTION = `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:exfiltrate`;
const THROUGH_THIS_FUNCTION = { 'secretsmanager:RotationLambdaARN': FUNCTION_ARN };
const FROM_THIS_LIBRARY = { 'events:source': 'cdk-rotating-access-keys', 'events:detail-type': 'Access Key Created' };

const KEY_ACTIONS = ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:UpdateAccessKey', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'];
const SECRET_ACTIONS = [
  'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret',
  'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:RotateSecret',
  'secretsmanager:CancelRotateSecret',
];
const STACK_ACTIONS = ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'];
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
  ...STACK_ACTIONS.map((action) => ({ given: 'its own stack', action, resource: OWN_STACK })),
  { given: 'itself, as Secrets Manager\'s RotateSecret requires of its caller', action: 'lambda:InvokeFunction', resource: FUNCTION_ARN },
  { given: "alice's secret and the previous-key state tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:previous-key'] } },
  { given: "bob's secret and the previous-key state tag", action: 'secretsmanager:TagResource', resource: BOB_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:previous-key'] } },
  { given: "alice's secret and the current-key and creating state tags", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:current-key', 'access-key-rotation:creating'] } },
  { given: "bob's secret and the creating state tag", action: 'secretsmanager:UntagResource', resource: BOB_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:creating'] } },
  { given: "alice's secret and the old key's progress tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:progress', 'access-key-rotation:previous-key'] } },
  { given: "alice's secret and an earlier version's progress tags", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:key/AKIAOLDKEY0000000001', 'access-key-rotation:previous-key'] } },
  { given: 'the managed secrets to find', action: 'secretsmanager:ListSecrets', resource: '*' },
  { given: 'the credential report, generated for the daily check of current keys', action: 'iam:GenerateCredentialReport', resource: '*' },
  { given: 'the credential report, read for the daily check of current keys', action: 'iam:GetCredentialReport', resource: '*' },
  { given: 'its failure metrics, in the library\'s namespace', action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'cdk-rotating-access-keys' } },
  { given: 'the default event bus', action: 'events:PutEvents', resource: DEFAULT_BUS, context: FROM_THIS_LIBRARY },
  { given: "the function's log group", action: 'logs:PutLogEvents', resource: `${LOG_GROUP}:log-stream:2024/01/01/[$LATEST]0123456789abcdef` },
  { given: "carol's secret (customer key)", action: 'secretsmanager:GetSecretValue', resource: CAROL_SECRET },
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
  // The credential report is the only account-wide IAM read: no listing of users, no other user's keys, no key's last use.
  { given: 'every user (the daily check reads the report only)', action: 'iam:ListUsers', resource: '*' },
  { given: 'an unregistered user', action: 'iam:ListAccessKeys', resource: iamUser('/admin') },
  { given: 'an unregistered user', action: 'iam:GetAccessKeyLastUsed', resource: iamUser('/admin') },
  { given: 'the account\'s authorization details', action: 'iam:GetAccountAuthorizationDetails', resource: '*' },
  { given: "alice's user (no longer needed: the registry names the user)", action: 'iam:GetUser', resource: ALICE },
  { given: "alice's user", action: 'iam:AttachUserPolicy', resource: ALICE },
  { given: "alice's user", action: 'iam:PutUserPolicy', resource: ALICE },
  { given: "alice's user", action: 'iam:DeleteUser', resource: ALICE },
  { given: 'a user named alice in another account', action: 'iam:CreateAccessKey', resource: iamUser('/service/alice', OTHER_ACCOUNT) },
  { given: 'a user named bob in another account', action: 'iam:UpdateAccessKey', resource: iamUser('/bob', OTHER_ACCOUNT) },
  { given: "another user's secret", action: 'secretsmanager:GetSecretValue', resource: OTHER_SECRET },
  { given: "another user's secret", action: 'secretsmanager:PutSecretValue', resource: OTHER_SECRET },
  { given: "another user's secret", action: 'secretsmanager:ListSecretVersionIds', resource: OTHER_SECRET },
  { given: "another user's secret", action: 'secretsmanager:CancelRotateSecret', resource: OTHER_SECRET },
  { given: "another user's secret", action: 'secretsmanager:DescribeSecret', resource: OTHER_SECRET },
  { given: "alice's secret and the tag access-key-rotation:user", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:user'] } },
  { given: "alice's secret and a state tag plus another tag of the prefix", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:previous-key', 'access-key-rotation:deactivate-after-seconds'] } },
  { given: "alice's secret and the tag Owner", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['Owner'] } },
  { given: "alice's secret and the tag access-key-rotation:user", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:user'] } },
  { given: "alice's secret", action: 'secretsmanager:DeleteSecret', resource: ALICE_SECRET },
  { given: "alice's secret", action: 'secretsmanager:PutResourcePolicy', resource: ALICE_SECRET },
  { given: "alice's secret", action: 'secretsmanager:UpdateSecret', resource: ALICE_SECRET },
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
    context: { 'secretsmanager:RotationLambdaARN': OTHER_FUNCTION },
  },
  { given: "alice's secret and the operator's hold tag", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:hold'] } },
  { given: "alice's secret and a look-alike of the progress tags", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:keys'] } },
  { given: "alice's secret and an earlier version's progress tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: { 'aws:TagKeys': ['access-key-rotation:key/AKIAOLDKEY0000000001'] } },
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
  ...STACK_ACTIONS.map((action) => ({ given: 'another stack', action, resource: OTHER_STACK })),
  { given: 'a stack of the same name created anew (another stack id)', action: 'cloudformation:DescribeStackResource', resource: SAME_NAME_STACK },
  { given: 'its own stack', action: 'cloudformation:UpdateStack', resource: OWN_STACK },
  { given: 'its own stack', action: 'cloudformation:DeleteStack', resource: OWN_STACK },
  { given: 'its own stack', action: 'cloudformation:SignalResource', resource: OWN_STACK },
  { given: 'another function', action: 'lambda:InvokeFunction', resource: OTHER_FUNCTION },
  { given: 'metrics of another namespace', action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'AWS/Billing' } },
  { given: 'itself', action: 'lambda:UpdateFunctionCode', resource: FUNCTION_ARN },
  { given: 'itself', action: 'lambda:UpdateFunctionConfiguration', resource: FUNCTION_ARN },
  // Dave's registration is not in this stack: nothing of his is reachable while nothing departs.
  { given: 'the user of a registration no longer in the stack', action: 'iam:ListAccessKeys', resource: DAVE },
  { given: 'the user of a registration no longer in the stack', action: 'iam:DeleteAccessKey', resource: DAVE },
  { given: 'the secret of a registration no longer in the stack', action: 'secretsmanager:DescribeSecret', resource: DAVE_SECRET },
  { given: 'the secret of a registration no longer in the stack', action: 'secretsmanager:CancelRotateSecret', resource: DAVE_SECRET },
];

// ---------------------------------------------------------------------------
// The specification
// ---------------------------------------------------------------------------

describe('the rotation function role', () => {
  test('GIVEN the synthesized stack WHEN the role\'s policies are collected THEN its own inline policy, the guards and both registration policies are found, fully resolved', () => {
    const kinds = IDENTITY_POLICIES.map((p) => p.name.split(' ')[0]);
    expect(kinds.filter((k) => k === 'AWS::IAM::Role.Policies')).toHaveLength(1); // the role's own statements
    expect(kinds.filter((k) => k === 'AWS::IAM::Policy')).toHaveLength(1); // the guards
    expect(IDENTITY_POLICIES.map((p) => p.name)).toContain(`AWS::IAM::Policy ${NEW.guardsId}`);
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
    expectDenied(await simulate(spec));
  });

  test(`GIVEN ${EXTRA_USERS + 3} registrations WHEN the first and the last are simulated THEN each is granted by a different managed policy`, async () => {
    const first = grantingPolicies(await simulate({ given: 'alice', action: 'iam:CreateAccessKey', resource: ALICE }));
    const last = grantingPolicies(await simulate({ given: 'last', action: 'iam:CreateAccessKey', resource: LAST_EXTRA }));

    expect(first).toEqual([expect.stringMatching(/^AWS::IAM::ManagedPolicy /)]);
    expect(last).toEqual([expect.stringMatching(/^AWS::IAM::ManagedPolicy /)]);
    expect(last[0]).not.toBe(first[0]);
  });

  test('GIVEN nothing departs WHEN the departures statements are resolved THEN they name placeholders no user or secret can have', () => {
    const guards = IDENTITY_POLICIES.find((p) => p.name === `AWS::IAM::Policy ${NEW.guardsId}`)!.policy as { Statement: JsonObject[] };
    const bySid = Object.fromEntries(guards.Statement.map((s) => [s.Sid, s]));
    const user = placeholderUserArn(PARTITION, ACCOUNT);
    const secret = placeholderSecretArn(PARTITION, REGION, ACCOUNT);
    expect(bySid.ReleaseDepartingUsers.Resource).toEqual([user]);
    expect(bySid.ReleaseDepartingSecrets.Resource).toEqual([secret]);
    // IAM user names have at most 64 characters, secret names at most 512.
    expect(userArnProblem(user)).toBeDefined();
    expect(user.slice(user.lastIndexOf('/') + 1).length).toBeGreaterThan(64);
    expect(secret.slice(secret.indexOf(':secret:') + ':secret:'.length).length).toBeGreaterThan(512);
  });
});

describe('an update that removes a DESTROY registration', () => {
  /** The calls the function makes to remove a departing DESTROY registration, on its user and secret. */
  const REMOVAL_CALLS: RequestSpec[] = [
    { given: "the departing user's keys", action: 'iam:ListAccessKeys', resource: DAVE },
    { given: "the departing user's keys", action: 'iam:GetAccessKeyLastUsed', resource: DAVE },
    { given: "the departing user's keys", action: 'iam:DeleteAccessKey', resource: DAVE },
    { given: 'the departing secret', action: 'secretsmanager:DescribeSecret', resource: DAVE_SECRET },
    { given: 'the departing secret', action: 'secretsmanager:ListSecretVersionIds', resource: DAVE_SECRET },
    { given: 'the departing secret', action: 'secretsmanager:CancelRotateSecret', resource: DAVE_SECRET },
    // Reading the departing secret's keys to hand them over to the registration that takes its place (a rename, a move).
    { given: 'the departing secret', action: 'secretsmanager:GetSecretValue', resource: DAVE_SECRET },
  ];
  const AFTER_UPDATE: Caller = { principal: PRINCIPAL, policies: AFTER_UPDATE_POLICIES };

  test('GIVEN the registrations before and after WHEN the function computes the departures THEN exactly dave\'s secret and user depart', () => {
    expect(GONE).toEqual({ secretArns: [DAVE_SECRET], userArns: [DAVE] });
  });

  test.each(REMOVAL_CALLS)('GIVEN the stack before the update WHEN the function calls $action on $given THEN its registration policy allows it', async (spec) => {
    const outcome = await simulate(spec, { principal: PRINCIPAL, policies: BEFORE_UPDATE_POLICIES });
    expect(outcome.overall).toBe('Allowed');
  });

  test.each(REMOVAL_CALLS)('GIVEN the new template\'s policies WHEN the function removes the registration and calls $action on $given THEN the guards allow it', async (spec) => {
    const outcome = await simulate(spec, AFTER_UPDATE);

    expect(outcome.overall).toBe('Allowed');
    expect(grantingPolicies(outcome)).toEqual([`AWS::IAM::Policy ${NEW.guardsId}`]);
  });

  test.each<RequestSpec>([
    { given: 'the departing user', action: 'iam:CreateAccessKey', resource: DAVE },
    { given: 'the departing user', action: 'iam:UpdateAccessKey', resource: DAVE },
    { given: 'the departing secret', action: 'secretsmanager:PutSecretValue', resource: DAVE_SECRET },
    { given: 'the departing secret', action: 'secretsmanager:RotateSecret', resource: DAVE_SECRET, context: THROUGH_THIS_FUNCTION },
    { given: 'the departing secret', action: 'secretsmanager:UpdateSecretVersionStage', resource: DAVE_SECRET },
    { given: 'another user', action: 'iam:ListAccessKeys', resource: iamUser('/onprem/mallory') },
    { given: 'another user', action: 'iam:DeleteAccessKey', resource: iamUser('/onprem/mallory') },
    { given: 'a user named dave in another account', action: 'iam:DeleteAccessKey', resource: iamUser('/onprem/dave', OTHER_ACCOUNT) },
    { given: 'another secret', action: 'secretsmanager:DescribeSecret', resource: OTHER_SECRET },
    { given: 'another secret', action: 'secretsmanager:CancelRotateSecret', resource: OTHER_SECRET },
  ])('GIVEN the new template\'s policies WHEN the function calls $action on $given THEN it is denied', async (spec) => {
    expectDenied(await simulate(spec, AFTER_UPDATE));
  });
});

describe('the order CloudFormation applies that update in', () => {
  /** Logical ids a resource depends on: DependsOn, and every Ref or Fn::GetAtt of another resource. */
  function dependencies(template: Template, id: string): Set<string> {
    const found = new Set<string>([template.Resources[id].DependsOn ?? []].flat());
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (v === null || typeof v !== 'object') return;
      for (const [k, inner] of Object.entries(v)) {
        if (k === 'Ref' && typeof inner === 'string' && inner in template.Resources) found.add(inner);
        else if (k === 'Fn::GetAtt') found.add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]);
        else walk(inner);
      }
    };
    walk(template.Resources[id].Properties);
    return found;
  }
  /** True when CloudFormation must finish `to` before it starts `from`. */
  function waitsFor(template: Template, from: string, to: string, seen = new Set<string>()): boolean {
    for (const dep of dependencies(template, from)) {
      if (dep === to) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        if (waitsFor(template, dep, to, seen)) return true;
      }
    }
    return false;
  }
  const ofType = (template: Template, type: string) => Object.keys(template.Resources).filter((id) => template.Resources[id].Type === type);
  const registrationPolicies = ofType(NEW.template, 'AWS::IAM::ManagedPolicy');
  const daveRotation = OLD.logicalId(OLD.dave!.node.findChild('Rotation'));

  test('GIVEN the update WHEN the departures resource compares its properties THEN they changed, so CloudFormation sends it an Update in this deployment', () => {
    expect(listedRegistrations(OLD)).not.toEqual(listedRegistrations(NEW));
    expect(listedRegistrations(OLD).filter((r) => !listedRegistrations(NEW).includes(r))).toEqual([`${DAVE_SECRET} ${DAVE}`]);
  });

  test('GIVEN the new template THEN the guards reference the departures resource\'s attributes: CloudFormation updates the departures first', () => {
    const statements = (NEW.template.Resources[NEW.guardsId].Properties?.PolicyDocument as { Statement: JsonObject[] }).Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.ReleaseDepartingUsers.Resource).toEqual({ 'Fn::Split': [DEPARTURES_SEPARATOR, { 'Fn::GetAtt': [NEW.departuresId, DeparturesAttributes.USERS] }] });
    expect(bySid.ReleaseDepartingSecrets.Resource).toEqual({ 'Fn::Split': [DEPARTURES_SEPARATOR, { 'Fn::GetAtt': [NEW.departuresId, DeparturesAttributes.SECRETS] }] });
    expect(waitsFor(NEW.template, NEW.guardsId, NEW.departuresId)).toBe(true);
  });

  test('GIVEN the new template THEN the departures (and through them the guards) wait for every registration policy: an update changes the policies first, and a rollback puts the departures back while the policies still name what it undoes', () => {
    expect(registrationPolicies).toHaveLength(2);
    for (const id of registrationPolicies) {
      expect([NEW.template.Resources[NEW.departuresId].DependsOn].flat()).toContain(id);
      expect(waitsFor(NEW.template, NEW.guardsId, id)).toBe(true);
    }
  });

  test('GIVEN the new template THEN no registration policy waits for the departures or the guards (no cycle)', () => {
    for (const id of registrationPolicies) {
      expect(waitsFor(NEW.template, id, NEW.departuresId)).toBe(false);
      expect(waitsFor(NEW.template, id, NEW.guardsId)).toBe(false);
    }
    expect(waitsFor(NEW.template, NEW.departuresId, NEW.guardsId)).toBe(false);
  });

  test('GIVEN the old template THEN the removed rotation resource depends on the guards (and through them on every registration policy), and the new template no longer has it', () => {
    // Gone from the new template: CloudFormation deletes it in the cleanup, after every update of the deployment
    // (the widened guards included), and before any resource it depended on should that one be deleted too.
    expect(NEW.template.Resources[daveRotation]).toBeUndefined();
    const daveUserArns = (id: string) => JSON.stringify(OLD.template.Resources[id].Properties?.PolicyDocument).includes(DAVE);
    const davePolicy = ofType(OLD.template, 'AWS::IAM::ManagedPolicy').filter(daveUserArns);
    expect(davePolicy).toHaveLength(1);
    expect([OLD.template.Resources[daveRotation].DependsOn].flat()).toEqual([OLD.guardsId]);
    expect(waitsFor(OLD.template, daveRotation, davePolicy[0])).toBe(true);
    // That policy stays in the new template (updated, not deleted), without dave.
    expect(NEW.template.Resources[davePolicy[0]]).toBeDefined();
    expect(JSON.stringify(NEW.template.Resources[davePolicy[0]].Properties?.PolicyDocument)).not.toContain('onprem/dave');
  });
});

describe('grantRead', () => {
  const BY_SECRETS_MANAGER_FOR = (secret: string) => ({ ...VIA_SECRETS_MANAGER, 'kms:EncryptionContext:SecretARN': secret });

  test.each<RequestSpec>([
    { given: "carol's secret, no version named (AWSCURRENT)", action: 'secretsmanager:GetSecretValue', resource: CAROL_SECRET },
    { given: "carol's secret, AWSCURRENT", action: 'secretsmanager:GetSecretValue', resource: CAROL_SECRET, context: { 'secretsmanager:VersionStage': 'AWSCURRENT' } },
    { given: "carol's secret", action: 'secretsmanager:DescribeSecret', resource: CAROL_SECRET },
    {
      given: "carol's customer key, through Secrets Manager for carol's secret",
      action: 'kms:Decrypt',
      resource: CAROL_KEY,
      resourcePolicy: CAROL_KEY_POLICY,
      context: BY_SECRETS_MANAGER_FOR(CAROL_SECRET),
    },
  ])('GIVEN $given WHEN a consumer granted read calls $action THEN it is allowed', async (spec) => {
    const outcome = await simulate(spec, READER);

    expect(outcome.overall).toBe('Allowed');
    // Granted by the consumer's own policy (a key policy that trusts the account only delegates to it).
    expect(grantingPolicies(outcome).filter((p) => p !== 'resource policy')).toEqual([expect.stringMatching(/^AWS::IAM::Policy Consumer/)]);
    for (const analysis of outcome.analyses) expect(analysis.identityAnalysis?.result).toBe('Allowed');
  });

  test.each<RequestSpec>([
    { given: "carol's previous key (AWSPREVIOUS)", action: 'secretsmanager:GetSecretValue', resource: CAROL_SECRET, context: { 'secretsmanager:VersionStage': 'AWSPREVIOUS' } },
    { given: "carol's pending key (AWSPENDING)", action: 'secretsmanager:GetSecretValue', resource: CAROL_SECRET, context: { 'secretsmanager:VersionStage': 'AWSPENDING' } },
    { given: "a version of carol's secret by id", action: 'secretsmanager:GetSecretValue', resource: CAROL_SECRET, context: { 'secretsmanager:VersionId': 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111' } },
    {
      given: "a version of carol's secret by id and AWSCURRENT",
      action: 'secretsmanager:GetSecretValue',
      resource: CAROL_SECRET,
      context: { 'secretsmanager:VersionId': 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', 'secretsmanager:VersionStage': 'AWSCURRENT' },
    },
    { given: "alice's secret", action: 'secretsmanager:GetSecretValue', resource: ALICE_SECRET },
    { given: "carol's secret", action: 'secretsmanager:PutSecretValue', resource: CAROL_SECRET },
    { given: "carol's secret", action: 'secretsmanager:ListSecretVersionIds', resource: CAROL_SECRET },
    {
      given: "carol's customer key, through Secrets Manager for alice's secret",
      action: 'kms:Decrypt',
      resource: CAROL_KEY,
      resourcePolicy: CAROL_KEY_POLICY,
      context: BY_SECRETS_MANAGER_FOR(ALICE_SECRET),
    },
    {
      given: "carol's customer key, through Secrets Manager without an encryption context",
      action: 'kms:Decrypt',
      resource: CAROL_KEY,
      resourcePolicy: CAROL_KEY_POLICY,
      context: VIA_SECRETS_MANAGER,
    },
    {
      given: "carol's customer key, called directly with carol's secret as encryption context",
      action: 'kms:Decrypt',
      resource: CAROL_KEY,
      resourcePolicy: CAROL_KEY_POLICY,
      context: { 'kms:EncryptionContext:SecretARN': CAROL_SECRET },
    },
    {
      given: "carol's customer key, through S3 with carol's secret as encryption context",
      action: 'kms:Decrypt',
      resource: CAROL_KEY,
      resourcePolicy: CAROL_KEY_POLICY,
      context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': CAROL_SECRET },
    },
    {
      given: "carol's customer key, through Secrets Manager for carol's secret",
      action: 'kms:GenerateDataKey',
      resource: CAROL_KEY,
      resourcePolicy: CAROL_KEY_POLICY,
      context: VIA_SECRETS_MANAGER,
    },
  ])('GIVEN $given WHEN a consumer granted read calls $action THEN it is denied', async (spec) => {
    expectDenied(await simulate(spec, READER));
  });

  test('GIVEN the consumer\'s policies THEN they name carol\'s secret and key only, and the key policy is left as it was', () => {
    const resources = JSON.stringify(CONSUMER_POLICIES.map((p) => p.policy));
    expect(resources).toContain(CAROL_SECRET);
    expect(resources).toContain(CAROL_KEY);
    expect(resources).not.toMatch(/"Resource":"\*"/);
    expect(JSON.stringify(CAROL_KEY_POLICY)).not.toContain('Consumer');
  });
});

describe('grantRead from another Region of the secret\'s account', () => {
  const AWAY = 'eu-west-1';
  const NAME = 'onprem/nas-sync';
  /** The ARN Secrets Manager gives the secret: its name and a six-character suffix the template cannot know. */
  const REAL_SECRET = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${NAME}-AbCdEf`;

  /** The secret's stack in REGION, a reader's in AWAY, of one account. */
  function crossRegion(options: { secretName?: string; encrypted?: boolean; crossRegionReferences?: boolean } = {}) {
    const app = new App();
    const home = new Stack(app, 'Home', { env: { account: ACCOUNT, region: REGION } });
    const key = new RotatingAccessKey(home, 'NasSync', {
      user: iam.User.fromUserName(home, 'User', 'nas-sync'),
      secretName: options.secretName,
      encryptionKey: options.encrypted ? new kms.Key(home, 'SecretKey') : undefined,
    });
    const away = new Stack(app, 'Away', { env: { account: ACCOUNT, region: AWAY }, crossRegionReferences: options.crossRegionReferences });
    const reader = new iam.Role(away, 'Reader', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    return { app, key, away, reader };
  }

  function readerOf(): Caller {
    const { app, key, away, reader } = crossRegion({ secretName: NAME });
    key.grantRead(reader);
    const template = app.synth().getStackByName(away.stackName).template as Template;
    const resolver = new IntrinsicResolver(template.Resources, { partition: PARTITION, account: ACCOUNT, region: AWAY });
    const roleId = away.resolve(away.getLogicalId(reader.node.defaultChild as CfnElement)) as string;
    const policies = policiesOfRole({ template } as Deployment, resolver, roleId);
    return { principal: `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${roleNameOf({ template } as Deployment, resolver, roleId)}/nas-task`, policies };
  }

  test.each<RequestSpec>([
    { given: 'the secret (its real ARN, with the suffix), no version named', action: 'secretsmanager:GetSecretValue', resource: REAL_SECRET },
    { given: 'the secret, AWSCURRENT', action: 'secretsmanager:GetSecretValue', resource: REAL_SECRET, context: { 'secretsmanager:VersionStage': 'AWSCURRENT' } },
    { given: 'the secret', action: 'secretsmanager:DescribeSecret', resource: REAL_SECRET },
  ])('GIVEN $given WHEN a reader in another Region calls $action THEN it is allowed', async (spec) => {
    const outcome = await simulate(spec, readerOf());
    expect(outcome.overall).toBe('Allowed');
  });

  test.each<RequestSpec>([
    { given: 'the secret, AWSPREVIOUS', action: 'secretsmanager:GetSecretValue', resource: REAL_SECRET, context: { 'secretsmanager:VersionStage': 'AWSPREVIOUS' } },
    {
      given: 'a secret whose name extends this one\'s',
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${NAME}-old-AbCdEf`,
    },
    { given: 'a secret of the same name in the reader\'s Region', action: 'secretsmanager:GetSecretValue', resource: REAL_SECRET.replace(REGION, AWAY) },
  ])('GIVEN $given WHEN a reader in another Region calls $action THEN it is denied', async (spec) => {
    expectDenied(await simulate(spec, readerOf()));
  });

  test('GIVEN no secretName WHEN read from another Region THEN grantRead refuses, saying what to set', () => {
    const { key, reader } = crossRegion();
    expect(() => key.grantRead(reader)).toThrow(`grantRead (Python: grant_read): the grantee is in Region ${AWAY} and the secret Home/NasSync/Secret in ${REGION}: `
      + 'a policy in another Region can name the secret only by its name; set secretName (Python: secret_name) on Home/NasSync, or set crossRegionReferences (Python: cross_region_references) to true '
      + 'on the grantee\'s stack Away');
  });

  test('GIVEN a customer-managed key WHEN read from another Region THEN grantRead refuses, saying what to set', () => {
    const { key, reader } = crossRegion({ secretName: NAME, encrypted: true });
    expect(() => key.grantRead(reader)).toThrow(`grantRead (Python: grant_read): the grantee is in Region ${AWAY} and the secret Home/NasSync/Secret in ${REGION}, `
      + 'encrypted with a customer-managed key, whose ARN a policy in another Region cannot name; set crossRegionReferences (Python: cross_region_references) to true on the grantee\'s stack Away');
  });

  test('GIVEN crossRegionReferences on the reader\'s stack WHEN read from another Region without secretName THEN the grant names the full ARN, read across Regions', () => {
    const { app, key, away, reader } = crossRegion({ crossRegionReferences: true });
    key.grantRead(reader);
    const template = JSON.stringify(app.synth().getStackByName(away.stackName).template);
    expect(template).not.toContain('-??????');
    expect(template).toContain('Custom::CrossRegionExportReader');
  });
});

describe('what the operator grants allow (the CLI\'s commands) and deny', () => {
  const ROTATIONS = operatorCaller(NEW.rotations);
  const REVOKER = operatorCaller(NEW.revoker);
  const OPERATOR = operatorCaller(NEW.operator);
  const tags = (...keys: string[]) => ({ 'aws:TagKeys': keys });
  const MODIFY_RULES = 'secretsmanager:ModifyRotationRules';
  const IMMEDIATELY = 'secretsmanager:RotateImmediately';
  /** What Secrets Manager puts in the context of a RotateSecret that names no rules and rotates now. */
  const AS_SCHEDULED = { [MODIFY_RULES]: 'false', [IMMEDIATELY]: 'true' };
  const HOLD = 'access-key-rotation:hold';
  const REVOKE = 'access-key-rotation:revoke';
  /** What every command reads to find the secret's registration. */
  const registryReads = (secret: string, who: string): RequestSpec[] => [
    { given: `${who} secret`, action: 'secretsmanager:DescribeSecret', resource: secret },
    { given: 'the rotation function\'s configuration', action: 'lambda:GetFunctionConfiguration', resource: FUNCTION_ARN },
    { given: 'the registry in the rotator\'s stack', action: 'cloudformation:DescribeStackResource', resource: OWN_STACK },
  ];
  const rotate = (secret: string, who: string): RequestSpec[] => [
    ...registryReads(secret, who),
    { given: `${who} secret, as configured`, action: 'secretsmanager:RotateSecret', resource: secret },
    { given: `${who} secret, through its rotation function`, action: 'secretsmanager:RotateSecret', resource: secret, context: THROUGH_THIS_FUNCTION },
    { given: `${who} secret, now and on its schedule (as the CLI asks)`, action: 'secretsmanager:RotateSecret', resource: secret, context: AS_SCHEDULED },
    { given: 'the rotation function, as RotateSecret requires', action: 'lambda:InvokeFunction', resource: FUNCTION_ARN },
  ];
  /** RotateSecret requests that would move the schedule out of the registry's reach: denied to every grant. */
  const scheduleChanges = (secret: string, who: string): RequestSpec[] => [
    { given: `${who} secret with new rotation rules`, action: 'secretsmanager:RotateSecret', resource: secret, context: { ...AS_SCHEDULED, [MODIFY_RULES]: 'true' } },
    { given: `${who} secret, not now`, action: 'secretsmanager:RotateSecret', resource: secret, context: { ...AS_SCHEDULED, [IMMEDIATELY]: 'false' } },
    {
      given: `${who} secret with new rules, not now, through its function`,
      action: 'secretsmanager:RotateSecret',
      resource: secret,
      context: { ...THROUGH_THIS_FUNCTION, [MODIFY_RULES]: 'true', [IMMEDIATELY]: 'false' },
    },
  ];
  const cases: [string, { principal: string; policies: SimulationIdentityPolicy[] }, RequestSpec[], RequestSpec[]][] = [
    ['grantRotate', ROTATIONS, rotate(BOB_SECRET, "bob's"), [
      ...scheduleChanges(BOB_SECRET, "bob's"),
      { given: "alice's secret", action: 'secretsmanager:RotateSecret', resource: ALICE_SECRET },
      { given: "bob's secret through another function", action: 'secretsmanager:RotateSecret', resource: BOB_SECRET, context: { 'secretsmanager:RotationLambdaARN': OTHER_FUNCTION } },
      { given: "bob's secret's value", action: 'secretsmanager:GetSecretValue', resource: BOB_SECRET },
      { given: "bob's secret and the revoke tag", action: 'secretsmanager:TagResource', resource: BOB_SECRET, context: tags(REVOKE) },
      { given: "bob's keys", action: 'iam:UpdateAccessKey', resource: BOB },
      { given: 'the rotation function\'s code', action: 'lambda:UpdateFunctionCode', resource: FUNCTION_ARN },
      { given: 'another function', action: 'lambda:InvokeFunction', resource: OTHER_FUNCTION },
      { given: 'another stack', action: 'cloudformation:DescribeStackResource', resource: OTHER_STACK },
    ]],
    ['grantRevoke', REVOKER, [
      ...rotate(BOB_SECRET, "bob's"),
      { given: "bob's secret and the revoke tag", action: 'secretsmanager:TagResource', resource: BOB_SECRET, context: tags(REVOKE) },
    ], [
      ...scheduleChanges(BOB_SECRET, "bob's"),
      { given: "bob's secret and the hold tag", action: 'secretsmanager:TagResource', resource: BOB_SECRET, context: tags(HOLD) },
      { given: "bob's secret, the revoke tag and another", action: 'secretsmanager:TagResource', resource: BOB_SECRET, context: tags(REVOKE, 'Owner') },
      { given: "bob's secret, tags not named", action: 'secretsmanager:TagResource', resource: BOB_SECRET },
      { given: "alice's secret and the revoke tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: tags(REVOKE) },
      { given: "bob's secret and the revoke tag", action: 'secretsmanager:UntagResource', resource: BOB_SECRET, context: tags(REVOKE) },
      { given: "bob's keys", action: 'iam:DeleteAccessKey', resource: BOB },
    ]],
    ['grantOperate', OPERATOR, [
      ...rotate(ALICE_SECRET, "alice's"),
      ...['iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey']
        .map((action) => ({ given: "alice's keys", action, resource: ALICE })),
      { given: "alice's secret and the hold tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: tags(HOLD) },
      { given: "alice's secret and the hold tag", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: tags(HOLD) },
      { given: "alice's secret and the revoke tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: tags(REVOKE) },
      { given: "alice's secret and the revoke tag", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: tags(REVOKE) },
      { given: 'the rotator\'s stack, to find its registry', action: 'cloudformation:ListStackResources', resource: OWN_STACK },
    ], [
      ...scheduleChanges(ALICE_SECRET, "alice's"),
      { given: "alice's user", action: 'iam:CreateAccessKey', resource: ALICE },
      { given: "bob's keys", action: 'iam:UpdateAccessKey', resource: BOB },
      { given: "bob's keys", action: 'iam:DeleteAccessKey', resource: BOB },
      { given: "alice's secret's value", action: 'secretsmanager:GetSecretValue', resource: ALICE_SECRET },
      { given: "alice's secret", action: 'secretsmanager:PutSecretValue', resource: ALICE_SECRET },
      { given: "alice's secret", action: 'secretsmanager:UpdateSecretVersionStage', resource: ALICE_SECRET },
      { given: "alice's secret", action: 'secretsmanager:DeleteSecret', resource: ALICE_SECRET },
      { given: "alice's secret", action: 'secretsmanager:CancelRotateSecret', resource: ALICE_SECRET },
      { given: "alice's secret and the function's previous-key tag", action: 'secretsmanager:TagResource', resource: ALICE_SECRET, context: tags('access-key-rotation:previous-key') },
      { given: "alice's secret and the function's current-key tag", action: 'secretsmanager:UntagResource', resource: ALICE_SECRET, context: tags('access-key-rotation:current-key') },
      { given: "bob's secret and the hold tag", action: 'secretsmanager:TagResource', resource: BOB_SECRET, context: tags(HOLD) },
      { given: "bob's secret", action: 'secretsmanager:RotateSecret', resource: BOB_SECRET },
      { given: 'another stack', action: 'cloudformation:ListStackResources', resource: OTHER_STACK },
      { given: 'every secret', action: 'secretsmanager:ListSecrets', resource: '*' },
    ]],
  ];

  describe.each(cases)('%s', (_, caller, allowed, denied) => {
    test.each(allowed)('GIVEN $given WHEN the operator calls $action THEN it is allowed', async (spec) => {
      expect((await simulate(spec, caller)).overall).toBe('Allowed');
    });

    test.each(denied)('GIVEN $given WHEN the operator calls $action THEN it is denied', async (spec) => {
      expectDenied(await simulate(spec, caller));
    });
  });
});

describe('the simulator\'s stand-ins for encryption context keys', () => {
  const ALL_POLICIES = [...IDENTITY_POLICIES, ...AFTER_UPDATE_POLICIES, ...CONSUMER_POLICIES].map((p) => p.policy);

  test.each(Object.entries(STAND_INS))('GIVEN %s WHEN given to the simulator as it is THEN it is still dropped, so the stand-in is still needed', async (key, { action }) => {
    const spec = { given: 'a key', action, resource: CAROL_KEY, resourcePolicy: CAROL_KEY_POLICY, context: { [key]: CAROL_SECRET } };
    await expect(simulate(spec, READER, false)).rejects.toThrow(`the simulator ignored context keys ${key}`);
  });

  test.each(Object.entries(STAND_INS))('GIVEN %s THEN its stand-in has the same type and appears in no simulated policy', async (key, { standIn }) => {
    expect(await typeForContextKey(standIn)).toBe(await typeForContextKey(key));
    expect(JSON.stringify(ALL_POLICIES).toLowerCase()).not.toContain(standIn.toLowerCase());
    expect(JSON.stringify(ALL_POLICIES)).toContain(key);
  });
});
