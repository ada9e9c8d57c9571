/**
 * The data layer (`src/rotation/model.ts`): which key each version holds (its
 * staging labels: proof), the tag encodings and their round trips (hints: a
 * malformed one is ignored, never trusted), and the secret value's schema.
 */
import * as fc from 'fast-check';
import { Stage, Tags } from '../../src/rotation/contract';
import type { VersionLabels } from '../../src/rotation/gateway';
import {
  ConfigurationError, decodeFields, encodeFields, formatCreatingMarker, formatKeyProgress, formatPreviousKey, formatRevokeRequest, formatSeconds,
  hintDate, keyAtStage, keyOfVersion, KeyProgress, labelledKeys, parseCreatingMarker, parseCredentials, parseCurrentKeyHint, progressKeyOf,
  parseCredentialReport, parseKeyProgress, parsePreviousKeyHint, parseRevokeRequest, RefusedError, stagedKeys, versionWithLabel,
} from '../../src/rotation/model';

const FAKE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const WHERE = 'AWSCURRENT version of arn:aws:secretsmanager:eu-west-1:123456789012:secret:alice';
const CURRENT = 'AKIACURRENT000000001';
const PREVIOUS = 'AKIAPREVIOUS00000001';
const PENDING = 'AKIAPENDING000000001';
const OLDER = 'AKIAOLDER00000000001';

/** A RegExp matching `text` literally. */
const literally = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));

/** What Secrets Manager accepts in a tag value. */
const TAG_VALUE = /^[A-Za-z0-9 _.:/=+\-@]{0,256}$/;

const timeArb = fc.integer({ min: 0, max: Date.parse('2100-01-01T00:00:00Z') }).map((ms) => new Date(ms));
const optionalTime = fc.option(timeArb, { nil: undefined, freq: 2 });
const keyIdArb = fc.stringMatching(/^AKIA[A-Z0-9]{16}$/);

describe('errors', () => {
  test('GIVEN the two domain errors WHEN made THEN each carries its name (logs and audit events show it)', () => {
    expect(new ConfigurationError('x').name).toBe('ConfigurationError');
    expect(new RefusedError('x').name).toBe('Refused');
  });
});

