/**
 * The registry at run time: which secrets this function serves, whose keys
 * each holds, and each one's configuration — read from the function's own
 * CloudFormation Metadata, which only a stack update changes. Every entry
 * point looks a secret up here before acting; nothing else (tags, payloads,
 * other secrets) can add to it.
 */
import { parseRegistry, Registration, RegistryDocument, RegistryError } from './contract';
import type { Gateway } from './gateway';
import { RefusedError } from './model';

export class Registry {
  private readonly bySecret: Map<string, Registration>;

  constructor(readonly document: RegistryDocument) {
    this.bySecret = new Map(document.registrations.map((r) => [r.secretArn, r]));
  }

  get registrations(): Registration[] {
    return this.document.registrations;
  }

  find(secretArn: string): Registration | undefined {
    return this.bySecret.get(secretArn);
  }

  /** The registration of a secret; refused when this stack did not register it. */
  require(secretArn: string): Registration {
    const r = this.bySecret.get(secretArn);
    if (!r) throw new RefusedError(`secret ${secretArn} is not registered with this rotator's stack; the function acts only on the secrets its stack registered`);
    return r;
  }
}

export interface RegistrySource {
  load(): Promise<Registry>;
}

/** A fixed registry: the demo and tests that do not exercise CloudFormation. */
export class StaticRegistrySource implements RegistrySource {
  private readonly registry: Registry;
  constructor(document: RegistryDocument) {
    this.registry = new Registry(document);
  }
  async load(): Promise<Registry> {
    return this.registry;
  }
}

export interface StackRegistryOptions {
  readonly stackId: string;
  /** Logical id of the function's resource, whose Metadata carries the registry. */
  readonly logicalId: string;
  /** The digest deployed with this configuration of the function (its environment). */
  readonly digest: string;
  /** Reads while CloudFormation is still updating the Metadata to match. */
  readonly attempts?: number;
  readonly delayMs?: number;
}

/**
 * The registry as CloudFormation holds it. One DescribeStackResource per cold
 * start: the digest in the function's environment changes with every change
 * of the registry, so a function configured for this registry keeps it.
 */
export class StackRegistrySource implements RegistrySource {
  private cached?: Registry;

  constructor(private readonly gateway: Gateway, private readonly options: StackRegistryOptions) {}

  async load(): Promise<Registry> {
    if (this.cached) return this.cached;
    if (!this.options.stackId || !this.options.logicalId || !this.options.digest) {
      throw new RegistryError('the function has no registry configured (its stack id, resource and digest environment variables are unset)');
    }
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      const resource = await this.gateway.stackResource(this.options.stackId, this.options.logicalId);
      if (!resource) throw new RegistryError(`stack ${this.options.stackId} has no resource ${this.options.logicalId} to read the registry from`);
      const document = parseRegistry(resource.metadata);
      if (document.digest === this.options.digest) {
        this.cached = new Registry(document);
        return this.cached;
      }
      // CloudFormation updates a resource's Metadata and its properties in one step; a read in between waits.
      if (attempt >= attempts) {
        throw new RegistryError(`the registry in CloudFormation (digest ${document.digest.slice(0, 12)}) is not the one this function was deployed with `
          + `(${this.options.digest.slice(0, 12)}); the stack is being updated: try again when it is done`);
      }
      await new Promise((r) => setTimeout(r, (this.options.delayMs ?? 1000) * attempt));
    }
  }
}
