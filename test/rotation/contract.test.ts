/**
 * The contract between the constructs and the rotation function
 * (`src/rotation/contract.ts`): the registry's parser, which refuses the whole
 * registry on any problem and names the entry, the field and the value; the
 * user ARN rules (one IAM user, no wildcard); and the key label format.
 */
import * as fc from 'fast-check';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import {
  accountOf, Defaults, isKeyLabel, Limits, parseRegistry, parseRotationEntry, Registration, REGISTRATION_METADATA_KEY, REGISTRY_METADATA_KEY,
  REGISTRY_VERSION, RegistryDocument, RegistryError, Removal, Stage, userArnProblem, userNameOf,
} from '../../src/rotation/contract';

const ACCOUNT = '123456789012';
const DIGEST = 'ab'.repeat(32);
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:access-keys/alice-AbCdEf`;
const OTHER_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:access-keys/bob-GhIjKl`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const HOUR = 3600;
const DAY = 24 * HOUR;

const entry = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  secretArn: SECRET,
  userArn: ALICE,
  deactivateAfterSeconds: Defaults.deactivateAfterSeconds,
  deleteAfterSeconds: Defaults.deleteAfterSeconds,
  postponeWhileInUseSeconds: Defaults.postponeWhileInUseSeconds,
  foreignKeyPolicy: ForeignKeyPolicy.FAIL,
  removal: Removal.RETAIN,
  scheduleExpression: Defaults.scheduleExpression,
  rotateOnDeploy: true,
  ...overrides,
});

/** A second, valid entry that clashes with nothing: the entry under test sits at index 1. */
const bob = () => entry({ secretArn: OTHER_SECRET, userArn: BOB });

const metadata = (document: Record<string, unknown>): unknown => ({ [REGISTRY_METADATA_KEY]: document });
const doc = (registrations: unknown, extra: Record<string, unknown> = {}) =>
  metadata({ version: REGISTRY_VERSION, digest: DIGEST, registrations, ...extra });

