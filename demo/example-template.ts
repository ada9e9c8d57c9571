/**
 * Reads what the example app's synthesized template says about one managed
 * user — its name and path, the secret's initial value, and its registry
 * entry (schedule and lifecycle settings) — so the demo creates exactly that
 * in moto with SDK calls, and deploys the template's registry, resolved the
 * way CloudFormation resolves it, parsed by the function's own parser.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { parseRegistry, REGISTRY_METADATA_KEY, Registration, RegistryDocument } from '../src/rotation/contract';
import { IntrinsicResolver, Json, JsonObject, Resources, TEST_ENV } from '../test/support/intrinsics';

export interface ManagedUserSpec {
  readonly userName: string;
  readonly path: string;
  /** Logical ids of the user and of its secret in the template. */
  readonly userId: string;
  readonly secretId: string;
  readonly secretString: Json;
  readonly description: Json;
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

/** The user created by RotatingAccessKeyUser with the given user name, and its secret. */
export function managedUser(template: Synthesized['template'], userName: string): ManagedUserSpec {
  const resources = template.Resources;
  const [userId, user] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::User' && r.Properties?.UserName === userName)!;
  const entry = registryEntries(template).find((e) => JSON.stringify(e.userArn) === JSON.stringify({ 'Fn::GetAtt': [userId, 'Arn'] }));
  if (!entry) throw new Error(`the template registers no secret for user ${userName}`);
  const secretId = (entry.secretArn as JsonObject).Ref as string;
  const secret = resources[secretId].Properties!;
  return { userName, path: (user.Properties?.Path as string | undefined) ?? '/', userId, secretId, secretString: secret.SecretString, description: secret.Description };
}

/** The registry as the template states it: the rotation function's Metadata, unresolved. */
function registryEntries(template: Synthesized['template']): JsonObject[] {
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[REGISTRY_METADATA_KEY]);
  return ((fn!.Metadata![REGISTRY_METADATA_KEY] as JsonObject).registrations as JsonObject[]);
}

/**
 * The registry as CloudFormation would hold it once deployed, with the
 * resources the demo made in moto standing for their logical ids, checked by
 * the function's parser.
 */
export function deployedRegistry(template: Synthesized['template'], physical: Record<string, Json>): RegistryDocument {
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[REGISTRY_METADATA_KEY])!;
  const resolver = new IntrinsicResolver(template.Resources, TEST_ENV, physical);
  return parseRegistry({ [REGISTRY_METADATA_KEY]: resolver.resolve(fn.Metadata![REGISTRY_METADATA_KEY]) });
}

/** A resolver for one value of the template, with the same physical stand-ins. */
export function resolveValue(template: Synthesized['template'], physical: Record<string, Json>, value: Json): Json {
  return new IntrinsicResolver(template.Resources, TEST_ENV, physical).resolve(value);
}

export type { Registration };
