/**
 * Reads what the example app's synthesized template says about one managed
 * user (its name and path, the secret's initial value and tags, the rotation
 * schedule), so the demo creates exactly that in moto with SDK calls.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ManagedUserSpec {
  readonly userName: string;
  readonly path: string;
  readonly secretString: string;
  readonly tags: Record<string, string>;
  readonly scheduleExpression: string;
}

export interface Synthesized {
  readonly outDir: string;
  readonly template: Json;
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

/** The user created by RotatingAccessKeyUser with the given user name. */
export function managedUser(template: Json, userName: string): ManagedUserSpec {
  const resources: Record<string, Json> = template.Resources;
  const [userId, user] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::User' && r.Properties.UserName === userName)!;
  const resolve = (v: Json): string => {
    if (typeof v === 'string') return v;
    if (v.Ref === userId) return userName;
    if (v['Fn::Join']) return v['Fn::Join'][1].map(resolve).join(v['Fn::Join'][0]);
    throw new Error(`the demo cannot resolve ${JSON.stringify(v)}`);
  };
  const [secretId, secret] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SecretsManager::Secret'
    && r.Properties.Tags.some((t: Json) => t.Key === 'access-key-rotation:user' && t.Value.Ref === userId))!;
  const schedule = Object.values(resources).find((r: Json) => r.Type === 'AWS::SecretsManager::RotationSchedule' && r.Properties.SecretId.Ref === secretId);
  return {
    userName,
    path: user.Properties.Path ?? '/',
    secretString: resolve(secret.Properties.SecretString),
    tags: Object.fromEntries(secret.Properties.Tags.map((t: Json) => [t.Key, resolve(t.Value)])),
    scheduleExpression: schedule.Properties.RotationRules.ScheduleExpression,
  };
}
