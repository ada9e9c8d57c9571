/**
 * The README's first Quick start command: the demo runs a year of the example
 * app's keys and ends with its summary line. It exits non-zero on an outage or
 * a broken invariant, so this test fails then too.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { buildBundle } from './support/bundle';

test('GIVEN the example app WHEN the demo simulates a year THEN no outage, every key rotated and retired, and no active key older than 40 days', () => {
  buildBundle();
  const root = path.join(__dirname, '..');
  const run = spawnSync('npx', ['ts-node', '--project', 'demo/tsconfig.json', 'demo/rotation-demo.ts'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' }, maxBuffer: 64 * 1024 * 1024,
  });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const last = run.stdout.trimEnd().split('\n').pop()!;
  const m = /^demo: users=(\d+) rotations=(\d+) deactivations=(\d+) deletions=(\d+) outages=(\d+) max_active_key_age_days=(\d+)$/.exec(last);
  expect(m).not.toBeNull();
  const [users, rotations, deactivations, deletions, outages, maxAge] = m!.slice(1).map(Number);
  expect({ users, outages }).toEqual({ users: 2, outages: 0 });
  // A year: 12 or 13 monthly rotations of backup-server, 52 or 53 weekly ones of legacy-ci, the revoke, the first keys.
  expect(rotations).toBeGreaterThanOrEqual(12 + 52 + 1 + 2);
  // Every old key but the last of each user is deactivated and deleted (the adopted hand-made key included).
  expect(deactivations).toBeGreaterThanOrEqual(rotations - 2);
  expect(deletions).toBeGreaterThanOrEqual(rotations - 4);
  expect(maxAge).toBeLessThanOrEqual(40);
  // The operator's commands ran through the real CLI, and the credential_process key signed an STS call.
  for (const command of ['deactivate', 'activate', 'status', 'release', 'revoke']) expect(run.stdout).toContain(`$ npx cdk-rotating-access-keys ${command}`);
  expect(run.stdout).toContain('STS GetCallerIdentity signed with it: arn:aws:iam::123456789012:user/service/backup-server');
  // No secret access key (40 characters of base64) anywhere in the output.
  expect(run.stdout).not.toMatch(/(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/);
}, 300_000);
