/**
 * The real-account check (test/integ.rotating-access-keys.ts) promises an
 * assertion for each fact docs/REAL-ACCOUNT.md lists: this synthesizes its
 * assertion stack and finds each one, in its order, so that deleting one
 * fails here and not only (unnoticed) in an account nobody deploys to. It also
 * holds the probe function to its least privilege: the secrets' values, of
 * those two secrets only.
 */
import { assembly } from '../integ.rotating-access-keys';
import { CREATED_USER_NAME, EXISTING_USER_NAME, STACK_NAMES } from '../support/integ-names';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };
const template = (name: string) => assembly.getStackByName(name).template as { Resources: Record<string, Resource> };
const resources = template(STACK_NAMES[2]).Resources;
const tested = template(STACK_NAMES[1]).Resources;

const logicalIdOfType = (rs: Record<string, Resource>, type: string, prefix: string) => {
  const ids = Object.keys(rs).filter((id) => rs[id].Type === type && id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
};
const probeId = logicalIdOfType(resources, 'AWS::Lambda::Function', 'KeyProbe');
const revokerId = logicalIdOfType(resources, 'AWS::Lambda::Function', 'Revoker');
const rotatorId = logicalIdOfType(tested, 'AWS::Lambda::Function', 'AccessKeyRotatorFunction');
const createdSecretId = logicalIdOfType(tested, 'AWS::SecretsManager::Secret', 'CreatedAccessKeySecret');
const importedSecretId = logicalIdOfType(tested, 'AWS::SecretsManager::Secret', 'ImportedSecret');

/** The assertions (integ-tests' custom resources), each with its call and its expectation as text. */
const assertions = Object.entries(resources)
  .filter(([, r]) => r.Type.startsWith('Custom::DeployAssert@SdkCall'))
  .map(([id, r]) => ({
    id,
    call: `${r.Properties!.service}.${r.Properties!.api}`,
    parameters: JSON.stringify(r.Properties!.parameters),
    expected: JSON.stringify(r.Properties!.expected ?? ''),
    waits: r.Properties!.stateMachineArn !== undefined,
  }));

/** The one assertion making `call` whose parameters and expectation contain every given text. */
function find(call: string, parameters: string[], expected: string[]) {
  const found = assertions.filter((a) => a.call === call
    && parameters.every((p) => a.parameters.includes(p)) && expected.every((e) => a.expected.includes(e)));
  if (found.length !== 1) {
    throw new Error(`expected one ${call} assertion with parameters ${parameters.join(', ')} and expecting ${expected.join(', ')}; found ${found.length}`);
  }
  return found[0];
}

/** Whether `later` depends, directly or through others, on `earlier` (integ-tests' `.next()` writes DependsOn). */
function after(later: string, earlier: string): boolean {
  const seen = new Set<string>();
  const stack = [later];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const dep of resources[id]?.DependsOn ?? []) {
      if (dep === earlier) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        stack.push(dep);
      }
    }
  }
  return false;
}

const q = (s: string) => JSON.stringify(s).slice(1, -1); // how a string appears inside the escaped expectation
const secrets = [
  { user: CREATED_USER_NAME, secret: createdSecretId, userArn: 'CreatedUser' },
  { user: EXISTING_USER_NAME, secret: importedSecretId, userArn: 'User00B015A1Arn' },
];

describe.each(secrets)('the first rotation of $user', ({ user, secret, userArn }) => {
  const rotationOn = () => find('SecretsManager.describeSecret', [secret], [q('"RotationEnabled":true')]);
  const oneActiveKey = () => find('IAM.listAccessKeys', [user], [q(`"AccessKeyMetadata":[{"UserName":"${user}","Status":"Active"}]`)]);
  const currentVersion = () => find('SecretsManager.listSecretVersionIds', [secret], [q('{"$ObjectLike":{"VersionStages":{"$ArrayWith":["AWSCURRENT"]}}}')]);
  const authenticates = () => assertions.filter((a) => a.call === 'Lambda.invoke' && a.parameters.includes(probeId)
    && a.parameters.includes(secret) && a.expected.includes(q('"outcome":"authenticated"')) && a.expected.includes(userArn)
    && a.expected.includes(q('"labels":[{"$StringLike":"^AKIA')));

  test('rotation is on', () => {
    rotationOn();
  });

  test('waits for one active key and an AWSCURRENT version', () => {
    expect(oneActiveKey().waits).toBe(true);
    expect(currentVersion().waits).toBe(true);
  });

  test('the AWSCURRENT key authenticates as its user (STS, through the probe), its version is labelled with its id, nothing is pending', () => {
    const [first] = authenticates();
    expect(first).toBeDefined();
    expect(first.expected).toContain(q('"labelledWithKeyId":true'));
    expect(first.expected).toContain(q('"pending":"none"'));
    expect(first.expected).toContain(q(`"userName":"${user}"`));
    expect(after(first.id, currentVersion().id)).toBe(true);
    expect(after(currentVersion().id, oneActiveKey().id)).toBe(true);
  });
});

