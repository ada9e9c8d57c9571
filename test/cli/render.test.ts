/**
 * The status table's NEXT column for the states the lifecycle reports rather than acts on: a registration
 * in mode OBSERVE, an old key the lifecycle keeps because the current key is not active (blocked), and the delivery function.
 */
import type { StatusReport } from '../../src/cli/commands';
import { statusTable } from '../../src/cli/render';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/alice-AbCdEf';

function report(view: Partial<StatusReport['secrets'][number]>): StatusReport {
  return {
    schemaVersion: 1,
    generatedAt: '2026-12-03T12:00:00.000Z',
    secrets: [{
      secretArn: SECRET,
      userName: 'alice',
      userArn: 'arn:aws:iam::123456789012:user/alice',
      stack: 'Stack',
      rotationInProgress: false,
      next: { action: 'none', due: false, reason: 'no old key to retire' },
      keys: [],
      ...view,
    }],
  } as StatusReport;
}

const key = (accessKeyId: string, status: string, stage: 'current' | 'previous' | 'foreign') =>
  ({ accessKeyId, status, stage, createdAt: '2026-11-01T12:00:00.000Z', ageDays: 32, lastUsed: { never: true as const } });

test('GIVEN a registration in mode OBSERVE THEN its next step says that nothing is changed in IAM, with keys or without', () => {
  expect(statusTable(report({ mode: 'OBSERVE' }), 400)).toContain('observe mode: nothing is changed in IAM (no key is created until the mode is ENFORCE)');
  expect(statusTable(report({ mode: 'OBSERVE', keys: [key('AKIAHANDMADE00000001', 'Active', 'foreign')] }), 400))
    .toContain('observe mode: nothing is changed in IAM');
  expect(statusTable(report({}), 400)).toContain('no key yet: created by the first rotation');
});

test('GIVEN the lifecycle keeps the old key because the current one is not active THEN its next step says blocked, and why', () => {
  const reason = 'the current key AKIACURRENT000000001 is Inactive, so the old key AKIAPREVIOUS00000001, the user\'s only active key, is not deactivated';
  const table = statusTable(report({
    next: { action: 'blocked', accessKeyId: 'AKIAPREVIOUS00000001', due: false, reason },
    keys: [key('AKIAPREVIOUS00000001', 'Active', 'previous'), key('AKIACURRENT000000001', 'Inactive', 'current')],
  }), 400);
  expect(table).toContain(`blocked: ${reason}`);
});

test('GIVEN a registration with a delivery function THEN the rotation\'s line says whom it delivers to, with keys or without; GIVEN none THEN nothing is said', () => {
  const deliveryFunction = 'arn:aws:lambda:us-east-1:123456789012:function:to-github';
  const withKey = statusTable(report({ deliveryFunction, nextRotationAt: '2027-01-02T12:00:00.000Z', keys: [key('AKIAEXAMPLE000000001', 'Active', 'current')] }), 400);
  expect(withKey).toMatch(/rotation 2027-01-02[^\n]*\n[^\n]*delivers to to-github/);
  expect(statusTable(report({ deliveryFunction }), 400)).toMatch(/no key yet: created by the first rotation[^\n]*\n[^\n]*delivers to to-github/);
  expect(statusTable(report({ keys: [key('AKIAEXAMPLE000000001', 'Active', 'current')] }), 400)).not.toContain('delivers to');
});