describe('which key each version holds (staging labels)', () => {
  const versions: VersionLabels = {
    v0: [OLDER],
    v1: [Stage.PREVIOUS, PREVIOUS],
    v2: [CURRENT, Stage.CURRENT, Stage.REVOKED_PREDECESSOR],
    v3: [Stage.PENDING, PENDING, 'custom-label'],
    v4: ['custom-only'],
  };

  test.each([
    [Stage.CURRENT, 'v2'],
    [Stage.PENDING, 'v3'],
    [Stage.PREVIOUS, 'v1'],
    [OLDER, 'v0'],
    ['custom-only', 'v4'],
  ])('GIVEN labelled versions WHEN looking for the label %s THEN %s holds it', (label, version) => {
    expect(versionWithLabel(versions, label)).toBe(version);
  });

  test('GIVEN no version with a label WHEN looking for it THEN there is none', () => {
    expect(versionWithLabel({ v1: [Stage.CURRENT] }, Stage.PENDING)).toBeUndefined();
    expect(versionWithLabel({}, Stage.CURRENT)).toBeUndefined();
  });

  test.each([
    ['v1', PREVIOUS],
    ['v2', CURRENT],
    ['v3', PENDING],
    ['v4', undefined],
    ['no-such-version', undefined],
    [undefined, undefined],
  ])('GIVEN version %s WHEN its key is read THEN it is %s (from its key label alone)', (version, key) => {
    expect(keyOfVersion(versions, version)).toBe(key);
  });

  test.each([
    [Stage.CURRENT, CURRENT],
    [Stage.PENDING, PENDING],
    [Stage.PREVIOUS, PREVIOUS],
    [Stage.REVOKED_PREDECESSOR, CURRENT],
    ['no-such-stage', undefined],
  ])('GIVEN labelled versions WHEN the key at %s is read THEN it is %s', (stage, key) => {
    expect(keyAtStage(versions, stage)).toBe(key);
  });

  test('GIVEN labelled versions WHEN every held key is listed THEN each key maps to its version, versions without a key label left out', () => {
    expect(labelledKeys(versions)).toEqual(new Map([[OLDER, 'v0'], [PREVIOUS, 'v1'], [CURRENT, 'v2'], [PENDING, 'v3']]));
    expect(labelledKeys({})).toEqual(new Map());
  });

  test('GIVEN labelled versions WHEN the staged keys are read THEN current, pending and previous are the keys of those versions, and the revoke is seen', () => {
    expect(stagedKeys(versions)).toEqual({ current: CURRENT, pending: PENDING, previous: PREVIOUS, revokedPredecessor: true });
  });

  test('GIVEN the revoke label on a version other than AWSCURRENT WHEN the staged keys are read THEN no revoke applies to the current key', () => {
    expect(stagedKeys({ v1: [Stage.CURRENT, CURRENT], v2: [Stage.PENDING, PENDING, Stage.REVOKED_PREDECESSOR] }).revokedPredecessor).toBe(false);
    expect(stagedKeys({ v1: [Stage.PREVIOUS, PREVIOUS, Stage.REVOKED_PREDECESSOR], v2: [Stage.CURRENT, CURRENT] }).revokedPredecessor).toBe(false);
  });

  test('GIVEN a metadata-only secret (AWSCURRENT holds no key) WHEN the staged keys are read THEN there is no key at any stage', () => {
    expect(stagedKeys({ v1: [Stage.CURRENT] })).toEqual({ current: undefined, pending: undefined, previous: undefined, revokedPredecessor: false });
    expect(stagedKeys({})).toEqual({ current: undefined, pending: undefined, previous: undefined, revokedPredecessor: false });
  });

  test('GIVEN a rotation\'s placeholder (AWSPENDING without a value yet) WHEN the staged keys are read THEN there is no pending key', () => {
    expect(stagedKeys({ v1: [Stage.CURRENT, CURRENT], v2: [Stage.PENDING] }).pending).toBeUndefined();
  });

  test('GIVEN a label that only looks like a key WHEN the versions are read THEN it is not taken for a key', () => {
    const lookalikes: VersionLabels = { v1: [Stage.CURRENT, 'ASIATEMPORARY0000001'], v2: [Stage.PREVIOUS, 'akiaprevious00000001'], v3: ['AKIA123'] };
    expect(stagedKeys(lookalikes)).toMatchObject({ current: undefined, previous: undefined });
    expect(labelledKeys(lookalikes).size).toBe(0);
  });

  test('GIVEN any versions holding distinct key labels WHEN read THEN every key maps back to the version that holds it', () => {
    const arb = fc.uniqueArray(keyIdArb, { maxLength: 6 }).chain((keys) => fc.shuffledSubarray([Stage.CURRENT, Stage.PENDING, Stage.PREVIOUS])
      .map((stages) => keys.map((key, i) => [`v${i}`, [key, ...(stages[i] ? [stages[i]] : [])]] as const)));
    fc.assert(fc.property(arb, (entries) => {
      const generated: VersionLabels = Object.fromEntries(entries.map(([v, labels]) => [v, [...labels]]));
      const held = labelledKeys(generated);
      for (const [version, labels] of entries) {
        expect(held.get(labels[0])).toBe(version);
        expect(keyOfVersion(generated, version)).toBe(labels[0]);
      }
      const staged = stagedKeys(generated);
      for (const [stage, key] of [[Stage.CURRENT, staged.current], [Stage.PENDING, staged.pending], [Stage.PREVIOUS, staged.previous]] as const) {
        expect(key).toBe(entries.find(([, labels]) => labels.includes(stage))?.[1][0]);
      }
    }));
  });
});

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

  test('GIVEN a field repeated WHEN decoded THEN the last one wins', () => {
    expect(decodeFields('id=AKIA1 id=AKIA2')).toEqual({ id: 'AKIA2' });
  });

  test('GIVEN any fields with tag-safe names and non-empty values WHEN encoded then decoded THEN the fields come back unchanged', () => {
    const name = fc.stringMatching(/^[a-z][a-z-]{0,15}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9_.:/=+\-@]{1,30}$/);
    fc.assert(fc.property(fc.dictionary(name, value, { maxKeys: 6 }), (fields) => {
      expect(decodeFields(encodeFields(fields))).toEqual(fields);
    }));
  });
});