test('the registry resolves through DescribeStackResource, called as the function calls it, naming each secret and user', () => {
  const registry = find('CloudFormation.describeStackResource',
    [q(`"${STACK_NAMES[1]}"`), q(`"${rotatorId}"`)],
    ['cdk-rotating-access-keys:registry', createdSecretId, importedSecretId, 'CreatedUser', 'User00B015A1Arn', q('"removal":"DESTROY"')]);
  expect(registry.expected).toContain('$SerializedJson');
});

describe('a revoke, as the CLI makes it, of the created user\'s key', () => {
  const oldKey = () => assertions.find((a) => a.call === 'Lambda.invoke' && a.parameters.includes(probeId) && a.expected === '""')!;
  const revoke = () => find('Lambda.invoke', [revokerId, createdSecretId], [q('"rotationStarted":true')]);
  const inactive = () => find('IAM.listAccessKeys', [CREATED_USER_NAME], [q('"Status":"Inactive"'), 'apiCallResponse.Payload.accessKeyId']);
  const refused = () => find('Lambda.invoke', [probeId, createdSecretId, 'AWSPREVIOUS'], [q('"outcome":"refused"'), q('"AWSPREVIOUS"]')]);
  const newKey = () => find('Lambda.invoke', [probeId, createdSecretId], [q('"outcome":"authenticated"'), 'ACCESS_KEY_ROTATION_REVOKED_PREDECESSOR']);
  const previous = () => find('SecretsManager.listSecretVersionIds', [createdSecretId], ['apiCallResponse.Payload.accessKeyId']);
  const lifecycle = () => find('Lambda.invoke', [rotatorId, q(q('"action":"lifecycle"'))], [q('"failed":0')]);
  const deleted = () => find('IAM.listAccessKeys', [CREATED_USER_NAME], [q('"AccessKeyMetadata":[{"AccessKeyId":{"$StringLike":"^(?!'), q('"Status":"Active"}]')]);

  test('reads the old key\'s id first, then tags and rotates with a function that holds grantRevoke only', () => {
    expect(oldKey()).toBeDefined();
    expect(after(revoke().id, oldKey().id)).toBe(true);
    const policy = policyOf(revokerId);
    const actions = policy.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['secretsmanager:RotateSecret', 'secretsmanager:TagResource']));
    expect(actions).not.toContain('secretsmanager:GetSecretValue');
    const tagging = policy.find((s) => [s.Action].flat().includes('secretsmanager:TagResource'))!;
    expect(JSON.stringify(tagging.Condition)).toContain('access-key-rotation:revoke');
  });

  test('waits until IAM lists the old key Inactive, then STS refuses it, it is AWSPREVIOUS, and its label is listed', () => {
    expect(inactive().waits).toBe(true);
    expect(after(inactive().id, revoke().id)).toBe(true);
    expect(after(refused().id, inactive().id)).toBe(true);
    expect(refused().expected).toContain('apiCallResponse.Payload.accessKeyId');
    expect(after(previous().id, inactive().id)).toBe(true);
  });

  test('the new key is AWSCURRENT, carries the revoke\'s label, is another key, and authenticates', () => {
    expect(after(newKey().id, inactive().id)).toBe(true);
    expect(newKey().expected).toContain('^(?!');
  });

  test('the lifecycle, invoked with its scheduled event, deletes the revoked key', () => {
    expect(after(lifecycle().id, inactive().id)).toBe(true);
    expect(after(deleted().id, lifecycle().id)).toBe(true);
    expect(deleted().waits).toBe(true);
  });
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };
/** The statements of the policies attached to a function's role. */
function policyOf(functionId: string): Statement[] {
  const role = (resources[functionId].Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!.Roles).includes(`"${role}"`))
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

test('the probe may read the values of those two secrets and do nothing else', () => {
  const statements = policyOf(probeId);
  expect(statements).toEqual([{
    Effect: 'Allow',
    Action: 'secretsmanager:GetSecretValue',
    Resource: [
      { 'Fn::ImportValue': expect.stringContaining(createdSecretId) },
      { 'Fn::ImportValue': expect.stringContaining(importedSecretId) },
    ],
  }]);
  const role = (resources[probeId].Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  expect(JSON.stringify(resources[role].Properties!.ManagedPolicyArns)).toMatch(/^\[\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole"\]\]\}\]$/);
});

test('every assertion is one this file expects', () => {
  // 2 × (describeSecret, listAccessKeys, listSecretVersionIds, probe), the registry, and the revoke's eight.
  expect(assertions).toHaveLength(2 * 4 + 1 + 8);
});
