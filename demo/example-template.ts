/**
 * Reads what the example app's synthesized template says about each managed
 * key — the user (created by the stack, or imported), the secret's initial
 * value and description, and its registry entry — so the demo creates exactly
 * that in moto with SDK calls, and deploys the template's registry, resolved
 * the way CloudFormation resolves it, parsed by the function's own parser.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { parseRegistry, REGISTRY_METADATA_KEY, RegistryDocument } from '../src/rotation/contract';
import { IntrinsicResolver, Json, JsonObject, Resources, TEST_ENV } from '../test/support/intrinsics';

export interface ManagedKeySpec {
  /** Logical id of the secret in the template. */
  readonly secretId: string;
  readonly secretString: Json;
  readonly description: Json;
  /** The user: created by the stack (its logical id, name and path), or imported (its ARN). */
  readonly user: { readonly created: true; readonly logicalId: string; readonly userName: string; readonly path: string }
  | { readonly created: false; readonly userName: string; readonly path: string; readonly arn: string };
}

export interface Synthesized {
  readonly outDir: string;
  readonly template: { Resources: Resources };
  readonly seconds: number;
}

/** `cdk synth` of examples/ with the real CLI, offline. */
export function synthExample(): Synthesized {
  const outDir = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
  const started = Date.now();
  execFileSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', outDir], {
    cwd: path.join(__dirname, '..', 'examples'), stdio: ['ignore', 'ignore', 'pipe'],
  });
  const template = JSON.parse(readFileSync(path.join(outDir, 'AccessKeysExample.template.json'), 'utf8'));
  return { outDir, template, seconds: (Date.now() - started) / 1000 };
}

/** The cloud assembly's templates and manifests (not the function's code), as text. */
export function assemblyText(dir: string): string {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

/** The rotation function's resource: the one whose Metadata holds the registry. */
function registryResource(template: Synthesized['template']) {
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[REGISTRY_METADATA_KEY]);
  if (!fn) throw new Error('the template has no rotation function with a registry');
  return fn;
}

/** Every key the template registers, with what the demo needs to create its user and secret in moto. */
export function managedKeys(template: Synthesized['template']): ManagedKeySpec[] {
  const resources = template.Resources;
  const entries = (registryResource(template).Metadata![REGISTRY_METADATA_KEY] as JsonObject).registrations as JsonObject[];
  const resolver = new IntrinsicResolver(resources, TEST_ENV);
  return entries.map((entry) => {
    const secretId = (entry.secretArn as JsonObject).Ref as string;
    const secret = resources[secretId].Properties!;
    const getAtt = (entry.userArn as JsonObject)['Fn::GetAtt'] as string[] | undefined;
    if (getAtt) {
      const props = resources[getAtt[0]].Properties ?? {};
      return {
        secretId,
        secretString: secret.SecretString,
        description: secret.Description,
        user: { created: true as const, logicalId: getAtt[0], userName: props.UserName as string, path: (props.Path as string | undefined) ?? '/' },
      };
    }
    const arn = resolver.resolveString(entry.userArn);
    const [, userPath, userName] = /:user(\/(?:.*\/)?)([^/]+)$/.exec(arn)!;
    return {
      secretId, secretString: secret.SecretString, description: secret.Description, user: { created: false as const, userName, path: userPath, arn },
    };
  });
}

/**
 * The registry as CloudFormation would hold it once deployed, with the
 * resources the demo made in moto standing for their logical ids, checked by
 * the function's parser.
 */
export function deployedRegistry(template: Synthesized['template'], physical: Record<string, Json>): RegistryDocument {
  const resolver = new IntrinsicResolver(template.Resources, TEST_ENV, physical);
  return parseRegistry({ [REGISTRY_METADATA_KEY]: resolver.resolve(registryResource(template).Metadata![REGISTRY_METADATA_KEY]) });
}

/** A resolver for one value of the template, with the same physical stand-ins. */
export function resolveValue(template: Synthesized['template'], physical: Record<string, Json>, value: Json): Json {
  return new IntrinsicResolver(template.Resources, TEST_ENV, physical).resolve(value);
}