describe('hintDate', () => {
  test.each([
    ['no value', undefined, undefined],
    ['an empty value', '', undefined],
    ['garbage', 'soon', undefined],
    ['an ISO time', '2024-03-01T12:34:56.789Z', new Date('2024-03-01T12:34:56.789Z')],
  ])('GIVEN %s WHEN read as a hint THEN it is %p (a bad hint is ignored, never an error)', (_, value, date) => {
    expect(hintDate(value)).toEqual(date);
  });
});

describe('previous-key tag (the rotation\'s hint)', () => {
  const SUPERSEDED = new Date('2024-03-01T12:34:56.789Z');

  test('GIVEN a key just superseded WHEN formatted and parsed THEN the id and time come back unchanged', () => {
    const value = formatPreviousKey(PREVIOUS, SUPERSEDED);
    expect(value).toBe(`id=${PREVIOUS} superseded-at=2024-03-01T12:34:56.789Z`);
    expect(parsePreviousKeyHint({ [Tags.PREVIOUS_KEY]: value })).toEqual({ accessKeyId: PREVIOUS, supersededAt: SUPERSEDED });
  });

  test('GIVEN any key and time WHEN formatted and parsed THEN they come back unchanged, in a value Secrets Manager accepts', () => {
    fc.assert(fc.property(keyIdArb, timeArb, (id, at) => {
      const value = formatPreviousKey(id, at);
      expect(value).toMatch(TAG_VALUE);
      expect(parsePreviousKeyHint({ [Tags.PREVIOUS_KEY]: value })).toEqual({ accessKeyId: id, supersededAt: at });
    }));
  });

  test('GIVEN no previous-key tag WHEN parsed THEN there is no hint', () => {
    expect(parsePreviousKeyHint({})).toBeUndefined();
  });

  test.each([
    ['no id', 'superseded-at=2024-03-01T00:00:00.000Z'],
    ['an empty id', 'id= superseded-at=2024-03-01T00:00:00.000Z'],
    ['garbage', 'whatever'],
    ['an empty value', ''],
  ])('GIVEN a previous-key tag with %s WHEN parsed THEN there is no hint', (_, value) => {
    expect(parsePreviousKeyHint({ [Tags.PREVIOUS_KEY]: value })).toBeUndefined();
  });

  test.each([
    ['no time', `id=${PREVIOUS}`],
    ['an invalid time', `id=${PREVIOUS} superseded-at=yesterday`],
  ])('GIVEN a previous-key tag with %s WHEN parsed THEN the id is a hint without a time (nothing is inferred from a bad date)', (_, value) => {
    expect(parsePreviousKeyHint({ [Tags.PREVIOUS_KEY]: value })).toEqual({ accessKeyId: PREVIOUS, supersededAt: undefined });
  });
});