/** The error parseRegistry throws (failing the test when it does not throw a RegistryError). */
function refusal(input: unknown): RegistryError {
  try {
    parseRegistry(input);
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error(`parseRegistry accepted ${JSON.stringify(input)}`);
}

describe('parseRegistry: the document', () => {
  test('GIVEN a valid registry WHEN parsed THEN its version, digest and registrations come back', () => {
    expect(parseRegistry(doc([entry(), bob()]))).toEqual({ version: REGISTRY_VERSION, digest: DIGEST, registrations: [entry(), bob()] });
  });

  test('GIVEN a registry with no registrations WHEN parsed THEN it is valid and empty', () => {
    expect(parseRegistry(doc([]))).toEqual({ version: REGISTRY_VERSION, digest: DIGEST, registrations: [] });
  });

  test('GIVEN fields the contract does not know WHEN parsed THEN they are dropped, never passed on', () => {
    const parsed = parseRegistry(doc([entry({ extra: 'x', windowHours: undefined })], { note: 'y' }));
    expect(parsed).toEqual({ version: REGISTRY_VERSION, digest: DIGEST, registrations: [entry()] });
    expect(Object.keys(parsed.registrations[0])).not.toContain('extra');
    expect(Object.keys(parsed.registrations[0])).not.toContain('windowHours');
  });

  test.each([
    ['null', null, 'null'],
    ['an array', [], '[]'],
    ['a string', 'registry', '"registry"'],
    ['nothing', undefined, 'nothing'],
  ])('GIVEN Metadata that is %s WHEN parsed THEN it is refused naming the Metadata and the value', (_, input, shown) => {
    expect(refusal(input).message).toBe(`the function's Metadata must be a JSON object, got ${shown}`);
  });

  test('GIVEN Metadata without the registry key WHEN parsed THEN it is refused naming the key', () => {
    expect(refusal({ other: {} }).message).toBe(`Metadata key ${REGISTRY_METADATA_KEY} must be a JSON object, got nothing`);
  });

  test.each([
    ['a newer version', 2, '2'],
    ['a version as text', '1', '"1"'],
    ['no version', undefined, 'nothing'],
  ])('GIVEN %s WHEN parsed THEN it is refused naming the version and the value', (_, version, shown) => {
    expect(refusal(metadata({ version, digest: DIGEST, registrations: [] })).message).toBe(`registry version must be ${REGISTRY_VERSION}, got ${shown}`);
  });

  test.each([
    ['upper-case hex', 'AB'.repeat(32)],
    ['63 characters', 'a'.repeat(63)],
    ['65 characters', 'a'.repeat(65)],
    ['a non-hex character', `${'a'.repeat(63)}g`],
    ['a number', 42],
    ['nothing', undefined],
  ])('GIVEN a digest of %s WHEN parsed THEN it is refused naming the digest and the value', (_, digest) => {
    const message = refusal(metadata({ version: REGISTRY_VERSION, digest, registrations: [] })).message;
    expect(message).toMatch(/^registry digest must be 64 hex characters, got /);
    expect(message).toContain(digest === undefined ? 'nothing' : JSON.stringify(digest));
  });

  test('GIVEN any 64 lower-case hex characters WHEN parsed as the digest THEN the digest is kept as it is', () => {
    fc.assert(fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (digest) => {
      expect(parseRegistry(metadata({ version: REGISTRY_VERSION, digest, registrations: [] })).digest).toBe(digest);
    }));
  });

  test.each([
    ['an object', {}, '{}'],
    ['nothing', undefined, 'nothing'],
  ])('GIVEN registrations that are %s WHEN parsed THEN they are refused naming the field and the value', (_, registrations, shown) => {
    expect(refusal(doc(registrations)).message).toBe(`registry registrations must be a list, got ${shown}`);
  });

  test.each([
    ['null', null, 'null'],
    ['a string', SECRET, JSON.stringify(SECRET)],
    ['a list', [SECRET], JSON.stringify([SECRET])],
  ])('GIVEN an entry that is %s WHEN parsed THEN it is refused naming the entry and the value', (_, raw, shown) => {
    expect(refusal(doc([bob(), raw])).message).toBe(`registrations[1] must be a JSON object, got ${shown}`);
  });

  test('GIVEN a very long value WHEN it is refused THEN the message shows it cut short', () => {
    const message = refusal(doc([bob(), entry({ scheduleExpression: `rate(${'9'.repeat(500)} minutes)` })])).message;
    expect(message).toContain('registrations[1].scheduleExpression');
    expect(message.endsWith('…')).toBe(true);
    expect(message.length).toBeLessThan(400);
  });
});

