/**
 * The intrinsic resolver the construct tests rely on: what it resolves, and
 * that it fails loudly on anything it does not know (an intrinsic left
 * unresolved would silently become a value that matches nothing).
 */
import { IntrinsicResolver, Json, Resources, TEST_ENV } from './intrinsics';

describe('the intrinsic resolver', () => {
  const resources: Resources = {
    User: { Type: 'AWS::IAM::User', Properties: { UserName: 'u', Path: '/p/' } },
    Secret: { Type: 'AWS::SecretsManager::Secret' },
    NamedSecret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'access-keys/u' } },
    Fn: { Type: 'AWS::Lambda::Function' },
    Departures: { Type: 'Custom::AccessKeyDepartures' },
    Queue: { Type: 'AWS::SQS::Queue' },
  };
  const r = new IntrinsicResolver(resources);

  test.each<[string, Json, Json]>([
    ['a user\'s Ref', { Ref: 'User' }, 'u'],
    ['a user\'s Arn with its path', { 'Fn::GetAtt': ['User', 'Arn'] }, 'arn:aws:iam::123456789012:user/p/u'],
    ['a user\'s Arn in the dotted form', { 'Fn::GetAtt': 'User.Arn' }, 'arn:aws:iam::123456789012:user/p/u'],
    ['a secret\'s Ref', { Ref: 'Secret' }, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:Secret-AbCdEf'],
    ['a named secret\'s Ref', { Ref: 'NamedSecret' }, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/u-AbCdEf'],
    ['a function\'s Arn', { 'Fn::GetAtt': ['Fn', 'Arn'] }, 'arn:aws:lambda:us-east-1:123456789012:function:Fn'],
    ['pseudo parameters in a Join', { 'Fn::Join': [':', [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::URLSuffix' }]] }, 'aws:us-east-1:123456789012:amazonaws.com'],
    ['the stack id', { Ref: 'AWS::StackId' }, TEST_ENV.stackId!],
    ['a Select of a Split', { 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['User', 'Arn'] }] }] }, 'p'],
    ['a Fn::Sub of pseudo parameters', { 'Fn::Sub': 'cdk-assets-${AWS::AccountId}-${AWS::Region}' }, 'cdk-assets-123456789012-us-east-1'],
    ['a Fn::Sub of a Ref, an attribute, a variable and a literal', { 'Fn::Sub': ['${User}:${User.Arn}:${Name}:${!Literal}', { Name: { Ref: 'AWS::Region' } }] }, 'u:arn:aws:iam::123456789012:user/p/u:us-east-1:${Literal}'],
    ['intrinsics nested in a document', { Statement: [{ Resource: [{ Ref: 'Secret' }, 'literal'] }] }, { Statement: [{ Resource: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:Secret-AbCdEf', 'literal'] }] }],
  ])('GIVEN %s WHEN resolved THEN it is concrete', (_, input, expected) => {
    expect(r.resolve(input)).toEqual(expected);
  });

  test('GIVEN physical values WHEN a Ref or an attribute of a custom resource is resolved THEN the given value is used', () => {
    const given = new IntrinsicResolver(resources, TEST_ENV, { 'Departures.UserArns': 'arn:a,arn:b', 'User': 'renamed' });
    expect(given.resolve({ 'Fn::Split': [',', { 'Fn::GetAtt': ['Departures', 'UserArns'] }] })).toEqual(['arn:a', 'arn:b']);
    expect(given.resolve({ Ref: 'User' })).toBe('renamed');
    expect(given.resolve({ 'Fn::GetAtt': ['User', 'Arn'] })).toBe('arn:aws:iam::123456789012:user/p/renamed');
  });

  test('GIVEN another environment WHEN resolved THEN its partition, region, account and stack id are used', () => {
    const gov = new IntrinsicResolver(resources, { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '111122223333', stackId: 'arn:aws-us-gov:cloudformation:us-gov-west-1:111122223333:stack/S/x' });
    expect(gov.resolve({ Ref: 'Secret' })).toBe('arn:aws-us-gov:secretsmanager:us-gov-west-1:111122223333:secret:Secret-AbCdEf');
    expect(gov.resolve({ Ref: 'AWS::StackId' })).toBe('arn:aws-us-gov:cloudformation:us-gov-west-1:111122223333:stack/S/x');
  });

  test.each<[string, Json, RegExp]>([
    ['an unsupported intrinsic', { 'Fn::FindInMap': ['Map', 'a', 'b'] }, /cannot resolve intrinsic Fn::FindInMap/],
    ['a Fn::Sub of a missing resource', { 'Fn::Sub': 'x-${Nope}' }, /no such resource/],
    ['a Ref of a missing resource', { Ref: 'Nope' }, /no such resource/],
    ['a Ref of an unsupported resource type', { Ref: 'Queue' }, /cannot resolve Ref of Queue/],
    ['an unsupported attribute', { 'Fn::GetAtt': ['User', 'PermissionsBoundary'] }, /cannot resolve Fn::GetAtt/],
    ['an attribute of a custom resource without a physical value', { 'Fn::GetAtt': ['Departures', 'UserArns'] }, /cannot resolve Fn::GetAtt Departures.UserArns/],
    ['an unknown pseudo parameter', { Ref: 'AWS::StackName' }, /pseudo parameter/],
    ['a Select out of range', { 'Fn::Select': [3, ['a']] }, /out of/],
    ['an intrinsic with a sibling key', { 'Ref': 'User', 'Fn::GetAtt': ['User', 'Arn'] }, /malformed intrinsic/],
    ['an intrinsic nested in a statement', { Statement: [{ Resource: { 'Fn::ImportValue': 'x' } }] }, /Fn::ImportValue/],
  ])('GIVEN %s WHEN resolved THEN it fails loudly', (_, input, error) => {
    expect(() => r.resolve(input)).toThrow(error);
  });

  test('GIVEN no stack id in the environment WHEN AWS::StackId is resolved THEN it fails loudly', () => {
    const noStack = new IntrinsicResolver(resources, { partition: 'aws', region: 'us-east-1', account: '123456789012' });
    expect(() => noStack.resolve({ Ref: 'AWS::StackId' })).toThrow(/pseudo parameter AWS::StackId/);
  });
});
