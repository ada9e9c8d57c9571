/**
 * Resolves CloudFormation intrinsic functions in a synthesized template the
 * way a deployment would, for tests and the demo: Ref, Fn::GetAtt, Fn::Join,
 * Fn::Select, Fn::Split and Fn::Sub over the template's resources, with realistic
 * physical ids (or the ones given, such as ARNs of resources made in moto).
 * Anything it does not know throws: an intrinsic left unresolved would
 * silently become a value that matches nothing.
 */
import { createHash } from 'crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Resources = Record<string, { Type: string; Properties?: JsonObject; Metadata?: JsonObject; DependsOn?: string | string[] }>;

export interface Environment {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly stackId?: string;
}

export const TEST_ENV: Environment = {
  partition: 'aws',
  account: '123456789012',
  region: 'us-east-1',
  stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Stack/8a1f2c40-0000-4000-8000-000000000001',
};

/** A deterministic, realistic-looking KMS key id (a UUID) for a logical id. */
export function fakeKeyId(logicalId: string): string {
  const h = createHash('sha256').update(logicalId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class IntrinsicResolver {
  /**
   * @param physical overrides: `Ref` of a logical id, and `Fn::GetAtt` as `<logicalId>.<attribute>`
   */
  constructor(
    private readonly resources: Resources,
    private readonly env: Environment = TEST_ENV,
    private readonly physical: Record<string, Json> = {},
  ) {}

  /** The ARN Secrets Manager would give a secret: its name and a six-character suffix. */
  secretArn(name: string): string {
    return `arn:${this.env.partition}:secretsmanager:${this.env.region}:${this.env.account}:secret:${name}-AbCdEf`;
  }

  resolve(value: Json): Json {
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

  resolveString(value: Json): string {
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
      case 'Fn::Sub': {
        // `${Name}` is a Ref (a pseudo parameter or a resource), `${Name.Attribute}` a GetAtt, `${!Literal}` the literal text.
        const [text, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [undefined, {}];
        if (typeof text !== 'string' || variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
          throw new Error(`malformed Fn::Sub ${JSON.stringify(arg)}`);
        }
        return text.replace(/\$\{([^}]*)\}/g, (_, variable: string) => {
          if (variable.startsWith('!')) return `\${${variable.slice(1)}}`;
          if (variable in variables) return this.resolveString((variables as JsonObject)[variable]);
          const [logicalId, attribute] = variable.split(/\.(.*)/s);
          return this.resolveString(attribute === undefined ? { Ref: logicalId } : { 'Fn::GetAtt': [logicalId, attribute] });
        });
      }
      default:
        throw new Error(`cannot resolve intrinsic ${name}: ${JSON.stringify(arg)}`);
    }
  }

  private pseudo(name: string): string | undefined {
    switch (name) {
      case 'AWS::Partition': return this.env.partition;
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::Region': return this.env.region;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackId': return this.env.stackId;
      default: return undefined;
    }
  }

  private ref(name: string): Json {
    const pseudo = this.pseudo(name);
    if (pseudo !== undefined) return pseudo;
    if (name.startsWith('AWS::')) throw new Error(`cannot resolve pseudo parameter ${name}`);
    if (name in this.physical) return this.physical[name];
    const { Type: type, Properties: props = {} } = this.resource(name);
    const { partition, account } = this.env;
    switch (type) {
      case 'AWS::IAM::User': return this.nameOf(name, props.UserName);
      case 'AWS::IAM::Role': return this.nameOf(name, props.RoleName);
      case 'AWS::IAM::Policy': return this.nameOf(name, props.PolicyName);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${partition}:iam::${account}:policy${this.pathOf(props.Path)}${this.nameOf(name, props.ManagedPolicyName)}`;
      case 'AWS::SecretsManager::Secret': return this.secretArn(this.nameOf(name, props.Name));
      case 'AWS::KMS::Key': return fakeKeyId(name);
      case 'AWS::Logs::LogGroup': return this.nameOf(name, props.LogGroupName);
      case 'AWS::Lambda::Function': return this.nameOf(name, props.FunctionName);
      default: throw new Error(`cannot resolve Ref of ${name} (${type})`);
    }
  }

  private getAtt(logicalId: string, attribute: string): Json {
    const key = `${logicalId}.${attribute}`;
    if (key in this.physical) return this.physical[key];
    const { Type: type, Properties: props = {} } = this.resource(logicalId);
    const { partition, account, region } = this.env;
    switch (`${type}.${attribute}`) {
      case 'AWS::IAM::User.Arn':
        return `arn:${partition}:iam::${account}:user${this.pathOf(props.Path)}${this.ref(logicalId)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${account}:role${this.pathOf(props.Path)}${this.ref(logicalId)}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:${partition}:kms:${region}:${account}:key/${fakeKeyId(logicalId)}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${partition}:logs:${region}:${account}:log-group:${this.ref(logicalId)}:*`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${partition}:lambda:${region}:${account}:function:${this.ref(logicalId)}`;
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
