/**
 * The watch's pure decisions: which active keys count as managed, the
 * account's figures, and which unmanaged keys are reported. No AWS.
 */
import { secretDescription } from '../../src/rotation/contract';
import type { ReportedKey } from '../../src/rotation/gateway';
import { ageInDays, assess, keysHeldByUser, LibrarySecret } from '../../src/watch/assess';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const ARN = 'arn:aws:iam::123456789012:user/';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:rotator';
const key = (days: number, active = true, slot = 1): ReportedKey => ({ active, slot, createdAt: ago(days) });
const secret = (user: string, keyIds: string[], rotating = true): LibrarySecret => ({
  arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/${user}-AbCdEf`,
  description: secretDescription(user),
  rotationEnabled: rotating,
  rotationLambdaArn: rotating ? FN : undefined,
  versions: Object.fromEntries(keyIds.map((id, i) => [`v${i}`, [id, ...(i === 0 ? ['AWSCURRENT'] : ['AWSPREVIOUS'])]])),
});
const KEY_A = 'AKIAAAAAAAAAAAAAAAAA';
const KEY_B = 'AKIABBBBBBBBBBBBBBBB';

describe('keysHeldByUser', () => {
  test('GIVEN secrets of the library WHEN counted THEN only rotating ones count, by user name whatever its case, their key labels only', () => {
    const held = keysHeldByUser([
      secret('Alice', [KEY_A, KEY_B]),
      secret('bob', [KEY_A]),
      secret('carol', [KEY_A], false),
      { ...secret('dave', [KEY_A]), description: 'someone else: the access key of IAM user dave' },
      { ...secret('erin', []), versions: { v0: ['AWSCURRENT'] } },
    ]);
    expect([...held]).toEqual([['alice', 2], ['bob', 1], ['erin', 0]]);
  });
});

describe('assess', () => {
  test('GIVEN a managed user with a hand-made key WHEN assessed THEN the older active key is the unmanaged one, and it is reported past the age', () => {
    const report = new Map([[`${ARN}alice`, [key(120, true, 1), key(10, true, 2)]]]);
    const a = assess(report, keysHeldByUser([secret('alice', [KEY_A])]), NOW, 90 * 86_400);
    expect(a).toEqual({
      activeKeys: 2,
      unmanagedActiveKeys: 1,
      oldestManagedKeyAgeDays: 10,
      oldestUnmanagedKeyAgeDays: 120,
      keysPastIam3Age: 1,
      managedUsers: 1,
      toReport: [{ userName: 'alice', userArn: `${ARN}alice`, slot: 1, ageDays: 120, createdAt: ago(120) }],
    });
  });

  test('GIVEN a managed user in its grace period (two keys held, two active) WHEN assessed THEN both are managed', () => {
    const a = assess(new Map([[`${ARN}bob`, [key(35), key(5, true, 2)]]]), keysHeldByUser([secret('bob', [KEY_A, KEY_B])]), NOW, 0);
    expect(a).toMatchObject({ activeKeys: 2, unmanagedActiveKeys: 0, oldestManagedKeyAgeDays: 35, oldestUnmanagedKeyAgeDays: 0, toReport: [] });
  });

  test('GIVEN inactive keys and users without keys WHEN assessed THEN they count nowhere', () => {
    const a = assess(new Map([[`${ARN}carol`, [key(300, false)]], [`${ARN}dave`, []]]), new Map(), NOW, 0);
    expect(a).toEqual({
      activeKeys: 0,
      unmanagedActiveKeys: 0,
      oldestManagedKeyAgeDays: 0,
      oldestUnmanagedKeyAgeDays: 0,
      keysPastIam3Age: 0,
      managedUsers: 0,
      toReport: [],
    });
  });

  test('GIVEN keys of exactly 90 days and one second more WHEN assessed THEN only the older is past IAM.3, and the age to report is strict', () => {
    const report = new Map([
      [`${ARN}erin`, [{ active: true, slot: 1, createdAt: ago(90) }]],
      [`${ARN}frank`, [{ active: true, slot: 1, createdAt: new Date(ago(90).getTime() - 1000) }]],
    ]);
    const a = assess(report, new Map(), NOW, 90 * 86_400);
    expect(a.keysPastIam3Age).toBe(1);
    expect(a.toReport.map((k) => k.userName)).toEqual(['frank']);
  });

  test('GIVEN unmanaged keys of several users WHEN reported THEN oldest first, then by user ARN', () => {
    const report = new Map([[`${ARN}zed`, [key(200)]], [`${ARN}amy`, [key(200)]], [`${ARN}bea`, [key(300)]], [`${ARN}cy`, [key(20)]]]);
    expect(assess(report, new Map(), NOW, 30 * 86_400).toReport.map((k) => k.userName)).toEqual(['bea', 'amy', 'zed']);
  });

  test('GIVEN dates WHEN aged THEN whole days, never negative, 0 when unknown', () => {
    expect([ageInDays(ago(1.99), NOW), ageInDays(new Date(NOW.getTime() + DAY), NOW), ageInDays(undefined, NOW)]).toEqual([1, 0, 0]);
  });
});
