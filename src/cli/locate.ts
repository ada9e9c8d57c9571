/**
 * Finds what the operator names — a secret, a user, a stack, or everything —
 * and the registration the stack deployed for it, the way the rotation
 * function itself reads it: the function's environment names its stack and
 * the resource whose CloudFormation Metadata holds the registry, parsed by the
 * function's own parser. A secret no stack registered is not managed.
 *
 * Whoever can create a function and a stack can write a registry that names
 * any user, so the operator may pin the stacks the CLI trusts
 * (`ROTATING_ACCESS_KEYS_STACKS`, or `--stack` for one command): then only
 * their registries are read, and a secret registered through any other stack
 * is refused, naming that stack.
 */
import { CliAws } from './cli-aws';
import { CliError, ExitCode } from './errors';
import { Env, Registration, REGISTRY_METADATA_KEY, parseRegistry, SECRET_DESCRIPTION_PREFIX, userNameOf } from '../rotation/contract';
import type { ListedSecret } from '../rotation/gateway';
import { Registry, StackRegistrySource } from '../rotation/registry';

/** The stacks the CLI trusts: a comma-separated list of stack names or ids (ARNs). Unset or empty: every stack. */
export const TRUSTED_STACKS_ENV = 'ROTATING_ACCESS_KEYS_STACKS';

const STACK_NAME = /^[A-Za-z][-A-Za-z0-9]{0,127}$/;
const STACK_ID = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][-A-Za-z0-9]{0,127}\/[-A-Za-z0-9]+$/;

/** A stack name or id as the operator gives it, or a usage error naming where it came from. */
export function checkStack(value: string, from: string): string {
  if (!STACK_NAME.test(value) && !STACK_ID.test(value)) {
    throw new CliError(ExitCode.USAGE, `${from} must name stacks by name (a letter, then letters, digits and -) or id (its ARN), got '${value}'`);
  }
  return value;
}

/** The trusted stacks in `ROTATING_ACCESS_KEYS_STACKS`; undefined when it is unset or empty. */
export function trustedStacks(value: string | undefined): string[] | undefined {
  const stacks = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return stacks.length === 0 ? undefined : stacks.map((s) => checkStack(s, TRUSTED_STACKS_ENV));
}

/** The name in a stack id (`arn:…:stack/<name>/<uuid>`), or the name itself. */
export function stackName(stack: string): string {
  return stack.startsWith('arn:') ? stack.split('/')[1] ?? stack : stack;
}

/** A stack for people: its name, and its id when known. */
export function describeStack(stack: string): string {
  return stack.startsWith('arn:') ? `${stackName(stack)} (${stack})` : stack;
}

/** Whether two names or ids name the same stack: ids are compared whole, a name with the name in an id. */
export function sameStack(a: string, b: string): boolean {
  if (a.startsWith('arn:') && b.startsWith('arn:')) return a === b;
  return stackName(a) === stackName(b);
}

/** IAM user names are unique whatever their case. */
export function sameUser(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

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
  /** The library's secrets as ListSecrets listed them, when `find` listed the account's (no stack named or pinned). */
  listed?: ListedSecret[];
  private readonly byFunction = new Map<string, Promise<StackRegistry>>();

  /** `trusted`: the pinned stacks (names or ids); undefined trusts every stack. */
  constructor(private readonly aws: CliAws, private readonly trusted?: string[]) {}

  /** Every managed key the target names (possibly none). */
  async find(target: Target): Promise<Managed[]> {
    if (target.stack) {
      checkStack(target.stack, '--stack');
      this.refuseUntrusted(target.stack, `--stack ${target.stack}`);
    }
    if (target.secretId) return [await this.secret(target.secretId, target)];
    let found: Managed[];
    if (target.stack) found = await this.ofStack(target.stack);
    else if (this.trusted) found = await this.ofTrusted(this.trusted);
    else found = await this.everywhere();
    return found.filter((m) => !target.user || sameUser(m.userName, target.user));
  }

  /** Refuses a stack the operator did not pin, when stacks are pinned. */
  private refuseUntrusted(stack: string, what: string): void {
    if (this.trusted && !this.trusted.some((t) => sameStack(t, stack))) {
      throw new CliError(ExitCode.REFUSED, `${what}: stack ${describeStack(stack)} is not one the CLI trusts: `
        + `${TRUSTED_STACKS_ENV} pins ${this.trusted.join(', ')}; nothing was changed`);
    }
  }

  /** Exactly one managed key: a command that changes something acts on one. */
  async one(target: Target): Promise<Managed> {
    if (!target.secretId && !target.user) throw new CliError(ExitCode.USAGE, 'name the key with --user <name> or --secret-id <name or ARN>');
    const found = await this.find(target);
    const where = target.stack ? ` in stack ${target.stack}` : this.trusted ? ` in the stacks ${TRUSTED_STACKS_ENV} pins (${this.trusted.join(', ')})` : '';
    // A registry that could not be read may hold the key: say why rather than "not found".
    if (found.length === 0 && this.problems.length > 0) throw this.problems[0];
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
    const { registry, stackId } = await this.ofFunction(secret.rotationLambdaArn, `secret ${secret.name}'s rotation function names its stack`);
    const registration = registry.find(secret.arn);
    if (!registration) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} is not registered with the stack of its rotation function (${stackId}): `
        + 'the stack no longer manages it');
    }
    const managed = { registration, userName: userNameOf(registration.userArn), stack: stackId };
    if (target.user && !sameUser(managed.userName, target.user)) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} holds the keys of user ${managed.userName}, not ${target.user}`);
    }
    if (target.stack && !sameStack(stackId, target.stack)) {
      throw new CliError(ExitCode.NOT_FOUND, `secret ${secret.name} is registered with stack ${stackId}, not ${target.stack}`);
    }
    return managed;
  }

  /**
   * The registry a rotation function serves: its stack and registry resource
   * are in its environment. A stack the operator did not pin is refused before
   * its registry is read (`what` says how it was reached).
   */
  private ofFunction(functionArn: string, what: string): Promise<StackRegistry> {
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
        this.refuseUntrusted(stackId, what);
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

  /** The registrations of the pinned stacks; one that cannot be read (deleted, denied) is a problem, not fatal to the rest. */
  private async ofTrusted(stacks: string[]): Promise<Managed[]> {
    const out: Managed[] = [];
    for (const stack of stacks) {
      try {
        out.push(...await this.ofStack(stack));
      } catch (e) {
        this.problems.push(e);
      }
    }
    return out;
  }

  /** Every managed key in the account and region: the library's secrets, each through its rotation function's registry. */
  private async everywhere(): Promise<Managed[]> {
    const out: Managed[] = [];
    const failed = new Set<string>();
    const all: ListedSecret[] = [];
    for await (const listed of this.aws.listSecrets(SECRET_DESCRIPTION_PREFIX)) {
      all.push(listed);
      if (!listed.rotationLambdaArn || failed.has(listed.rotationLambdaArn)) continue;
      let found: StackRegistry;
      try {
        found = await this.ofFunction(listed.rotationLambdaArn, `secret ${listed.name ?? listed.arn}'s rotation function names its stack`);
      } catch (e) {
        failed.add(listed.rotationLambdaArn);
        this.problems.push(e);
        continue;
      }
      const { registry, stackId } = found;
      const registration = registry.find(listed.arn);
      if (registration) out.push({ registration, userName: userNameOf(registration.userArn), stack: stackId });
    }
    this.listed = all;
    return out;
  }
}
