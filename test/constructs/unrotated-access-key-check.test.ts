/**
 * The app-wide check flags raw AWS::IAM::AccessKey resources, in any stack of
 * the app, and never the library's own constructs.
 */
import { Annotations as CoreAnnotations, App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FindingLevel, RotatingAccessKeyUser, UnrotatedAccessKeyCheck } from '../../src';

function appWithKeys() {
  const app = new App();
  const legacy = new Stack(app, 'Legacy');
  const user = new iam.User(legacy, 'Ci');
  const key = new iam.AccessKey(legacy, 'CiKey', { user });
  const modern = new Stack(app, 'Modern');
  new RotatingAccessKeyUser(modern, 'Backup');
  return { app, legacy, modern, key };
}

test('GIVEN an app with a raw access key WHEN checked THEN the key is an error naming its path; rotated keys are not flagged', () => {
  const { app, legacy, modern } = appWithKeys();
  Aspects.of(app).add(new UnrotatedAccessKeyCheck());
  app.synth();
  const errors = Annotations.fromStack(legacy).findError('*', Match.anyValue());
  expect(errors.map((e) => e.entry.data)).toEqual([expect.stringContaining('Legacy/CiKey/Resource: an AWS::IAM::AccessKey never rotates')]);
  expect(Annotations.fromStack(modern).findError('*', Match.anyValue())).toEqual([]);
  expect(Annotations.fromStack(modern).findWarning('*', Match.stringLikeRegexp('never rotates'))).toEqual([]);
});

test('GIVEN level WARNING THEN the finding is a warning that can be acknowledged', () => {
  const { app, legacy, key } = appWithKeys();
  Aspects.of(app).add(new UnrotatedAccessKeyCheck({ level: FindingLevel.WARNING }));
  app.synth();
  expect(Annotations.fromStack(legacy).findWarning('*', Match.stringLikeRegexp('never rotates'))).toHaveLength(1);

  const again = appWithKeys();
  Aspects.of(again.app).add(new UnrotatedAccessKeyCheck({ level: FindingLevel.WARNING }));
  CoreAnnotations.of(again.key).acknowledgeWarning(UnrotatedAccessKeyCheck.FINDING_ID, 'decommissioned next quarter');
  again.app.synth();
  expect(Annotations.fromStack(again.legacy).findWarning('*', Match.anyValue())).toEqual([]);
  expect(key).toBeDefined();
});
