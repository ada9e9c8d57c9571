/**
 * A rotator in a VPC needs a route to every service the function calls: IAM,
 * STS, Secrets Manager, EventBridge, CloudWatch, CloudFormation, and S3 (its
 * answers to CloudFormation's presigned URL). Synth warns, naming what is
 * missing, when the function's subnets have no route out and the VPC has no
 * endpoint for a service; it says what to check when the route out cannot be
 * known (an imported VPC's private subnets), and stays silent otherwise.
 */
import { App, Annotations as CoreAnnotations, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AccessKeyRotator, AccessKeyRotatorProps, RotatingAccessKey } from '../../src';

const WARNING = 'cdk-rotating-access-keys:noRouteOut';
const ALL = ['IAM', 'STS', 'Secrets Manager', 'EventBridge', 'CloudWatch', 'CloudFormation', 'S3'];

function stackIn(region: string): Stack {
  return new Stack(new App(), 'Network', { env: { account: '123456789012', region } });
}

function isolatedVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
}

function rotatorIn(stack: Stack, props: AccessKeyRotatorProps): AccessKeyRotator {
  const rotator = AccessKeyRotator.configure(stack, props);
  new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'backup-server') });
  return rotator;
}

/** Endpoints for every service the function calls but IAM. */
function regionalEndpoints(vpc: ec2.Vpc): void {
  const S = ec2.InterfaceVpcEndpointAwsService;
  const services = { Sts: S.STS, Sm: S.SECRETS_MANAGER, Events: S.EVENTBRIDGE, Cw: S.CLOUDWATCH_MONITORING, Cfn: S.CLOUDFORMATION };
  for (const [id, service] of Object.entries(services)) {
    vpc.addInterfaceEndpoint(id, { service });
  }
  vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
}

function warnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('.*')).map((m) => String(m.entry.data))
    .filter((m) => m.includes(`[ack: ${WARNING}]`));
}

function infos(stack: Stack): string[] {
  return Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('.*')).map((m) => String(m.entry.data))
    .filter((m) => m.includes('route out'));
}

/** The services a message names as missing. */
function missing(message: string): string[] {
  const list = /no endpoint for ([^:]+):/.exec(message)?.[1] ?? '';
  return ALL.filter((s) => new RegExp(`(^|, | and )${s}(,| and |$)`).test(list));
}

describe('a rotator in a VPC without a route out', () => {
  test('GIVEN isolated subnets and no endpoint WHEN synthesized THEN a warning names every service, and the IAM endpoint\'s Region', () => {
    const stack = stackIn('eu-west-1');
    rotatorIn(stack, { vpc: isolatedVpc(stack) });

    const found = warnings(stack);
    expect(found).toHaveLength(1);
    expect(missing(found[0])).toEqual(ALL);
    expect(found[0]).toContain('the rotation function\'s subnets have no route out (PRIVATE_ISOLATED: Network/Vpc/IsolatedSubnet1, Network/Vpc/IsolatedSubnet2)');
    expect(found[0]).toContain('IAM\'s interface endpoint exists only in IAM\'s control-plane Region (us-east-1 in the aws partition)');
    expect(found[0]).toContain('from eu-west-1, IAM needs a NAT route or a Transit Gateway to a VPC in us-east-1 with that endpoint');
    expect(found[0]).toContain('CloudFormation waits for the rotation resources\' answers for up to an hour');
  });

  test('GIVEN isolated subnets with every regional endpoint in eu-west-1 WHEN synthesized THEN the warning names IAM only', () => {
    const stack = stackIn('eu-west-1');
    const vpc = isolatedVpc(stack);
    regionalEndpoints(vpc);
    rotatorIn(stack, { vpc });

    const found = warnings(stack);
    expect(found).toHaveLength(1);
    expect(missing(found[0])).toEqual(['IAM']);
  });

  test('GIVEN isolated subnets in us-east-1 with every endpoint, IAM\'s too WHEN synthesized THEN nothing is said', () => {
    const stack = stackIn('us-east-1');
    const vpc = isolatedVpc(stack);
    regionalEndpoints(vpc);
    vpc.addInterfaceEndpoint('Iam', { service: ec2.InterfaceVpcEndpointAwsService.IAM });
    rotatorIn(stack, { vpc });

    expect(warnings(stack)).toEqual([]);
    expect(infos(stack)).toEqual([]);
  });

  test('GIVEN an interface endpoint without private DNS WHEN synthesized THEN it does not count: the SDK does not use it', () => {
    const stack = stackIn('us-east-1');
    const vpc = isolatedVpc(stack);
    regionalEndpoints(vpc);
    vpc.addInterfaceEndpoint('Iam', { service: ec2.InterfaceVpcEndpointAwsService.IAM, privateDnsEnabled: false });
    rotatorIn(stack, { vpc });

    expect(warnings(stack).map(missing)).toEqual([['IAM']]);
  });

  test('GIVEN the endpoints in another VPC WHEN synthesized THEN they do not count', () => {
    const stack = stackIn('us-east-1');
    const other = new ec2.Vpc(stack, 'Other', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    regionalEndpoints(other);
    rotatorIn(stack, { vpc: isolatedVpc(stack) });

    expect(warnings(stack).map(missing)).toEqual([ALL]);
  });

  test('GIVEN isolated subnets chosen in a VPC that has NAT WHEN synthesized THEN the warning names the chosen subnets', () => {
    const stack = stackIn('us-east-1');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });
    rotatorIn(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });

    const found = warnings(stack);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('(PRIVATE_ISOLATED: Network/Vpc/DataSubnet1)');
    expect(found[0]).toContain('vpcSubnets (Python: vpc_subnets) with subnetType (Python: subnet_type) SubnetType.PRIVATE_WITH_EGRESS');
    expect(found[0]).toContain('from us-east-1, IAM needs a NAT route or its interface endpoint');
  });

  test('GIVEN an imported VPC whose chosen subnets are declared isolated WHEN synthesized THEN the warning says so', () => {
    const stack = stackIn('eu-west-1');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-12345678', vpcCidrBlock: '10.0.0.0/16', availabilityZones: ['eu-west-1a'], isolatedSubnetIds: ['subnet-0a1b2c3d'], isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d'],
    });
    vpc.addInterfaceEndpoint('Sm', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    rotatorIn(stack, { vpc });

    const found = warnings(stack);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('(PRIVATE_ISOLATED: subnet-0a1b2c3d)');
    expect(missing(found[0])).toEqual(ALL.filter((s) => s !== 'Secrets Manager'));
    // The app cannot see endpoints made outside it.
    expect(found[0]).toContain('endpoints made outside this app');
  });

  test('GIVEN the warning acknowledged on the rotator WHEN synthesized THEN it is not reported', () => {
    const stack = stackIn('eu-west-1');
    const rotator = rotatorIn(stack, { vpc: isolatedVpc(stack) });
    CoreAnnotations.of(rotator).acknowledgeWarning(WARNING, 'a Transit Gateway routes the subnets to a shared NAT');

    expect(warnings(stack)).toEqual([]);
  });
});

