/**
 * The data layer (`src/rotation/model.ts`): the tag encodings and their round
 * trips, the configuration read from tags, and the secret value's schema.
 */
import * as fc from 'fast-check';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import {
  ConfigurationError, decodeFields, encodeFields, formatCreatingMarker, formatPreviousKey, formatSeconds, keyProgress, keyProgressTag, parseConfig,
  parseCreatingMarker, parseCredentials, parseCurrentKeyId, parsePreviousKey, PreviousKeyState, Tags, versionWithStage,
} from '../../src/rotation/model';

const USER_TAGS = { [Tags.USER]: 'alice' };
const FAKE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const WHERE = 'secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:alice AWSCURRENT';

/** A RegExp matching `text` literally. */
const literally = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));

describe('encodeFields / decodeFields', () => {
  test('GIVEN fields with values WHEN encoded THEN they are space-separated field=value pairs in order', () => {
    expect(encodeFields({ 'id': 'AKIA1', 'superseded-at': '2024-03-01T00:00:00.000Z' })).toBe('id=AKIA1 superseded-at=2024-03-01T00:00:00.000Z');
  });

  test('GIVEN undefined and empty values WHEN encoded THEN those fields are left out', () => {
    expect(encodeFields({ a: '1', b: undefined, c: '', d: '4' })).toBe('a=1 d=4');
  });

  test('GIVEN no value or malformed parts WHEN decoded THEN only well-formed pairs are kept', () => {
    expect(decodeFields(undefined)).toEqual({});
    expect(decodeFields('')).toEqual({});
    expect(decodeFields('loose =nokey id=AKIA1  x=')).toEqual({ id: 'AKIA1', x: '' });
  });

  test('GIVEN a value holding = WHEN decoded THEN only the first = separates field from value', () => {
    expect(decodeFields('token=a=b=')).toEqual({ token: 'a=b=' });
  });

  test('GIVEN any fields with tag-safe names and non-empty values WHEN encoded then decoded THEN the fields come back unchanged', () => {
    const name = fc.stringMatching(/^[a-z][a-z-]{0,15}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9_.:/=+\-@]{1,30}$/);
    fc.assert(fc.property(fc.dictionary(name, value, { maxKeys: 6 }), (fields) => {
      expect(decodeFields(encodeFields(fields))).toEqual(fields);
    }));
  });
});