describe('parseRegistry: each field of an entry', () => {
  /** The registration refused as entry 1, its field and its value all named. */
  function expectRefused(overrides: Record<string, unknown>, field: string, value: unknown): void {
    const message = refusal(doc([bob(), entry(overrides)])).message;
    expect(message).toContain(`registrations[1].${field}`);
    // The value as JSON (long ones cut short: their start is shown).
    expect(message).toContain(value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 150));
  }

  const accepted = (overrides: Record<string, unknown>): Registration => parseRegistry(doc([bob(), entry(overrides)])).registrations[1];

  describe('secretArn', () => {
    test.each([
      ['a name with a wildcard', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:access-keys/*`],
      ['a name with ?', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:access-keys/alic?-AbCdEf`],
      ['another service', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/alice`],
      ['no account', 'arn:aws:secretsmanager:us-east-1::secret:alice-AbCdEf'],
      ['a name over 512 characters', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${'a'.repeat(513)}`],
      ['a bare name', 'access-keys/alice'],
      ['an empty string', ''],
      ['a number', 7],
      ['nothing', undefined],
    ])('GIVEN %s WHEN parsed THEN it is refused naming the field, the entry and the value', (_, secretArn) => {
      expectRefused({ secretArn }, 'secretArn', secretArn);
      expect(refusal(doc([bob(), entry({ secretArn })])).message).toMatch(/must be a Secrets Manager secret ARN/);
    });

    test.each([
      ['the commercial partition', SECRET],
      ['China', `arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:a_b+c=d.e@f-AbCdEf`],
      ['GovCloud', `arn:aws-us-gov:secretsmanager:us-gov-west-1:${ACCOUNT}:secret:x-AbCdEf`],
    ])('GIVEN a secret ARN in %s WHEN parsed THEN it is accepted', (_, secretArn) => {
      expect(accepted({ secretArn }).secretArn).toBe(secretArn);
    });
  });

  describe('userArn', () => {
    test.each([
      ['a wildcard name', `arn:aws:iam::${ACCOUNT}:user/*`],
      ['a wildcard in the path', `arn:aws:iam::${ACCOUNT}:user/*/alice`],
      ['a ? in the name', `arn:aws:iam::${ACCOUNT}:user/alic?`],
    ])('GIVEN %s WHEN parsed THEN it is refused because a wildcard would give every matching user', (_, userArn) => {
      expectRefused({ userArn }, 'userArn', userArn);
      expect(refusal(doc([bob(), entry({ userArn })])).message).toMatch(/wildcard/);
    });

    test.each([
      ['a role', `arn:aws:iam::${ACCOUNT}:role/alice`],
      ['a group', `arn:aws:iam::${ACCOUNT}:group/admins`],
      ['the root user', `arn:aws:iam::${ACCOUNT}:root`],
      ['an assumed role', `arn:aws:sts::${ACCOUNT}:assumed-role/admin/alice`],
      ['an 11-digit account', 'arn:aws:iam::12345678901:user/alice'],
      ['an empty name', `arn:aws:iam::${ACCOUNT}:user/`],
      ['a name of 65 characters', `arn:aws:iam::${ACCOUNT}:user/${'a'.repeat(65)}`],
      ['a name with a space', `arn:aws:iam::${ACCOUNT}:user/al ice`],
      ['a bare user name', 'alice'],
      ['a number', 42],
      ['nothing', undefined],
    ])('GIVEN %s WHEN parsed THEN it is refused naming the field, the entry and the value', (_, userArn) => {
      expectRefused({ userArn }, 'userArn', userArn);
    });

    test.each([
      ['a user', ALICE],
      ['a user with a path', `arn:aws:iam::${ACCOUNT}:user/division/team/alice`],
      ['a name of 64 characters', `arn:aws:iam::${ACCOUNT}:user/${'a'.repeat(64)}`],
      ['a name with every allowed sign', `arn:aws:iam::${ACCOUNT}:user/a+b=c,d.e@f-g_h`],
      ['GovCloud', `arn:aws-us-gov:iam::${ACCOUNT}:user/alice`],
    ])('GIVEN %s WHEN parsed THEN it is accepted', (_, userArn) => {
      expect(accepted({ userArn }).userArn).toBe(userArn);
    });
  });

  describe.each([
    ['deactivateAfterSeconds', Limits.deactivateAfterSeconds],
    ['deleteAfterSeconds', Limits.deleteAfterSeconds],
    ['postponeWhileInUseSeconds', Limits.postponeWhileInUseSeconds],
  ] as const)('%s', (field, { min, max, text }) => {
    test.each([
      ['1 below the minimum', min - 1],
      ['1 above the maximum', max + 1],
      ['a fraction', min + 0.5],
      ['negative', -HOUR],
      ['text', String(min)],
      ['null', null],
      ['nothing', undefined],
    ])('GIVEN %s WHEN parsed THEN it is refused naming the field, the entry, the range and the value', (_, value) => {
      expectRefused({ [field]: value }, field, value);
      expect(refusal(doc([bob(), entry({ [field]: value })])).message).toContain(`must be ${text} in seconds`);
    });

    test.each([['the minimum', min], ['the maximum', max]])('GIVEN %s WHEN parsed THEN it is accepted', (_, value) => {
      expect(accepted({ [field]: value })[field]).toBe(value);
    });

    test('GIVEN any whole number in range WHEN parsed THEN it is accepted as it is', () => {
      fc.assert(fc.property(fc.integer({ min, max }), (value) => {
        expect(accepted({ [field]: value })[field]).toBe(value);
      }), { numRuns: 50 });
    });
  });

  test('GIVEN the ranges WHEN read THEN they are those the documentation states', () => {
    expect(Limits.deactivateAfterSeconds).toMatchObject({ min: HOUR, max: 1000 * DAY });
    expect(Limits.deleteAfterSeconds).toMatchObject({ min: HOUR, max: 1000 * DAY });
    expect(Limits.postponeWhileInUseSeconds).toMatchObject({ min: 0, max: 90 * DAY });
    expect(Limits.windowHours).toMatchObject({ min: 1, max: 24 });
  });

  describe('windowHours', () => {
    test.each([
      ['0', 0],
      ['25', 25],
      ['a fraction', 1.5],
      ['text', '4'],
      ['null', null],
    ])('GIVEN %s WHEN parsed THEN it is refused naming the field, the entry, the range and the value', (_, windowHours) => {
      expectRefused({ windowHours }, 'windowHours', windowHours);
      const message = refusal(doc([bob(), entry({ windowHours })])).message;
      expect(message).toContain(`must be ${Limits.windowHours.text}, got`);
      expect(message).not.toContain('in seconds');
    });

    test.each([1, 4, 24])('GIVEN %i hours WHEN parsed THEN it is accepted', (windowHours) => {
      expect(accepted({ windowHours }).windowHours).toBe(windowHours);
    });

    test('GIVEN no window WHEN parsed THEN the registration has none', () => {
      expect(accepted({})).not.toHaveProperty('windowHours');
    });
  });

  describe('noticeBeforeSeconds (early notice)', () => {
    test.each([
      ['under an hour', 3599],
      ['a fraction', 3600.5],
      ['text', '3600'],
      ['null', null],
    ])('GIVEN %s WHEN parsed THEN it is refused naming the field, the entry and the value', (_, noticeBeforeSeconds) => {
      expectRefused({ noticeBeforeSeconds }, 'noticeBeforeSeconds', noticeBeforeSeconds);
    });

    test('GIVEN more than the grace period WHEN parsed THEN it is refused naming both', () => {
      const message = refusal(doc([bob(), entry({ deactivateAfterSeconds: 2 * DAY, noticeBeforeSeconds: 2 * DAY + 1 })])).message;
      expect(message).toContain(`registrations[1].noticeBeforeSeconds must be at most deactivateAfterSeconds (${2 * DAY}), got ${2 * DAY + 1}`);
    });

    test('GIVEN exactly the grace period, or none WHEN parsed THEN it is accepted as it is, or absent', () => {
      expect(accepted({ deactivateAfterSeconds: 2 * DAY, noticeBeforeSeconds: 2 * DAY }).noticeBeforeSeconds).toBe(2 * DAY);
      expect(accepted({})).not.toHaveProperty('noticeBeforeSeconds');
    });
  });

  describe('owner', () => {
    test.each([
      ['empty', ''],
      ['257 characters', 'x'.repeat(257)],
      ['a control character', 'team\nstorage'],
      ['a number', 42],
    ])('GIVEN %s WHEN parsed THEN it is refused naming the field, the entry and the value', (_, owner) => {
      expectRefused({ owner }, 'owner', owner);
    });

    test.each(['team-storage@example.com', 'Storage team (#storage-oncall)', 'x'.repeat(256)])('GIVEN %p WHEN parsed THEN it is kept as it is', (owner) => {
      expect(accepted({ owner }).owner).toBe(owner);
    });
  });

  describe('foreignKeyPolicy', () => {
    test.each(['adopt', 'DELETE_ALL', '', 0, null, undefined])('GIVEN %p WHEN parsed THEN it is refused naming the field, the entry, the choices and the value', (value) => {
      expectRefused({ foreignKeyPolicy: value }, 'foreignKeyPolicy', value);
      expect(refusal(doc([bob(), entry({ foreignKeyPolicy: value })])).message).toContain('must be one of FAIL, DELETE_INACTIVE, ADOPT');
    });

    test.each(Object.values(ForeignKeyPolicy))('GIVEN %s WHEN parsed THEN it is accepted', (policy) => {
      expect(accepted({ foreignKeyPolicy: policy }).foreignKeyPolicy).toBe(policy);
    });
  });

  describe('removal', () => {
    test.each(['destroy', 'SNAPSHOT', '', true, undefined])('GIVEN %p WHEN parsed THEN it is refused naming the field, the entry and the value', (value) => {
      expectRefused({ removal: value }, 'removal', value);
      expect(refusal(doc([bob(), entry({ removal: value })])).message).toContain('must be DESTROY or RETAIN');
    });

    test.each([Removal.DESTROY, Removal.RETAIN])('GIVEN %s WHEN parsed THEN it is accepted', (removal) => {
      expect(accepted({ removal }).removal).toBe(removal);
    });
  });

  describe('scheduleExpression', () => {
    test.each([
      'rate(30 minutes)', 'rate(days)', 'rate(-1 days)', 'at(2025-01-01T00:00:00)', 'cron()', 'cron(0 12 (1) * ? *)', 'rate(1 day) ', '', 30, undefined,
    ])('GIVEN %p WHEN parsed THEN it is refused naming the field, the entry and the value', (value) => {
      expectRefused({ scheduleExpression: value }, 'scheduleExpression', value);
    });

    test.each(['rate(1 hour)', 'rate(4 hours)', 'rate(1 day)', 'rate(30 days)', 'cron(0 12 ? * MON *)', 'cron(0 8 1 * ? *)'])(
      'GIVEN %s WHEN parsed THEN it is accepted', (scheduleExpression) => {
        expect(accepted({ scheduleExpression }).scheduleExpression).toBe(scheduleExpression);
      });
  });

  describe('rotateOnDeploy', () => {
    test.each(['true', 1, null, undefined])('GIVEN %p WHEN parsed THEN it is refused naming the field, the entry and the value', (value) => {
      expectRefused({ rotateOnDeploy: value }, 'rotateOnDeploy', value);
    });

    test.each([true, false])('GIVEN %p WHEN parsed THEN it is accepted', (rotateOnDeploy) => {
      expect(accepted({ rotateOnDeploy }).rotateOnDeploy).toBe(rotateOnDeploy);
    });
  });
});

describe('parseRegistry: one registration per secret and per user', () => {
  test('GIVEN the same secret registered twice WHEN parsed THEN the registry is refused naming the second entry and the secret', () => {
    const message = refusal(doc([entry(), entry({ userArn: BOB })])).message;
    expect(message).toBe(`registrations[1].secretArn is registered twice: ${SECRET}`);
  });

  test('GIVEN the same user registered for two secrets WHEN parsed THEN the registry is refused naming the second entry and the user', () => {
    const message = refusal(doc([entry(), bob(), entry({ secretArn: OTHER_SECRET.replace('bob', 'carol') })])).message;
    expect(message).toBe(`registrations[2].userArn is registered twice: ${ALICE}`);
  });

  test('GIVEN the same user name under two paths WHEN parsed THEN it is refused (a name is unique in an account whatever its path)', () => {
    const pathed = `arn:aws:iam::${ACCOUNT}:user/team/alice`;
    expect(refusal(doc([entry(), entry({ secretArn: OTHER_SECRET, userArn: pathed })])).message)
      .toBe(`registrations[1].userArn is registered twice: ${pathed}`);
  });

  test('GIVEN the same user name in another case WHEN parsed THEN it is refused (IAM user names are unique whatever their case)', () => {
    const shouted = `arn:aws:iam::${ACCOUNT}:user/ALICE`;
    expect(refusal(doc([entry(), entry({ secretArn: OTHER_SECRET, userArn: shouted })])).message)
      .toBe(`registrations[1].userArn is registered twice: ${shouted}`);
  });

  test('GIVEN users of the same name in two accounts WHEN parsed THEN both are accepted', () => {
    const elsewhere = 'arn:aws:iam::210987654321:user/alice';
    expect(parseRegistry(doc([entry(), entry({ secretArn: OTHER_SECRET, userArn: elsewhere })])).registrations).toHaveLength(2);
  });

  test('GIVEN one bad entry among good ones WHEN parsed THEN the whole registry is refused (nothing is half-trusted)', () => {
    expect(() => parseRegistry(doc([entry(), bob(), entry({ secretArn: SECRET.replace('alice', 'carol'), userArn: `arn:aws:iam::${ACCOUNT}:user/*` })])))
      .toThrow(RegistryError);
  });
});

describe('parseRegistry properties', () => {
  const nameArb = fc.stringMatching(/^[A-Za-z0-9_+=.@-]{1,20}$/);
  const registrationArb: fc.Arbitrary<Registration> = fc.record({
    secretArn: nameArb.map((n) => `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${n}`),
    userArn: fc.tuple(fc.constantFrom('', '/team', '/a/b'), nameArb.filter((n) => !/[*?]/.test(n)))
      .map(([path, n]) => `arn:aws:iam::${ACCOUNT}:user${path}/${n}`),
    deactivateAfterSeconds: fc.integer(Limits.deactivateAfterSeconds),
    deleteAfterSeconds: fc.integer(Limits.deleteAfterSeconds),
    postponeWhileInUseSeconds: fc.integer(Limits.postponeWhileInUseSeconds),
    foreignKeyPolicy: fc.constantFrom(...Object.values(ForeignKeyPolicy)),
    removal: fc.constantFrom(Removal.DESTROY, Removal.RETAIN),
    scheduleExpression: fc.oneof(fc.integer({ min: 1, max: 365 }).map((n) => `rate(${n} days)`), fc.constant('cron(0 12 ? * MON *)')),
    windowHours: fc.option(fc.integer(Limits.windowHours), { nil: undefined }),
    rotateOnDeploy: fc.boolean(),
  }, { requiredKeys: ['secretArn', 'userArn', 'deactivateAfterSeconds', 'deleteAfterSeconds', 'postponeWhileInUseSeconds', 'foreignKeyPolicy', 'removal', 'scheduleExpression', 'rotateOnDeploy'] });
  const registrationsArb = fc.uniqueArray(registrationArb, {
    maxLength: 5,
    selector: (r) => r.secretArn,
  }).filter((rs) => new Set(rs.map((r) => userNameOf(r.userArn))).size === rs.length);

  test('GIVEN any valid registrations WHEN parsed THEN they come back unchanged', () => {
    fc.assert(fc.property(registrationsArb, (registrations) => {
      const document: RegistryDocument = { version: REGISTRY_VERSION, digest: DIGEST, registrations };
      expect(parseRegistry(metadata({ ...document }))).toEqual(document);
    }));
  });

  const fields = ['secretArn', 'userArn', 'deactivateAfterSeconds', 'deleteAfterSeconds', 'postponeWhileInUseSeconds', 'foreignKeyPolicy', 'removal',
    'scheduleExpression', 'windowHours', 'rotateOnDeploy'] as const;
  const badValueArb = fc.oneof(fc.constant(null), fc.constant('*'), fc.constant(-1), fc.constant(1e12), fc.constant([]), fc.constant({}), fc.constant('arn:aws:iam::*:user/*'));

  test('GIVEN valid registrations with one field of one entry corrupted WHEN parsed THEN the error names that entry, that field and the value', () => {
    const nonEmpty = registrationsArb.filter((rs) => rs.length > 0);
    fc.assert(fc.property(nonEmpty, fc.nat(), fc.constantFrom(...fields), badValueArb, (registrations, pick, field, bad) => {
      const index = pick % registrations.length;
      const corrupted = registrations.map((r, i) => (i === index ? { ...r, [field]: bad } : r));
      const message = refusal(doc(corrupted)).message;
      expect(message).toContain(`registrations[${index}].${field}`);
      expect(message).toContain(JSON.stringify(bad));
    }));
  });
});

describe('parseRegistry: the mode', () => {
  const withMode = (mode: unknown) => parseRegistry(doc([entry(mode === undefined ? {} : { mode })]));

  test('GIVEN OBSERVE, ENFORCE or nothing WHEN parsed THEN the registration observes only for OBSERVE (nothing: an earlier version\'s, enforcing)', () => {
    expect(withMode('OBSERVE').registrations[0].mode).toBe('OBSERVE');
    expect(withMode('ENFORCE').registrations[0].mode).toBe('ENFORCE');
    expect(withMode(undefined).registrations[0]).not.toHaveProperty('mode');
  });

  test('GIVEN another mode WHEN parsed THEN the registry is refused, naming the field and the value', () => {
    expect(refusal(doc([entry({ mode: 'DRY_RUN' })])).message).toMatch(/\.mode must be ENFORCE or OBSERVE, got "DRY_RUN"/);
  });
});

describe('parseRegistry: the delivery function', () => {
  const withDelivery = (arn: unknown) => parseRegistry(doc([entry({ deliveryFunctionArn: arn })]));
  const [, partition, , region, account] = SECRET.split(':');
  const fn = (name: string, where = `${region}:${account}`) => `arn:${partition}:lambda:${where}:function:${name}`;

  test('GIVEN a function (or an alias or version of one) of the secret\'s account and Region, or none THEN it is the registration\'s', () => {
    expect(withDelivery(fn('to-ci')).registrations[0].deliveryFunctionArn).toBe(fn('to-ci'));
    expect(withDelivery(fn('to-ci:live')).registrations[0].deliveryFunctionArn).toBe(fn('to-ci:live'));
    expect(withDelivery(fn('to-ci:7')).registrations[0].deliveryFunctionArn).toBe(fn('to-ci:7'));
    expect(parseRegistry(doc([entry()])).registrations[0]).not.toHaveProperty('deliveryFunctionArn');
  });

  test.each([
    ['a name', 'to-ci', /deliveryFunctionArn must be a Lambda function ARN .*got "to-ci"/],
    ['another service\'s ARN', SECRET, /deliveryFunctionArn must be a Lambda function ARN/],
    ['a layer', `arn:aws:lambda:${region}:${account}:layer:x:1`, /deliveryFunctionArn must be a Lambda function ARN/],
    ['another account\'s function', fn('to-ci', `${region}:999999999999`), /must be a function of the secret's account and Region \(\d{12}, [a-z0-9-]+\), got/],
    ['another Region\'s function', fn('to-ci', `eu-west-3:${account}`), /must be a function of the secret's account and Region/],
    ['a number', 42, /deliveryFunctionArn must be a Lambda function ARN .*got 42/],
  ])('GIVEN %s THEN the registry is refused, naming the field and the value', (_what, arn, message) => {
    expect(refusal(doc([entry({ deliveryFunctionArn: arn })])).message).toMatch(message);
  });
});

describe('parseRotationEntry: a rotation resource\'s own entry', () => {
  const own = (overrides: Record<string, unknown> = {}) => ({
    [REGISTRATION_METADATA_KEY]: {
      secretArn: SECRET,
      userArn: ALICE,
      removal: Removal.DESTROY,
      scheduleExpression: 'rate(30 days)',
      rotateOnDeploy: true,
      foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
      ...overrides,
    },
  });

  test('GIVEN the Metadata a template of this version writes WHEN parsed THEN every field is read, the foreign key policy included', () => {
    expect(parseRotationEntry(own())).toEqual({
      secretArn: SECRET,
      userArn: ALICE,
      removal: Removal.DESTROY,
      scheduleExpression: 'rate(30 days)',
      rotateOnDeploy: true,
      foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
    });
  });

  test('GIVEN Metadata without a foreign key policy WHEN parsed THEN the entry has none (the Create then does not check the user\'s keys first)', () => {
    expect(parseRotationEntry(own({ foreignKeyPolicy: undefined }))).not.toHaveProperty('foreignKeyPolicy');
    expect(parseRotationEntry({})).toBeUndefined();
  });

  test('GIVEN an unknown foreign key policy WHEN parsed THEN it is refused, naming the key, the field and the value', () => {
    expect(() => parseRotationEntry(own({ foreignKeyPolicy: 'KEEP' }))).toThrow(new RegistryError(
      `Metadata key ${REGISTRATION_METADATA_KEY}.foreignKeyPolicy must be one of FAIL, DELETE_INACTIVE, ADOPT, got "KEEP"`));
  });
});

describe('userArnProblem, userNameOf, accountOf', () => {
  test.each([
    ALICE,
    `arn:aws:iam::${ACCOUNT}:user/path/to/alice`,
    `arn:aws-cn:iam::${ACCOUNT}:user/alice`,
  ])('GIVEN the user ARN %s WHEN checked THEN there is no problem', (arn) => {
    expect(userArnProblem(arn)).toBeUndefined();
  });

  test.each([
    [`arn:aws:iam::${ACCOUNT}:user/*`, /wildcard/],
    [`arn:aws:iam::${ACCOUNT}:user/ali*`, /wildcard/],
    [`arn:aws:iam::${ACCOUNT}:user/team?/alice`, /wildcard/],
    [`arn:aws:iam::${ACCOUNT}:role/alice`, /not the ARN of one IAM user/],
    [`arn:aws:iam::${ACCOUNT}:root`, /not the ARN of one IAM user/],
    [`arn:aws:sts::${ACCOUNT}:assumed-role/r/alice`, /not the ARN of one IAM user/],
    [`arn:aws:iam::${ACCOUNT}:user/alice/`, /not the ARN of one IAM user/],
    ['', /not the ARN of one IAM user/],
  ])('GIVEN %s WHEN checked THEN the problem says why', (arn, why) => {
    expect(userArnProblem(arn)).toMatch(why);
  });

  test('GIVEN any ARN holding * or ? WHEN checked THEN it is refused as a wildcard', () => {
    fc.assert(fc.property(fc.string(), fc.constantFrom('*', '?'), fc.string(), (a, w, b) => {
      expect(userArnProblem(`arn:aws:iam::${ACCOUNT}:user/${a}${w}${b}`)).toMatch(/wildcard/);
    }));
  });

  test.each([
    [ALICE, 'alice'],
    [`arn:aws:iam::${ACCOUNT}:user/division/team/alice`, 'alice'],
    [`arn:aws:iam::${ACCOUNT}:user/a+b=c,d.e@f-g_h`, 'a+b=c,d.e@f-g_h'],
  ])('GIVEN %s WHEN the user name is taken THEN it is %s (the last path segment)', (arn, name) => {
    expect(userNameOf(arn)).toBe(name);
  });

  test.each([
    [ALICE, ACCOUNT],
    [SECRET, ACCOUNT],
    ['arn:aws:cloudformation:us-east-1:210987654321:stack/S/1', '210987654321'],
    ['not-an-arn', ''],
  ])('GIVEN %s WHEN the account is taken THEN it is "%s"', (arn, account) => {
    expect(accountOf(arn)).toBe(account);
  });
});

describe('isKeyLabel', () => {
  test.each([
    ['a 20-character key id', 'AKIAIOSFODNN7EXAMPLE', true],
    ['the shortest key id', `AKIA${'A'.repeat(12)}`, true],
    ['the longest key id', `AKIA${'Z'.repeat(124)}`, true],
    ['one character too short', `AKIA${'A'.repeat(11)}`, false],
    ['one character too long', `AKIA${'A'.repeat(125)}`, false],
    ['a temporary key id (ASIA)', 'ASIAIOSFODNN7EXAMPLE', false],
    ['lower case', 'AKIAiosfodnn7example', false],
    ['AWSCURRENT', Stage.CURRENT, false],
    ['AWSPENDING', Stage.PENDING, false],
    ['AWSPREVIOUS', Stage.PREVIOUS, false],
    ['the revoke label', Stage.REVOKED_PREDECESSOR, false],
    ['a key id with a suffix', 'AKIAIOSFODNN7EXAMPLE-x', false],
    ['empty', '', false],
  ])('GIVEN %s WHEN checked THEN isKeyLabel answers %s', (_, label, expected) => {
    expect(isKeyLabel(label)).toBe(expected);
  });

  test('GIVEN any access key id IAM issues WHEN checked THEN it is a key label, and no staging label of Secrets Manager or this library is', () => {
    fc.assert(fc.property(fc.stringMatching(/^AKIA[A-Z0-9]{16}$/), (id) => {
      expect(isKeyLabel(id)).toBe(true);
    }));
    for (const stage of Object.values(Stage)) expect(isKeyLabel(stage)).toBe(false);
  });
});
