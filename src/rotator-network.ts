/**
 * The rotator's network, checked at synth: a function in a VPC reaches the
 * services it calls through a NAT route or through VPC endpoints, and a
 * missing route shows only at deploy time (calls time out, and CloudFormation
 * waits up to an hour for the rotation resources' answers). This names what is
 * missing, from what aws-cdk-lib's ec2 knows at synth: the subnets' types, the
 * routes of subnets made in this app, and the VPC endpoints made in this app.
 */
import { Annotations, IAspect, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { member } from './member-names';

/** A service the function calls, with the endpoint service's last name segment (`com.amazonaws.<region>.<name>`). */
interface CalledService {
  readonly title: string;
  readonly endpoint: string;
  /** How to add its endpoint, as the message says it. */
  readonly add: string;
}

/** Every service the rotation function calls, in the order the messages name them. */
export const CALLED_SERVICES: readonly CalledService[] = [
  { title: 'IAM', endpoint: 'iam', add: 'InterfaceVpcEndpointAwsService.IAM' },
  { title: 'STS', endpoint: 'sts', add: 'InterfaceVpcEndpointAwsService.STS' },
  { title: 'Secrets Manager', endpoint: 'secretsmanager', add: 'InterfaceVpcEndpointAwsService.SECRETS_MANAGER' },
  { title: 'EventBridge', endpoint: 'events', add: 'InterfaceVpcEndpointAwsService.EVENTBRIDGE' },
  { title: 'CloudWatch', endpoint: 'monitoring', add: 'InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING' },
  { title: 'CloudFormation', endpoint: 'cloudformation', add: 'InterfaceVpcEndpointAwsService.CLOUDFORMATION' },
  { title: 'S3', endpoint: 's3', add: 'GatewayVpcEndpointAwsService.S3' },
];

/** The id of the warning: acknowledge it where the subnets route out another way. */
export const NO_ROUTE_OUT = 'cdk-rotating-access-keys:noRouteOut';

/** Whether a subnet routes out: known not to, known to, or not known at synth. */
type RouteOut = 'none' | 'yes' | 'unknown';

/**
 * Warns, on the rotator, when the function's subnets have no route out and the
 * VPC lacks an endpoint for a service the function calls; says what to check
 * (an info, nothing to acknowledge) when the route out cannot be known.
 */
export class CheckRouteOut implements IAspect {
  /**
   * @param fn the function, where the warning goes: CDK's acknowledgements cover a scope's descendants, so one on the
   *   rotator (or the stack, or the app) covers it
   */
  constructor(
    private readonly rotator: IConstruct,
    private readonly fn: IConstruct,
    private readonly vpc: ec2.IVpc,
    private readonly selection?: ec2.SubnetSelection,
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.rotator) return;
    const subnets = this.vpc.selectSubnets(this.selection).subnets;
    const routes = subnets.map((s) => ({ subnet: s, out: routeOut(this.vpc, s) }));
    const none = routes.filter((r) => r.out === 'none');
    const unknown = routes.filter((r) => r.out === 'unknown');
    if (none.length === 0 && unknown.length === 0) return;
    const endpoints = endpointsOf(this.vpc, this.rotator);
    const missing = CALLED_SERVICES.filter((s) => !endpoints.has(s.endpoint));
    if (missing.length === 0) return;
    const region = Stack.of(this.rotator).region;
    const names = missing.map((s) => s.title);
    const list = `${names.slice(0, -1).join(', ')}${names.length > 1 ? ' and ' : ''}${names[names.length - 1]}`;
    const iamHere = !Token.isUnresolved(region) && region === 'us-east-1';
    const interfaces = missing.filter((s) => s.endpoint !== 's3' && (s.endpoint !== 'iam' || iamHere)).map((s) => s.add);
    const ways = [
      ...interfaces.length > 0 ? [`${member('vpc.addInterfaceEndpoint')} with ${interfaces.join(', ')}`] : [],
      ...missing.some((s) => s.endpoint === 's3') ? [`${member('vpc.addGatewayEndpoint')} with GatewayVpcEndpointAwsService.S3`] : [],
    ];
    const add = ways.length > 0 ? `, or add the endpoints (${ways.join('; ')})` : '';
    const iam = missing.some((s) => s.endpoint === 'iam') ? ` ${iamRoute(region)}.` : '';
    if (none.length > 0) {
      Annotations.of(this.fn).addWarningV2(NO_ROUTE_OUT,
        `the rotation function's subnets have no route out (PRIVATE_ISOLATED: ${none.map((r) => nameOf(r.subnet)).join(', ')}) and its VPC has `
        + `no endpoint for ${list}: the function's calls to them time out, and CloudFormation waits for the rotation resources' answers for up to an hour. `
        + `Choose subnets with a NAT route (${member('vpcSubnets')} with ${member('subnetType')} SubnetType.PRIVATE_WITH_EGRESS)${add}.${iam} `
        + 'Acknowledge this warning when the subnets route out another way (a Transit Gateway), or the VPC has endpoints made outside this app');
      return;
    }
    Annotations.of(this.fn).addInfo(`whether the rotation function's subnets (${unknown.map((r) => nameOf(r.subnet)).join(', ')}) have a route out `
      + `cannot be known at synth, and this app gives the VPC no endpoint for ${list}: check that they route 0.0.0.0/0 to a NAT gateway (or a `
      + `Transit Gateway to one), or that the VPC has endpoints for these services with private DNS on.${iam}`);
  }
}

