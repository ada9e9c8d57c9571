/**
 * The many-accounts example (examples/organization) synthesizes: the StackSet
 * whose template carries the rotation function and the access key watch with
 * their code in the organization-readable asset bucket of the target region
 * (the watch's events forwarded to the security account's bus), and the CDK
 * Pipelines variant with one stack per account. Needs the bundled function
 * (`npx projen bundle`) and the cdk-stacksets devDependency.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SECURITY_EVENT_BUS_ARN } from '../../examples/organization/access-keys-for-account';
import { AccessKeysPipeline } from '../../examples/organization/pipeline';
import { AccessKeysStackSet } from '../../examples/organization/stackset';

const env = { account: '111111111111', region: 'us-east-1' };

describe('examples/organization', () => {
  test('GIVEN the StackSet variant WHEN synthesized THEN one service-managed StackSet deploys a template whose function code is in the asset bucket of each target region', () => {
    const app = new App();
    const stack = new AccessKeysStackSet(app, 'AccessKeysStackSet', {
      env, organizationId: 'o-exampleorgid', organizationalUnits: ['ou-exam-workloads'], assetBucketPrefix: 'example-keys',
    });
    const assembly = app.synth();
    const parent = Template.fromStack(stack);

    parent.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'DELEGATED_ADMIN',
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-exam-workloads'] }, Regions: ['us-east-1'] }],
    });
    parent.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'example-keys-us-east-1' });
    parent.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: [Match.anyValue(), {
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorgid' } },
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Resource: Match.anyValue(),
        }],
      },
    });
    parent.resourceCountIs('Custom::CDKBucketDeployment', 1);

    const file = fs.readdirSync(assembly.directory).find((f) => f.endsWith('.stackset.template.json'));
    expect(file).toBeDefined();
    const template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(assembly.directory, file!), 'utf-8')));
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
    template.resourceCountIs('Custom::AccessKeyRotation', 1);
    template.hasResourceProperties('AWS::IAM::User', { UserName: 'backup-server', Path: '/service/' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: { 'Fn::Join': ['-', ['example-keys', { Ref: 'AWS::Region' }]] } },
      Environment: { Variables: { ROTATOR_STACK_ID: { Ref: 'AWS::StackId' } } },
    });
    // The objects the functions' code names (the rotator's and the watch's) are the ones the parent stack copies into the bucket.
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    const [copy] = Object.values(parent.findResources('Custom::CDKBucketDeployment'));
    for (const fn of functions) expect(copy.Properties.SourceObjectKeys).toContain(fn.Properties.Code.S3Key);
    expect(copy.Properties.Extract).toBe(false);
    // The watch, environment-agnostic: its metrics are the account's where it is deployed; its events go to the security account.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: { 'Fn::Join': ['-', ['example-keys', { Ref: 'AWS::Region' }]] } },
      Environment: { Variables: Match.objectLike({ WATCH_ACCOUNT: { Ref: 'AWS::AccountId' } }) },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['cdk-rotating-access-keys'], 'detail-type': ['Access Key Unmanaged'] },
      Targets: [Match.objectLike({ Arn: SECURITY_EVENT_BUS_ARN })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AccessKeysPastIam3Age', Dimensions: [{ Name: 'Account', Value: { Ref: 'AWS::AccountId' } }],
    });
  });

  test('GIVEN the CDK Pipelines variant WHEN synthesized THEN each account gets its own stack with its own rotator', () => {
    const app = new App();
    new AccessKeysPipeline(app, 'AccessKeysPipeline', {
      env,
      repository: 'example/platform-access-keys',
      connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000',
      accounts: ['222222222222', '333333333333'],
    });
    const assembly = app.synth();
    const stacks = assembly.stacksRecursively.filter((s) => s.stackName.endsWith('AccessKeys'));
    expect(stacks.map((s) => s.environment.account).sort()).toEqual(['222222222222', '333333333333']);
    for (const s of stacks) {
      const template = Template.fromJSON(s.template);
      // The rotator's function and the watch's.
      template.resourceCountIs('AWS::Lambda::Function', 2);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ WATCH_ACCOUNT: s.environment.account }) },
      });
      template.resourceCountIs('Custom::AccessKeyRotation', 1);
      template.resourceCountIs('AWS::IAM::AccessKey', 0);
    }
  });
});