describe('previous-key tag and the progress tag of the old key', () => {
  const tagsWith = (state: PreviousKeyState) => ({ [Tags.PREVIOUS_KEY]: formatPreviousKey(state), ...keyProgress(state) });

  test('GIVEN a key just superseded WHEN formatted and parsed THEN the state comes back unchanged', () => {
    const state: PreviousKeyState = { accessKeyId: 'AKIAOLD', supersededAt: new Date('2024-03-01T12:34:56.789Z') };
    expect(formatPreviousKey(state)).toBe('id=AKIAOLD superseded-at=2024-03-01T12:34:56.789Z');
    expect(parsePreviousKey(tagsWith(state))).toEqual(state);
  });

  test('GIVEN a key at the end of its lifecycle WHEN formatted and parsed THEN every time comes back unchanged', () => {
    const state: PreviousKeyState = {
      accessKeyId: 'AKIAOLD',
      supersededAt: new Date('2024-03-01T00:00:00.000Z'),
      usageCheckedAt: new Date('2024-03-04T12:00:00.000Z'),
      deactivatedAt: new Date('2024-03-08T00:00:00.001Z'),
      deletedAt: new Date('2024-03-22T00:00:00.000Z'),
    };
    expect(parsePreviousKey(tagsWith(state))).toEqual(state);
  });

  test('GIVEN any lifecycle state WHEN formatted and parsed THEN it comes back unchanged', () => {
    const time = fc.integer({ min: 0, max: Date.parse('2100-01-01T00:00:00Z') }).map((ms) => new Date(ms));
    const optionalTime = fc.option(time, { nil: undefined, freq: 2 });
    const stateArb = fc.record({
      accessKeyId: fc.stringMatching(/^AKIA[A-Z2-7]{16}$/),
      supersededAt: time,
      usageCheckedAt: optionalTime,
      deactivatedAt: optionalTime,
      deletedAt: optionalTime,
    });
    fc.assert(fc.property(stateArb, (state) => {
      expect(parsePreviousKey(tagsWith(state))).toEqual(state);
    }));
  });

  test('GIVEN the lifecycle\'s progress WHEN formatted THEN it lives in the old key\'s own tag, apart from the rotation\'s', () => {
    const state: PreviousKeyState = {
      accessKeyId: 'AKIAOLD', supersededAt: new Date('2024-03-01T00:00:00.000Z'), deactivatedAt: new Date('2024-03-08T00:00:00.000Z'),
    };
    expect(formatPreviousKey(state)).toBe('id=AKIAOLD superseded-at=2024-03-01T00:00:00.000Z');
    expect(keyProgress(state)).toEqual({ 'access-key-rotation:key/AKIAOLD': 'deactivated-at=2024-03-08T00:00:00.000Z' });
    expect(keyProgressTag('AKIAOLD')).toBe('access-key-rotation:key/AKIAOLD');
  });

  test('GIVEN progress recorded for another key WHEN parsed THEN it does not leak into the previous key', () => {
    const tags = {
      [Tags.PREVIOUS_KEY]: 'id=AKIANEW superseded-at=2024-04-01T00:00:00.000Z',
      'access-key-rotation:key/AKIAOLD': 'deactivated-at=2024-03-08T00:00:00.000Z deleted-at=2024-03-22T00:00:00.000Z',
    };
    expect(parsePreviousKey(tags)).toEqual({ accessKeyId: 'AKIANEW', supersededAt: new Date('2024-04-01T00:00:00.000Z') });
  });

  test('GIVEN no previous-key tag WHEN parsed THEN there is no previous key', () => {
    expect(parsePreviousKey(USER_TAGS)).toBeUndefined();
  });

  test('GIVEN a previous-key tag without superseded-at WHEN parsed THEN a ConfigurationError names the tag and the value', () => {
    const tags = { [Tags.PREVIOUS_KEY]: 'id=AKIAOLD' };
    expect(() => parsePreviousKey(tags)).toThrow(ConfigurationError);
    expect(() => parsePreviousKey(tags)).toThrow(/access-key-rotation:previous-key.*'id=AKIAOLD'/);
  });

  test('GIVEN a previous-key tag with an invalid time WHEN parsed THEN the error names the tag, the field and the value', () => {
    const tags = { [Tags.PREVIOUS_KEY]: 'id=AKIAOLD superseded-at=2024-03-01T00:00:00Z', 'access-key-rotation:key/AKIAOLD': 'deactivated-at=soon' };
    expect(() => parsePreviousKey(tags)).toThrow(/access-key-rotation:key\/AKIAOLD: field deactivated-at .*'soon'/);
  });
});

describe('creating marker', () => {
  const SINCE = new Date('2024-03-01T08:00:00.000Z');

  test.each([
    ['no known key', [] as string[], 'known= since=2024-03-01T08:00:00.000Z'],
    ['one known key', ['AKIAONE'], 'known=AKIAONE since=2024-03-01T08:00:00.000Z'],
    ['two known keys', ['AKIAONE', 'AKIATWO'], 'known=AKIAONE/AKIATWO since=2024-03-01T08:00:00.000Z'],
  ])('GIVEN a marker with %s WHEN formatted and parsed THEN it comes back unchanged', (_, knownKeyIds, formatted) => {
    expect(formatCreatingMarker({ knownKeyIds, since: SINCE })).toBe(formatted);
    expect(parseCreatingMarker({ [Tags.CREATING]: formatted })).toEqual({ knownKeyIds, since: SINCE });
  });

  test('GIVEN no creating tag WHEN parsed THEN there is no marker', () => {
    expect(parseCreatingMarker(USER_TAGS)).toBeUndefined();
  });

  test('GIVEN an empty creating tag WHEN parsed THEN it is a marker that knows no key', () => {
    expect(parseCreatingMarker({ [Tags.CREATING]: '' })).toEqual({ knownKeyIds: [], since: new Date(0) });
  });
});

