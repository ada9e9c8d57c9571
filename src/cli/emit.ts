/**
 * `discover --emit typescript|python`: a complete CDK app, printed, that
 * adopts the users `discover` found with hand-made keys only: one
 * `RotatingAccessKey` per user, the user imported by ARN, `ADOPT` as the
 * foreign key policy and no rotation at deploy, so deploying it changes no
 * key (the first rotation, on the schedule or by `rotate`, adopts the active
 * key as the previous one). Construct ids and secret names are derived from
 * the user names so that the same account prints the same app.
 */
import type { DiscoveredUser } from './discover';

export type EmitLanguage = 'typescript' | 'python';
export const EMIT_LANGUAGES: EmitLanguage[] = ['typescript', 'python'];

/** The stack the printed app declares (`AdoptedAccessKeys1`, `2`... when the users need more than one). */
export const EMITTED_STACK = 'AdoptedAccessKeys';
/**
 * Users per stack: a `RotatingAccessKey` adds about 2 resources, and CloudFormation allows 500 per stack
 * (240 users fit: docs/PERFORMANCE.md); 200 leave room for what the operator adds.
 */
export const USERS_PER_STACK = 200;

/** The stacks' names and variables, and which stack each adoption goes to. */
function stacks(count: number): { name: string; variable: string }[] {
  const n = Math.max(1, Math.ceil(count / USERS_PER_STACK));
  return Array.from({ length: n }, (_, i) => (n === 1 ? { name: EMITTED_STACK, variable: 'stack' } : { name: `${EMITTED_STACK}${i + 1}`, variable: `stack${i + 1}` }));
}

/** A string literal both languages read the same way: single quotes, backslashes and quotes escaped, anything else beyond ASCII as \u. */
export function literal(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&').replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

export interface Adoption {
  readonly userName: string;
  readonly userArn: string;
  /** The construct's id, `AccessKey-<user name>` (the user's import is `User-<user name>`): unique, since user names are, and with no `/`. */
  readonly id: string;
  readonly secretName: string;
  /** Said in a comment above the construct: what the first rotation will find. */
  readonly note: string;
}

/**
 * One adoption per user. A secret name takes letters, digits and `/_+=.@-`
 * (a user name may also hold `,`, which becomes `_`); two users whose names
 * would give the same secret name (`a,b` and `a_b`, or names that differ in
 * case only as secret names do not) get `-2`, `-3`... in the order of their names.
 */
export function adoptions(users: DiscoveredUser[]): Adoption[] {
  const taken = new Map<string, number>();
  return [...users].sort((a, b) => (a.userName < b.userName ? -1 : a.userName > b.userName ? 1 : 0)).map((u) => {
    const base = `access-keys/${u.userName.replace(/,/g, '_')}`;
    const n = (taken.get(base.toLowerCase()) ?? 0) + 1;
    taken.set(base.toLowerCase(), n);
    const active = u.keys.filter((k) => k.status === 'Active');
    const ids = (keys: typeof u.keys) => keys.map((k) => k.accessKeyId ?? 'a key').join(' and ');
    const inactive = u.keys.filter((k) => k.status !== 'Active');
    const note = active.length > 1
      ? `two active keys (${ids(active)}): deactivate the one to drop before the first rotation, which refuses to choose`
      : [
        ...(active.length === 1 ? [`${ids(active)} (active, ${active[0].ageDays ?? '?'} d) becomes the previous key at the first rotation`] : []),
        ...(inactive.length > 0 ? [`${ids(inactive)} (inactive) is deleted at the first rotation`] : []),
      ].join('; ');
    return { userName: u.userName, userArn: u.userArn, id: `AccessKey-${u.userName}`, secretName: n === 1 ? base : `${base}-${n}`, note };
  });
}

function header(comment: string, count: number, at: string): string[] {
  return [
    `${comment} Adopts the hand-made access keys of ${count} IAM user${count === 1 ? '' : 's'} (cdk-rotating-access-keys discover, ${at.slice(0, 16).replace('T', ' ')} UTC).`,
    `${comment} Deploying it changes no key: each registration starts in mode OBSERVE, whose daily events say what a rotation would do`,
    `${comment} (docs/OBSERVE.md). Switched to ENFORCE, each user's active key becomes the previous key at its first rotation (on the`,
    `${comment} schedule, or \`cdk-rotating-access-keys rotate --user <name>\`), and is deactivated after the grace period: move its consumers to the secret by then.`,
  ];
}

/** A complete TypeScript CDK app (`npx cdk synth` runs it as it is printed, with aws-cdk-lib, constructs and this library installed). */
export function typescriptApp(users: DiscoveredUser[], at: string): string {
  const lines = [
    ...header('//', users.length, at),
    "import { App, Stack } from 'aws-cdk-lib';",
    "import * as iam from 'aws-cdk-lib/aws-iam';",
    "import { ForeignKeyPolicy, RotatingAccessKey, RotationMode } from 'cdk-rotating-access-keys';",
    '',
    'const app = new App();',
  ];
  const all = adoptions(users);
  const declared = stacks(all.length);
  for (const st of declared) lines.push(`const ${st.variable} = new Stack(app, ${literal(st.name)});`);
  all.forEach((a, i) => {
    const stack = declared[Math.floor(i / USERS_PER_STACK)].variable;
    lines.push(
      '',
      ...(a.note ? [`// ${a.note}`] : []),
      `new RotatingAccessKey(${stack}, ${literal(a.id)}, {`,
      `  user: iam.User.fromUserArn(${stack}, ${literal(`User-${a.userName}`)}, ${literal(a.userArn)}),`,
      '  foreignKeyPolicy: ForeignKeyPolicy.ADOPT,',
      '  rotateOnDeploy: false,',
      '  mode: RotationMode.OBSERVE,',
      `  secretName: ${literal(a.secretName)},`,
      '});',
    );
  });
  lines.push('', 'app.synth();', '');
  return lines.join('\n');
}

/** The same app in Python (the package's Python module, `cdk_rotating_access_keys`). */
export function pythonApp(users: DiscoveredUser[], at: string): string {
  const lines = [
    ...header('#', users.length, at),
    'import aws_cdk as cdk',
    'from aws_cdk import aws_iam as iam',
    'from cdk_rotating_access_keys import ForeignKeyPolicy, RotatingAccessKey, RotationMode',
    '',
    'app = cdk.App()',
  ];
  const all = adoptions(users);
  const declared = stacks(all.length);
  for (const st of declared) lines.push(`${st.variable} = cdk.Stack(app, ${literal(st.name)})`);
  all.forEach((a, i) => {
    const stack = declared[Math.floor(i / USERS_PER_STACK)].variable;
    lines.push(
      '',
      ...(a.note ? [`# ${a.note}`] : []),
      'RotatingAccessKey(',
      `    ${stack}, ${literal(a.id)},`,
      `    user=iam.User.from_user_arn(${stack}, ${literal(`User-${a.userName}`)}, ${literal(a.userArn)}),`,
      '    foreign_key_policy=ForeignKeyPolicy.ADOPT,',
      '    rotate_on_deploy=False,',
      '    mode=RotationMode.OBSERVE,',
      `    secret_name=${literal(a.secretName)},`,
      ')',
    );
  });
  lines.push('', 'app.synth()', '');
  return lines.join('\n');
}

export function emitApp(language: EmitLanguage, users: DiscoveredUser[], at: string): string {
  return language === 'python' ? pythonApp(users, at) : typescriptApp(users, at);
}
