/**
 * One StackSet that puts the same access keys in every account of some
 * organizational units, with cdk-stacksets (cdklabs). Deployed from the
 * organization's management account or a delegated administrator.
 *
 * StackSets deploy a template, not a CDK app: the rotation function's code (a
 * file asset) must already be in an S3 bucket of each target region that every
 * target account may read. cdk-stacksets copies the asset into buckets you give
 * it, named `<assetBucketPrefix>-<region>`; this stack creates that bucket for
 * its own region and lets the organization read it (add one per region, in a
 * stack of that region, for more regions).
 */
import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Capability, DeploymentType, StackSet, StackSetStack, StackSetTarget, StackSetTemplate } from 'cdk-stacksets';
import { Construct } from 'constructs';
import { AccessKeysForAccount } from './access-keys-for-account';

export interface AccessKeysStackSetProps extends StackProps {
  /** The organization's id (`o-...`): its accounts may read the asset bucket. */
  readonly organizationId: string;
  /** The organizational units whose accounts get the stack. */
  readonly organizationalUnits: string[];
  /** A prefix for the asset buckets' names, unique in S3: the bucket of a region is `<prefix>-<region>`. */
  readonly assetBucketPrefix: string;
}

export class AccessKeysStackSet extends Stack {
  constructor(scope: Construct, id: string, props: AccessKeysStackSetProps) {
    super(scope, id, props);
    const region = Stack.of(this).region;

    const assets = new s3.Bucket(this, 'Assets', {
      bucketName: `${props.assetBucketPrefix}-${region}`,
      // SSE-S3: objects encrypted with an AWS managed KMS key could not be read from other accounts.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Lambda reads a function's code with the credentials of whoever creates it: in a target
    // account, the StackSet's execution role. The organization's accounts may read the objects.
    assets.addToResourcePolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [assets.arnForObjects('*')],
      principals: [new iam.OrganizationPrincipal(props.organizationId)],
    }));

    const template = new StackSetStack(this, 'AccessKeys', {
      assetBuckets: [assets],
      assetBucketPrefix: props.assetBucketPrefix,
    });
    new AccessKeysForAccount(template, 'Keys');

    new StackSet(this, 'StackSet', {
      stackSetName: 'rotating-access-keys',
      template: StackSetTemplate.fromStackSetStack(template),
      target: StackSetTarget.fromOrganizationalUnits({
        organizationalUnits: props.organizationalUnits,
        regions: [region],
      }),
      // Accounts that join the units get the stack; accounts that leave keep it (their users and keys stay).
      deploymentType: DeploymentType.serviceManaged({ delegatedAdmin: true, autoDeployEnabled: true, autoDeployRetainStacks: true }),
      // The user has a name (RotatingAccessKeyUser's userName).
      capabilities: [Capability.NAMED_IAM],
      operationPreferences: { maxConcurrentPercentage: 25, failureTolerancePercentage: 10 },
    });
  }
}