describe('parseCurrentKeyId', () => {
  test('GIVEN a current-key tag WHEN parsed THEN its id is returned', () => {
    expect(parseCurrentKeyId({ [Tags.CURRENT_KEY]: 'id=AKIANEW created-at=2024-03-01T00:00:00.000Z' })).toBe('AKIANEW');
  });

  test('GIVEN no current-key tag WHEN parsed THEN there is no current key id', () => {
    expect(parseCurrentKeyId(USER_TAGS)).toBeUndefined();
  });
});

describe('parseConfig', () => {
  test('GIVEN only the user tag WHEN parsed THEN the defaults apply: 7 days, 14 days, no postponing, FAIL', () => {
    expect(parseConfig(USER_TAGS)).toEqual({
      userName: 'alice',
      deactivateAfterSeconds: 7 * 86_400,
      deleteAfterSeconds: 14 * 86_400,
      postponeWhileInUseSeconds: 0,
      foreignKeyPolicy: ForeignKeyPolicy.FAIL,
    });
  });

  test('GIVEN every configuration tag WHEN parsed THEN each value is taken', () => {
    expect(parseConfig({
      ...USER_TAGS,
      [Tags.DEACTIVATE_AFTER]: '3600',
      [Tags.DELETE_AFTER]: '0',
      [Tags.POSTPONE_WHILE_IN_USE]: '86400',
      [Tags.FOREIGN_KEYS]: 'ADOPT',
    })).toEqual({
      userName: 'alice',
      deactivateAfterSeconds: 3600,
      deleteAfterSeconds: 0,
      postponeWhileInUseSeconds: 86_400,
      foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
    });
  });

  test.each(Object.values(ForeignKeyPolicy))('GIVEN the foreign-keys tag %s WHEN parsed THEN that policy is taken', (policy) => {
    expect(parseConfig({ ...USER_TAGS, [Tags.FOREIGN_KEYS]: policy }).foreignKeyPolicy).toBe(policy);
  });

  test.each([
    ['no user tag', {}],
    ['an empty user tag', { [Tags.USER]: '' }],
  ])('GIVEN %s WHEN parsed THEN a ConfigurationError names the user tag and the empty value', (_, tags) => {
    expect(() => parseConfig(tags)).toThrow(ConfigurationError);
    expect(() => parseConfig(tags)).toThrow(/tag access-key-rotation:user .*got ''/);
  });

  describe.each([Tags.DEACTIVATE_AFTER, Tags.DELETE_AFTER, Tags.POSTPONE_WHILE_IN_USE])('seconds tag %s', (tag) => {
    test.each(['seven days', '-1', '1.5', '', '1e3', '99999999999999999999'])(
      'GIVEN the value \'%s\' WHEN parsed THEN a ConfigurationError names the tag and the value',
      (value) => {
        const tags = { ...USER_TAGS, [tag]: value };
        expect(() => parseConfig(tags)).toThrow(ConfigurationError);
        expect(() => parseConfig(tags)).toThrow(literally(`tag ${tag} must be a whole number of seconds, got '${value}'`));
      });
  });

  test.each(['DELETE_ALL', 'adopt', ''])('GIVEN the unknown policy \'%s\' WHEN parsed THEN a ConfigurationError names the tag and the value', (value) => {
    const tags = { ...USER_TAGS, [Tags.FOREIGN_KEYS]: value };
    expect(() => parseConfig(tags)).toThrow(ConfigurationError);
    expect(() => parseConfig(tags)).toThrow(literally(`tag ${Tags.FOREIGN_KEYS} must be one of FAIL, DELETE_INACTIVE, ADOPT, got '${value}'`));
  });
});