/** The subnet's route out, as far as synth can tell. */
function routeOut(vpc: ec2.IVpc, subnet: ec2.ISubnet): RouteOut {
  // A default route added in this app (a Transit Gateway, a firewall) is a route out, whatever the subnet's type.
  if (subnet instanceof ec2.Subnet && subnet.node.children.some((c) => c instanceof ec2.CfnRoute && c.destinationCidrBlock === '0.0.0.0/0')) return 'yes';
  const among = (list: ec2.ISubnet[]) => list.some((s) => s === subnet || s.subnetId === subnet.subnetId);
  if (among(vpc.isolatedSubnets)) return 'none';
  if (among(vpc.publicSubnets)) return 'yes';
  // A VPC made in this app gives its PRIVATE_WITH_EGRESS subnets a NAT route; an imported VPC's "private" subnets are only
  // not public (Vpc.fromLookup calls every untagged subnet without an internet gateway route private, isolated or not).
  if (vpc instanceof ec2.Vpc && among(vpc.privateSubnets)) return 'yes';
  return 'unknown';
}

/** The services the VPC has an endpoint for that the function can use (an interface endpoint with private DNS on), among those made in this app. */
function endpointsOf(vpc: ec2.IVpc, scope: IConstruct): Set<string> {
  const found = new Set<string>();
  for (const c of scope.node.root.node.findAll()) {
    if (!(c instanceof ec2.CfnVPCEndpoint) || c.vpcId !== vpc.vpcId) continue;
    const interfaceType = c.vpcEndpointType === 'Interface';
    // The SDK calls each service's default name: an interface endpoint serves it only with private DNS on.
    if (interfaceType && c.privateDnsEnabled === false) continue;
    const name = (c.serviceName ?? '').replace(/\$\{Token\[[^\]]*\]\}/g, '').split('.').pop();
    if (name) found.add(name);
  }
  return found;
}

/** How the function reaches IAM from the stack's Region. */
function iamRoute(region: string): string {
  const where = Token.isUnresolved(region) ? 'from another Region' : `from ${region}`;
  const via = !Token.isUnresolved(region) && region === 'us-east-1'
    ? 'its interface endpoint'
    : 'a Transit Gateway to a VPC in us-east-1 with that endpoint';
  return `IAM's interface endpoint exists only in IAM's control-plane Region (us-east-1 in the aws partition): ${where}, IAM needs a NAT route or ${via}`;
}

function nameOf(subnet: ec2.ISubnet): string {
  return Token.isUnresolved(subnet.subnetId) ? subnet.node.path : subnet.subnetId;
}