describe('a rotator in a VPC with a route out, or one synth cannot know', () => {
  test('GIVEN a VPC with NAT (the default subnets) WHEN synthesized THEN nothing is said', () => {
    const stack = stackIn('eu-west-1');
    rotatorIn(stack, { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) });

    expect(warnings(stack)).toEqual([]);
    expect(infos(stack)).toEqual([]);
  });

  test('GIVEN an isolated subnet given a default route by hand WHEN synthesized THEN nothing is said', () => {
    const stack = stackIn('eu-west-1');
    const vpc = isolatedVpc(stack);
    for (const [i, subnet] of vpc.isolatedSubnets.entries()) {
      (subnet as ec2.Subnet).addRoute(`ToFirewall${i}`, { routerId: 'tgw-0a1b2c3d4e5f', routerType: ec2.RouterType.TRANSIT_GATEWAY, destinationCidrBlock: '0.0.0.0/0' });
    }
    rotatorIn(stack, { vpc });

    expect(warnings(stack)).toEqual([]);
  });

  test('GIVEN an imported VPC\'s private subnets WHEN synthesized THEN an info (not a warning) says what to check', () => {
    const stack = stackIn('eu-west-1');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-12345678', vpcCidrBlock: '10.0.0.0/16', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-12345678'], privateSubnetRouteTableIds: ['rtb-12345678'],
    });
    rotatorIn(stack, { vpc });

    expect(warnings(stack)).toEqual([]);
    const found = infos(stack);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('whether the rotation function\'s subnets (subnet-12345678) have a route out cannot be known at synth');
    expect(found[0]).toContain('check that they route 0.0.0.0/0 to a NAT gateway');
    expect(missing(found[0])).toEqual(ALL);
  });

  test('GIVEN an imported VPC\'s private subnets and every endpoint in us-east-1 WHEN synthesized THEN nothing is said', () => {
    const stack = stackIn('us-east-1');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-12345678', vpcCidrBlock: '10.0.0.0/16', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-12345678'], privateSubnetRouteTableIds: ['rtb-12345678'],
    });
    const S = ec2.InterfaceVpcEndpointAwsService;
    // eslint-disable-next-line @stylistic/max-len
    const services = { Iam: S.IAM, Sts: S.STS, Sm: S.SECRETS_MANAGER, Ev: S.EVENTBRIDGE, Cw: S.CLOUDWATCH_MONITORING, Cfn: S.CLOUDFORMATION, S3: S.S3 };
    for (const [id, service] of Object.entries(services)) {
      vpc.addInterfaceEndpoint(id, { service });
    }
    rotatorIn(stack, { vpc });

    expect(warnings(stack)).toEqual([]);
    expect(infos(stack)).toEqual([]);
  });

  test('GIVEN no VPC WHEN synthesized THEN nothing is said', () => {
    const stack = stackIn('eu-west-1');
    rotatorIn(stack, {});

    expect(warnings(stack)).toEqual([]);
    expect(infos(stack)).toEqual([]);
  });
});