describe('parseCredentials', () => {
  const complete = {
    userName: 'alice',
    accessKeyId: 'AKIANEW',
    secretAccessKey: FAKE_SECRET,
    createdAt: '2024-03-01T00:00:00.000Z',
  };

  test.each([
    ['no value', undefined],
    ['an empty value', ''],
    ['a metadata-only value', '{"userName":"alice"}'],
    ['an empty object', '{}'],
  ])('GIVEN %s WHEN parsed THEN there are no credentials yet', (_, value) => {
    expect(parseCredentials(value, WHERE)).toBeUndefined();
  });

  test('GIVEN a complete value WHEN parsed THEN the four documented fields are returned', () => {
    expect(parseCredentials(JSON.stringify(complete), WHERE)).toEqual(complete);
  });

  test('GIVEN a complete value with extra fields WHEN parsed THEN only the documented fields are returned', () => {
    expect(parseCredentials(JSON.stringify({ ...complete, note: 'x' }), WHERE)).toEqual(complete);
  });

  test.each(['userName', 'secretAccessKey', 'createdAt'])('GIVEN a value with an access key but no %s WHEN parsed THEN the error names where and the field', (field) => {
    const value = JSON.stringify({ ...complete, [field]: undefined });
    expect(() => parseCredentials(value, WHERE)).toThrow(ConfigurationError);
    expect(() => parseCredentials(value, WHERE)).toThrow(literally(`${WHERE}: field ${field} must be a non-empty string`));
  });

  test.each([
    ['empty', ''],
    ['not a string', 42],
    ['null', null],
  ])('GIVEN an accessKeyId that is %s WHEN parsed THEN the error names the field', (_, accessKeyId) => {
    expect(() => parseCredentials(JSON.stringify({ ...complete, accessKeyId }), WHERE)).toThrow(/field accessKeyId must be a non-empty string/);
  });

  test.each([
    ['truncated JSON', `{"userName":"alice","secretAccessKey":"${FAKE_SECRET}"`],
    ['a bare secret', FAKE_SECRET],
    ['a JSON string', JSON.stringify(FAKE_SECRET)],
    ['a JSON array', JSON.stringify([FAKE_SECRET])],
  ])('GIVEN %s WHEN parsed THEN the error names where but never echoes the value', (_, value) => {
    let error: unknown;
    try {
      parseCredentials(value, WHERE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const { message, stack } = error as Error;
    expect(message).toContain(WHERE);
    expect(message).not.toContain(FAKE_SECRET);
    expect(message).not.toContain('wJalr');
    expect(stack).not.toContain(FAKE_SECRET);
  });
});

describe('versionWithStage', () => {
  const versions = { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'], v3: ['AWSPENDING', 'custom'] };

  test.each([
    ['AWSCURRENT', 'v2'],
    ['AWSPENDING', 'v3'],
    ['AWSPREVIOUS', 'v1'],
  ])('GIVEN versions WHEN looking for %s THEN %s holds it', (stage, version) => {
    expect(versionWithStage(versions, stage)).toBe(version);
  });

  test('GIVEN no version with the stage WHEN looking for it THEN there is none', () => {
    expect(versionWithStage({ v1: ['AWSCURRENT'] }, 'AWSPENDING')).toBeUndefined();
  });
});

describe('formatSeconds', () => {
  test.each([
    [604_800, '7 days'],
    [1_209_600, '14 days'],
    [86_400, '1 day'],
    [129_600, '36 hours'],
    [3_600, '1 hour'],
    [120, '2 minutes'],
    [60, '1 minute'],
    [90, '90 seconds'],
    [1, '1 second'],
    [0, '0 seconds'],
    [86_401, '86401 seconds'],
  ])('GIVEN %i seconds WHEN formatted for people THEN it reads "%s"', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});
