/**
 * Finds what the operator names — a secret, a user, a stack, or everything —
 * and the registration the stack deployed for it, the way the rotation
 * function itself reads it: the function's environment names its stack and
 * the resource whose CloudFormation Metadata holds the registry, parsed by the
 * function's own parser. A secret no stack registered is not managed.
 */
import { CliAws } from './cli-aws';
import { CliError, ExitCode } from './errors';
import { Env, Registration, REGISTRY_METADATA_KEY, parseRegistry, SECRET_DESCRIPTION_PREFIX, userNameOf } from '../rotation/contract';
import { Registry, StackRegistrySource } from '../rotation/registry';

export interface Target {
  /** A secret's name or ARN. */
  readonly secretId?: string;
  readonly user?: string;
  /** A stack's name or id. */
  readonly stack?: string;
}

export interface Managed {
  readonly registration: Registration;
  readonly userName: string;
  /** The stack that registered it (its id, or the name the operator gave). */
  readonly stack: string;
}

interface StackRegistry {
  readonly registry: Registry;
  readonly stackId: string;
}

export class Locator {
  /** What could not be read while listing everything (one stack's registry, say): reported, not fatal to the rest. */
  readonly problems: unknown[] = [];
  private readonly byFunction = new Map<string, Promise<StackRegistry>>();

  constructor(private readonly aws: CliAws) {}

  /** Every managed key the target names (possibly none). */
  async find(target: Target): Promise<Managed[]> {
    if (target.secretId) return [await this.secret(target.secretId, target)];
    const found = target.stack ? await this.ofStack(target.stack) : await this.everywhere();
    return found.filter((m) => !target.user || m.userName === target.user);
  }

  /** Exactly one managed key: a command that changes something acts on one. */
  async one(target: Target): Promise<Managed> {
    if (!target.secretId && !target.user) throw new CliError(ExitCode.USAGE, 'name the key with --user <name> or --secret-id <name or ARN>');
    const found = await this.find(target);
    const where = target.stack ? ` in stack ${target.stack}` : '';
    if (found.length === 0) throw new CliError(ExitCode.NOT_FOUND, `no managed access key for user ${target.user}${where}`);
    if (found.length > 1) {
      throw new CliError(ExitCode.USAGE, `user ${target.user} has ${found.length} managed secrets${where}: name one with --secret-id `
        + `(${found.map((m) => m.registration.secretArn).join(', ')})`);
    }
    return found[0];
  }

  private async secret(secretId: string, target: Target): Promise<Managed> {
    const secret = await this.aws.describeSecret(secretId).catch((e) => {
      throw (e as Error).name === 'NotFound' ? new CliError(ExitCode.NOT_FOUND, `no secret ${secretId}`) : e;
    });
    if (!secret.description?.startsWith(SECRET_DESCRIPTION_PREFIX)) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} is not managed by cdk-rotating-access-keys (its description does not start with '${SECRET_DESCRIPTION_PREFIX}')`);
    }
    if (!secret.rotationLambdaArn) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} is not managed: its rotation is off (not deployed yet, or its stack removed it with RETAIN)`);
    }
    const { registry, stackId } = await this.ofFunction(secret.rotationLambdaArn);
    const registration = registry.find(secret.arn);
    if (!registration) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} is not registered with the stack of its rotation function (${stackId}): `
        + 'the stack no longer manages it');
    }
    const managed = { registration, userName: userNameOf(registration.userArn), stack: stackId };
    if (target.user && managed.userName !== target.user) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} holds the keys of user ${managed.userName}, not ${target.user}`);
    }
    if (target.stack && !sameStack(stackId, target.stack)) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} is registered with stack ${stackId}, not ${target.stack}`);
    }
    return managed;
  }

  /** The registry a rotation function serves: its stack and registry resource are in its environment. */
  private ofFunction(functionArn: string): Promise<StackRegistry> {
    let found = this.byFunction.get(functionArn);
    if (!found) {
      found = (async () => {
        const env = await this.aws.functionEnvironment(functionArn);
        const stackId = env[Env.STACK_ID];
        const logicalId = env[Env.REGISTRY_RESOURCE];
        const digest = env[Env.REGISTRY_DIGEST];
        if (!stackId || !logicalId || !digest) {
          throw new CliError(ExitCode.NOT_FOUND, `function ${functionArn} is not an AccessKeyRotator's function (no registry in its environment)`);
        }
        const registry = await new StackRegistrySource(this.aws, { stackId, logicalId, digest, attempts: 2, delayMs: 2000 }).load();
        return { registry, stackId };
      })();
      this.byFunction.set(functionArn, found);
    }
    return found;
  }

  /** The registry of a named stack: the function whose Metadata holds it. */
  private async ofStack(stack: string): Promise<Managed[]> {
    const functions = await this.aws.stackFunctions(stack).catch((e) => {
      throw (e as Error).name === 'NotFound' ? new CliError(ExitCode.NOT_FOUND, `no stack ${stack}`) : e;
    });
    for (const fn of functions) {
      const resource = await this.aws.stackResource(stack, fn.logicalId);
      const metadata = resource?.metadata as Record<string, unknown> | undefined;
      if (!metadata?.[REGISTRY_METADATA_KEY]) continue;
      const registry = parseRegistry(metadata);
      return registry.registrations.map((registration) => ({ registration, userName: userNameOf(registration.userArn), stack }));
    }
    throw new CliError(ExitCode.NOT_FOUND, `stack ${stack} has no AccessKeyRotator (no function with a registry)`);
  }

  /** Every managed key in the account and region: the library's secrets, each through its rotation function's registry. */
  private async everywhere(): Promise<Managed[]> {
    const out: Managed[] = [];
    const failed = new Set<string>();
    for await (const listed of this.aws.listSecrets(SECRET_DESCRIPTION_PREFIX)) {
      if (!listed.rotationLambdaArn || failed.has(listed.rotationLambdaArn)) continue;
      let found: StackRegistry;
      try {
        found = await this.ofFunction(listed.rotationLambdaArn);
      } catch (e) {
        failed.add(listed.rotationLambdaArn);
        this.problems.push(e);
        continue;
      }
      const { registry, stackId } = found;
      const registration = registry.find(listed.arn);
      if (registration) out.push({ registration, userName: userNameOf(registration.userArn), stack: stackId });
    }
    return out;
  }
}

/** A stack id (ARN) and a name or id given by the operator name the same stack. */
function sameStack(stackId: string, given: string): boolean {
  return stackId === given || stackId.split('/')[1] === given;
}