describe('the progress tag of the old key (the lifecycle\'s hints)', () => {
  const progress: KeyProgress = {
    usageCheckedAt: new Date('2024-03-04T12:00:00.000Z'),
    deactivatedAt: new Date('2024-03-08T00:00:00.001Z'),
    heldAt: new Date('2024-03-22T00:00:00.000Z'),
  };

  test('GIVEN an old key WHEN its progress is formatted THEN it is one tag of the library\'s, naming the key', () => {
    expect(Object.keys(formatKeyProgress(PREVIOUS, progress))).toEqual(['access-key-rotation:progress']);
    expect(Object.keys(formatKeyProgress(PREVIOUS, progress))).toEqual([Tags.PROGRESS]);
  });

  test('GIVEN a key at the end of its lifecycle WHEN formatted and parsed THEN every time comes back unchanged', () => {
    const tags = formatKeyProgress(PREVIOUS, progress);
    expect(tags).toEqual({
      [Tags.PROGRESS]: `id=${PREVIOUS} usage-checked-at=2024-03-04T12:00:00.000Z deactivated-at=2024-03-08T00:00:00.001Z held-at=2024-03-22T00:00:00.000Z`,
    });
    expect(parseKeyProgress(tags, PREVIOUS)).toEqual(progress);
    expect(progressKeyOf(tags)).toBe(PREVIOUS);
  });

  test('GIVEN a key with no progress WHEN formatted and parsed THEN its tag names it and nothing is recorded', () => {
    expect(formatKeyProgress(PREVIOUS, {})).toEqual({ [Tags.PROGRESS]: `id=${PREVIOUS}` });
    expect(parseKeyProgress({}, PREVIOUS)).toEqual({});
    expect(parseKeyProgress({ [Tags.PROGRESS]: '' }, PREVIOUS)).toEqual({});
  });

  test('GIVEN any progress WHEN formatted and parsed THEN it comes back unchanged, in a value Secrets Manager accepts', () => {
    const progressArb = fc.record({ usageCheckedAt: optionalTime, deactivatedAt: optionalTime, heldAt: optionalTime });
    fc.assert(fc.property(keyIdArb, progressArb, (id, p) => {
      const tags = formatKeyProgress(id, p);
      expect(Object.values(tags)[0]).toMatch(TAG_VALUE);
      expect(parseKeyProgress(tags, id)).toEqual(p);
    }));
  });

  test('GIVEN progress recorded for another key WHEN a key\'s progress is parsed THEN none of it leaks in', () => {
    expect(parseKeyProgress(formatKeyProgress(OLDER, progress), PREVIOUS)).toEqual({});
  });

  test('GIVEN a progress tag with an invalid time WHEN parsed THEN that time is ignored and the others kept', () => {
    const tags = { [Tags.PROGRESS]: `id=${PREVIOUS} usage-checked-at=2024-03-04T12:00:00.000Z deactivated-at=soon held-at=` };
    expect(parseKeyProgress(tags, PREVIOUS)).toEqual({ usageCheckedAt: new Date('2024-03-04T12:00:00.000Z') });
  });
});

describe('current-key tag', () => {
  test('GIVEN a current-key tag WHEN parsed THEN its id is the hint', () => {
    expect(parseCurrentKeyHint({ [Tags.CURRENT_KEY]: `id=${CURRENT} promoted-at=2024-03-01T00:00:00.000Z` })).toBe(CURRENT);
  });

  test.each([
    ['no current-key tag', {}],
    ['a tag without an id', { [Tags.CURRENT_KEY]: 'promoted-at=2024-03-01T00:00:00.000Z' }],
  ])('GIVEN %s WHEN parsed THEN there is no hint', (_, tags) => {
    expect(parseCurrentKeyHint(tags)).toBeUndefined();
  });
});

describe('creating marker', () => {
  const SINCE = new Date('2024-03-01T08:00:00.000Z');

  test('GIVEN a key just created WHEN the marker is formatted and parsed THEN it names that key', () => {
    const value = formatCreatingMarker(PENDING, SINCE);
    expect(value).toBe(`id=${PENDING} since=2024-03-01T08:00:00.000Z`);
    expect(value).toMatch(TAG_VALUE);
    expect(parseCreatingMarker({ [Tags.CREATING]: value })).toBe(PENDING);
  });

  test.each([
    ['no creating tag', {}],
    ['an empty creating tag', { [Tags.CREATING]: '' }],
    ['a tag without an id', { [Tags.CREATING]: 'since=2024-03-01T08:00:00.000Z' }],
  ])('GIVEN %s WHEN parsed THEN there is no marker', (_, tags) => {
    expect(parseCreatingMarker(tags)).toBeUndefined();
  });
});

describe('revoke request', () => {
  const AT = new Date('2024-03-01T08:00:00.000Z');

  test('GIVEN a request WHEN formatted and parsed THEN its time comes back unchanged', () => {
    const value = formatRevokeRequest(AT);
    expect(value).toBe('requested-at=2024-03-01T08:00:00.000Z');
    expect(value).toMatch(TAG_VALUE);
    expect(parseRevokeRequest({ [Tags.REVOKE]: value })).toEqual(AT);
  });

  test('GIVEN no revoke tag WHEN parsed THEN there is no request', () => {
    expect(parseRevokeRequest({})).toBeUndefined();
  });

  test.each([
    ['empty', ''],
    ['without a time', 'now please'],
    ['with an invalid time', 'requested-at=now'],
  ])('GIVEN a revoke tag %s WHEN parsed THEN it is malformed (and so never honoured)', (_, value) => {
    expect(parseRevokeRequest({ [Tags.REVOKE]: value })).toBe('malformed');
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
    ['JSON null', 'null'],
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

describe('parseCredentialReport', () => {
  const HEADER = 'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,'
    + 'access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,'
    + 'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,'
    + 'cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
  const row = (user: string, arn: string, k1: string, k2: string) =>
    `${user},${arn},2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,${k1},N/A,N/A,N/A,${k2},N/A,N/A,N/A,false,N/A,false,N/A`;
  const ARN = 'arn:aws:iam::123456789012:user/';

  test('GIVEN users with none, one and two keys WHEN parsed THEN each user\'s keys are its status and creation date, by ARN', () => {
    const report = parseCredentialReport([
      HEADER,
      row('root-less', `${ARN}root-less`, 'false,N/A', 'false,N/A'),
      row('alice', `${ARN}alice`, 'true,2026-11-01T10:00:00+00:00', 'false,N/A'),
      row('bob', `${ARN}svc/bob`, 'false,2026-10-01T10:00:00+00:00', 'true,2026-11-01T10:00:00+00:00'),
    ].join('\n'));
    expect(report.get(`${ARN}root-less`)).toEqual([]);
    expect(report.get(`${ARN}alice`)).toEqual([{ active: true, slot: 1, createdAt: new Date('2026-11-01T10:00:00Z') }]);
    expect(report.get(`${ARN}svc/bob`)).toEqual([
      { active: false, slot: 1, createdAt: new Date('2026-10-01T10:00:00Z') }, { active: true, slot: 2, createdAt: new Date('2026-11-01T10:00:00Z') },
    ]);
  });

  test('GIVEN a user name with commas, written unquoted or quoted WHEN parsed THEN its ARN is whole and its keys are read from the right columns', () => {
    const report = parseCredentialReport([
      HEADER,
      row('a,b,c', `${ARN}a,b,c`, 'true,2026-11-01T10:00:00+00:00', 'false,N/A'),
      row('"d,e"', `"${ARN}d,e"`, 'false,2026-11-02T10:00:00+00:00', 'false,N/A'),
    ].join('\r\n'));
    expect(report.get(`${ARN}a,b,c`)).toEqual([{ active: true, slot: 1, createdAt: new Date('2026-11-01T10:00:00Z') }]);
    expect(report.get(`${ARN}d,e`)).toEqual([{ active: false, slot: 1, createdAt: new Date('2026-11-02T10:00:00Z') }]);
  });

  test('GIVEN keys used and never used WHEN parsed THEN the last use is read with its service and region, and N/A or not_supported is none', () => {
    const line = `carol,${ARN}carol,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,`
      + 'true,2026-01-01T10:00:00+00:00,2026-11-30T08:00:00+00:00,eu-west-1,s3,'
      + 'true,2026-02-01T10:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A';
    const moto = `dave,${ARN}dave,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,`
      + 'true,2026-01-01T10:00:00+00:00,2026-11-30T08:00:00+00:00,not_supported,not_supported,'
      + 'false,N/A,N/A,not_supported,not_supported,false,N/A,false,N/A';
    const report = parseCredentialReport([HEADER, line, moto].join('\n'));
    expect(report.get(`${ARN}carol`)).toEqual([
      {
        active: true,
        slot: 1,
        createdAt: new Date('2026-01-01T10:00:00Z'),
        lastUsedAt: new Date('2026-11-30T08:00:00Z'),
        lastUsedService: 's3',
        lastUsedRegion: 'eu-west-1',
      },
      { active: true, slot: 2, createdAt: new Date('2026-02-01T10:00:00Z') },
    ]);
    expect(report.get(`${ARN}dave`)).toEqual([{ active: true, slot: 1, createdAt: new Date('2026-01-01T10:00:00Z'), lastUsedAt: new Date('2026-11-30T08:00:00Z') }]);
  });

  test('GIVEN a report of another shape, or lines that do not read WHEN parsed THEN nothing is made up', () => {
    expect(parseCredentialReport('').size).toBe(0);
    expect(parseCredentialReport('user,arn,something_else\nalice,arn:aws:iam::1:user/alice,x').size).toBe(0);
    expect(parseCredentialReport(`${HEADER}\nalice,not-an-arn`).size).toBe(0);
  });
});
