/**
 * Compliance of the constructs: cdk-nag's AWS Solutions rules in process (every
 * finding the library causes is suppressed inside the library, with its reason,
 * on one resource and for the named findings only), then cfn-lint and a leak
 * scan on the example app synthesized by the real `cdk` CLI. This runs cdk-nag
 * 2.x; the same suppressions are written for cdk-nag 3.x as acknowledgements,
 * checked here to match and run through cdk-nag 3 by scripts/check-cdk-nag-v3.sh.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, CfnElement, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessKeysExampleStack } from '../../examples/access-keys-example-stack';
import { AccessKeyRotator, RotatingAccessKey, RotatingAccessKeyUser } from '../../src';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const ENV = { account: '123456789012', region: 'us-east-1' };

/** The rules each resource suppresses, by logical id: what cdk-nag reads. */
type Suppressions = Record<string, Array<{ id: string; reason: string; applies_to?: string[] }>>;

describe('cdk-nag AwsSolutionsChecks', () => {
  /** Unsuppressed AwsSolutions errors and warnings, and rules that could not be evaluated. */
  function nag(stack: Stack): { findings: string[]; template: Template } {
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    const annotations = Annotations.fromStack(stack);
    const messages = [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())]
      .map((m) => ({ path: m.id, message: String(m.entry.data) }));
    // A rule that throws is reported as CdkNagValidationFailure and checks nothing: count it as a finding.
    const findings = messages
      .filter((m) => m.message.startsWith('AwsSolutions-') || m.message.startsWith('CdkNagValidationFailure'))
      .map((m) => `${m.path}: ${m.message.split('\n')[0]}`);
    return { findings, template: Template.fromStack(stack) };
  }

  function suppressions(template: Template): Suppressions {
    const result: Suppressions = {};
    for (const [id, resource] of Object.entries<any>(template.toJSON().Resources)) {
      const rules = resource.Metadata?.cdk_nag?.rules_to_suppress;
      if (rules) result[id] = rules;
    }
    return result;
  }

  /** The cdk-nag 3 acknowledgements on each resource, by logical id: rule id (`id[finding]` for a granular rule) to reason. */
  function acknowledgements(stack: Stack): Record<string, Record<string, string>> {
    const result: Record<string, Record<string, string>> = {};
    for (const construct of stack.node.findAll()) {
      // aws-cdk-lib's Validations.ACKNOWLEDGED_RULES_METADATA_KEY, which cdk-nag 3 reads.
      const entries = construct.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules');
      if (entries.length === 0) continue;
      expect({ path: construct.node.path, resource: CfnResource.isCfnResource(construct) }).toEqual({ path: construct.node.path, resource: true });
      result[stack.resolve(stack.getLogicalId(construct as CfnElement))] = Object.assign({}, ...entries.map((m) => m.data));
    }
    return result;
  }

  /**
   * What cdk-nag 3 reads says what cdk-nag 2 reads: each suppression the library
   * wrote is acknowledged with the same reason, once per `applies_to` finding.
   * `userMade` are the resources the stack's author suppressed with cdk-nag 2's
   * NagSuppressions, which writes for cdk-nag 2 only.
   */
  function expectAcknowledgedForV3(stack: Stack, template: Template, ...userMade: string[]): void {
    const expected = Object.fromEntries(Object.entries(suppressions(template))
      .filter(([id]) => !userMade.includes(id))
      .map(([id, rules]) => [id, Object.fromEntries(rules.flatMap((rule) => (rule.applies_to
        ? rule.applies_to.map((finding) => [`${rule.id}[${finding}]`, rule.reason])
        : [[rule.id, rule.reason]])))]));
    expect(acknowledgements(stack)).toEqual(expected);
  }

  /** The logical id of the resource at the end of `pathSuffix`. */
  function logicalId(stack: Stack, pathSuffix: string): string {
    const found = stack.node.findAll().filter((c) => c.node.path.endsWith(pathSuffix));
    expect(found).toHaveLength(1);
    return stack.resolve(stack.getLogicalId(found[0] as CfnElement));
  }

  /** The rotator's role may use * only where IAM offers no resource: that is what its Resource::* suppression claims. */
  function expectOnlyListSecretsOnStar(stack: Stack, template: Template): void {
    const role = template.toJSON().Resources[logicalId(stack, '/AccessKeyRotator/Role/Resource')];
    const onStar = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement)
      .filter((s: any) => [s.Resource].flat().includes('*'));
    expect(onStar.map((s: any) => [s.Action].flat())).toEqual([
      ['secretsmanager:ListSecrets'], ['iam:GenerateCredentialReport', 'iam:GetCredentialReport'], ['cloudwatch:PutMetricData'],
    ]);
    // PutMetricData only into the library's own namespace.
    expect(onStar[2].Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'cdk-rotating-access-keys' } });
  }

  const LIST_SECRETS = { id: 'AwsSolutions-IAM5', reason: expect.stringContaining('ListSecrets'), applies_to: ['Resource::*'] };
  const ROTATION_ON = { id: 'AwsSolutions-SMG4', reason: expect.stringContaining('Custom::AccessKeyRotation') };

  /**
   * SMG4 (a secret without rotation) is suppressed on the library's secrets only because their rotation resource
   * turns rotation on: each suppressed secret must have a Custom::AccessKeyRotation, served by the stack's rotation function.
   */
  function expectRotationBehindEachSmg4(stack: Stack, template: Template): void {
    const resources = template.toJSON().Resources;
    const fn = logicalId(stack, '/AccessKeyRotator/Function/Resource');
    const suppressed = Object.entries<any>(resources)
      .filter(([, r]) => (r.Metadata?.cdk_nag?.rules_to_suppress ?? []).some((rule: { id: string }) => rule.id === 'AwsSolutions-SMG4'));
    expect(suppressed.length).toBeGreaterThan(0);
    for (const [id, resource] of suppressed) {
      expect(resource.Type).toBe('AWS::SecretsManager::Secret');
      const rotations = Object.values<any>(resources).filter((r) => r.Type === 'Custom::AccessKeyRotation' && r.Properties.SecretArn?.Ref === id);
      expect(rotations.map((r) => r.Properties.ServiceToken)).toEqual([{ 'Fn::GetAtt': [fn, 'Arn'] }]);
    }
  }

  test('GIVEN the example stack, every feature on, WHEN checked THEN there are no unsuppressed findings', () => {
    const app = new App();
    const stack = new AccessKeysExampleStack(app, 'AccessKeysExample', { env: ENV });
    const { findings, template } = nag(stack);
    expect(findings).toEqual([]);

    // Suppressed on these resources only, each for the named findings only.
    expect(suppressions(template)).toEqual({
      [logicalId(stack, '/AccessKeyRotator/Role/Resource')]: [LIST_SECRETS],
      [logicalId(stack, '/BackupServer/PolicyReadBackups/Resource')]: [{
        id: 'AwsSolutions-IAM5',
        reason: expect.stringContaining('backup objects'),
        applies_to: ['Resource::arn:aws:s3:::example-backups/*'],
      }],
      [logicalId(stack, '/BackupServer/AccessKey/Secret/Resource')]: [ROTATION_ON],
      [logicalId(stack, '/LegacyCi/Secret/Resource')]: [ROTATION_ON],
    });
    expectOnlyListSecretsOnStar(stack, template);
    expectRotationBehindEachSmg4(stack, template);
    expectAcknowledgedForV3(stack, template, logicalId(stack, '/BackupServer/PolicyReadBackups/Resource'));
  });

  test('GIVEN a minimal stack, one RotatingAccessKey for an imported user with default props, WHEN checked THEN there are no unsuppressed findings', () => {
    const app = new App();
    const stack = new Stack(app, 'Minimal');
    new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'alice') });
    const { findings, template } = nag(stack);
    expect(findings).toEqual([]);
    expect(suppressions(template)).toEqual({
      [logicalId(stack, '/AccessKeyRotator/Role/Resource')]: [LIST_SECRETS],
      [logicalId(stack, '/Key/Secret/Resource')]: [ROTATION_ON],
    });
    expectOnlyListSecretsOnStar(stack, template);
    expectRotationBehindEachSmg4(stack, template);
    expectAcknowledgedForV3(stack, template);
  });

  test('GIVEN the rotator in a VPC, with an imported key, a custom bus and DESTROY, WHEN checked THEN there are no unsuppressed findings', () => {
    const app = new App();
    const stack = new Stack(app, 'InVpc', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-12345678', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-12345678'], privateSubnetRouteTableIds: ['rtb-12345678'],
    });
    AccessKeyRotator.configure(stack, { vpc, eventBus: new events.EventBus(stack, 'Bus') });
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    new RotatingAccessKeyUser(stack, 'Service', { removalPolicy: RemovalPolicy.DESTROY, encryptionKey: key });
    new RotatingAccessKeyUser(stack, 'Other', { encryptionKey: key });
    const { findings, template } = nag(stack);
    expect(findings).toEqual([]);
    expect(suppressions(template)).toEqual({
      [logicalId(stack, '/AccessKeyRotator/Role/Resource')]: [{
        id: 'AwsSolutions-IAM4',
        reason: expect.stringContaining('network interfaces'),
        applies_to: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
      }, LIST_SECRETS],
      [logicalId(stack, '/Service/AccessKey/Secret/Resource')]: [ROTATION_ON],
      [logicalId(stack, '/Other/AccessKey/Secret/Resource')]: [ROTATION_ON],
    });
    expectOnlyListSecretsOnStar(stack, template);
    expectRotationBehindEachSmg4(stack, template);
    expectAcknowledgedForV3(stack, template);
  });
});

describe('the example app synthesized by the cdk CLI', () => {
  let outdir: string;
  let template: any;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-keys-example-'));
    const synth = spawnSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', outdir], {
      cwd: EXAMPLES, encoding: 'utf8', timeout: 300_000,
    });
    if (synth.error || synth.status !== 0) {
      throw new Error(`cdk synth failed (${synth.error?.message ?? `exit ${synth.status}`}):\n${synth.stdout}\n${synth.stderr}`);
    }
    template = JSON.parse(fs.readFileSync(path.join(outdir, 'AccessKeysExample.template.json'), 'utf8'));
  }, 300_000);

  afterAll(() => {
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  });

  describe('cfn-lint', () => {
    /** cfn-lint from its entry point, else from its Python package. */
    function cfnLint(...args: string[]): SpawnSyncReturns<string> {
      const options = { encoding: 'utf8' as const, timeout: 120_000 };
      let run = spawnSync('cfn-lint', args, options);
      if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
        run = spawnSync('python3', ['-c', 'import sys; from cfnlint.runner import main; sys.exit(main())', ...args], options);
      }
      if (run.error || (run.status === 1 && /No module named/.test(run.stderr))) {
        throw new Error(`cannot run cfn-lint (install it with 'python3 -m pip install cfn-lint'): ${run.error?.message ?? run.stderr}`);
      }
      return run;
    }

    test('GIVEN the example template WHEN linted with every check THEN cfn-lint reports nothing', () => {
      const run = cfnLint('--', path.join(outdir, 'AccessKeysExample.template.json'));
      const output = `${run.stdout}${run.stderr}`;
      if (run.status !== 0 || output.trim() !== '') console.error(`cfn-lint exited ${run.status}:\n${output}`);
      expect({ status: run.status, output: output.trim() }).toEqual({ status: 0, output: '' });
    }, 120_000);

    /**
     * W3005 (a DependsOn that a Ref or GetAtt already implies) is ignored on
     * one resource only: the rotation function, which aws-cdk-lib makes depend
     * on its role. Without that resource's Metadata, that is the one finding:
     * none comes from the library's own DependsOn (each rotation resource
     * waits for its registration policy and the guards, which it does not reference).
     */
    test('GIVEN the template without the function\'s cfn-lint Metadata WHEN linted THEN W3005 flags only aws-cdk-lib\'s DependsOn of the function on its role', () => {
      const stripped = JSON.parse(JSON.stringify(template));
      const functions = Object.values<any>(stripped.Resources).filter((r) => r.Metadata?.['cfn-lint']);
      expect(functions.map((r) => [r.Type, r.Metadata['cfn-lint']])).toEqual([['AWS::Lambda::Function', { config: { ignore_checks: ['W3005'] } }]]);
      for (const r of functions) delete r.Metadata['cfn-lint'];
      const file = path.join(outdir, 'stripped.template.json');
      fs.writeFileSync(file, JSON.stringify(stripped));
      const run = cfnLint('--format', 'json', '--', file);
      fs.rmSync(file);
      const matches: any[] = JSON.parse(run.stdout || '[]');
      const stripHash = (id: string) => id.replace(/[0-9A-F]{8}$/, '');
      const flagged = matches.map((m) => {
        const [, resource, , index] = m.Location.Path;
        return `${m.Rule.Id} ${stripHash(resource)} -> ${stripHash(stripped.Resources[resource].DependsOn[index])}`;
      }).sort();
      expect(flagged).toEqual(['W3005 AccessKeyRotatorFunction -> AccessKeyRotatorRole']);
    }, 120_000);
  });

  describe('leak scan', () => {
    /** Every file of the cloud assembly, relative to it. */
    function files(dir = outdir): string[] {
      return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? files(full) : [path.relative(outdir, full)];
      });
    }
    const read = (file: string) => fs.readFileSync(path.join(outdir, file), 'utf8');
    /** The bundled rotation function: asset.<sha256 of the source>[.ext]/ */
    const isAssetCode = (file: string) => /^asset\.[0-9a-f]{64}(\.[^/]*)?\//.test(file);

    test('GIVEN the cloud assembly WHEN scanned THEN no file gets a SecretAccessKey attribute, and no CloudFormation file names it at all', () => {
      const all = files();
      expect(all.filter(isAssetCode).length).toBeGreaterThan(0);
      for (const file of all) {
        const text = read(file);
        // Fn::GetAtt in both its JSON forms: ["Key", "SecretAccessKey"] and "Key.SecretAccessKey".
        expect({ file, getAtt: /"Fn::GetAtt"\s*:\s*(\[\s*"[^"]*"\s*,\s*"SecretAccessKey"|"[^"]*\.SecretAccessKey")/.test(text) })
          .toEqual({ file, getAtt: false });
        if (isAssetCode(file)) {
          // The function's code reads the field from IAM's CreateAccessKey response, and nowhere else names it.
          const mentions = text.match(/SecretAccessKey/g) ?? [];
          const fromResponse = text.match(/\bAccessKey\.SecretAccessKey\b/g) ?? [];
          expect({ file, other: mentions.length - fromResponse.length }).toEqual({ file, other: 0 });
        } else {
          expect({ file, mentions: text.includes('SecretAccessKey') }).toEqual({ file, mentions: false });
        }
      }
    });

    test('GIVEN the templates WHEN scanned THEN none declares an AWS::IAM::AccessKey', () => {
      const templates = files().filter((f) => f.endsWith('.template.json'));
      expect(templates).toEqual(['AccessKeysExample.template.json']);
      const types = templates.flatMap((f) => Object.values<any>(JSON.parse(read(f)).Resources).map((r) => r.Type));
      expect(types).toContain('AWS::SecretsManager::Secret');
      expect(types).not.toContain('AWS::IAM::AccessKey');
    });

    /**
     * A secret access key is 40 characters of the base64 alphabet [A-Za-z0-9/+].
     * The match must be the whole token: neither side may touch another base64
     * character or '=' (padding), so substrings of longer tokens (64-hex asset
     * hashes in file names and S3 keys, longer base64, longer construct paths and
     * logical ids) never match. A random key has a digit, an upper- and a
     * lower-case letter except with probability (54/64)^40 + 2 * (38/64)^40,
     * about 0.1%; requiring all three rules out 40-character words, paths
     * such as 'AccessKeysExample/BackupServer/AccessKey' and hex digests.
     */
    function secretLike(text: string): string[] {
      const tokens = text.match(/(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g) ?? [];
      return tokens.filter((t) => /[0-9]/.test(t) && /[A-Z]/.test(t) && /[a-z]/.test(t));
    }

    test('GIVEN a key, an asset hash and a path WHEN scanned THEN the scan finds the key only', () => {
      const example = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'; // AWS's documented example key
      expect(secretLike(`{"SecretString":"{\\"secretAccessKey\\":\\"${example}\\"}"}`)).toEqual([example]);
      expect(secretLike(`"${example}="`)).toEqual([]); // part of a longer base64 token
      expect(secretLike('asset.c37a50032a1001804ea7825df769912777df371b606d8add9912239dbe1fa029.lambda')).toEqual([]);
      expect(secretLike('"AccessKeysExample/BackupServer/AccessKey"')).toEqual([]);
      expect(secretLike('"da39a3ee5e6b4b0d3255bfef95601890afd80709"')).toEqual([]);
    });

    test('GIVEN the json files of the assembly WHEN scanned THEN none holds a string that looks like a secret access key', () => {
      const json = files().filter((f) => f.endsWith('.json'));
      expect(json).toEqual(expect.arrayContaining(['AccessKeysExample.template.json', 'AccessKeysExample.assets.json', 'manifest.json']));
      expect(json.map((file) => ({ file, found: secretLike(read(file)) }))).toEqual(json.map((file) => ({ file, found: [] })));
    });

    test("GIVEN the example template WHEN each secret's SecretString is rendered THEN it is metadata only: {\"userName\": ...}", () => {
      /** The string CloudFormation will make, a Ref shown as <Ref X>. */
      const render = (value: any): string => {
        if (typeof value === 'string') return value;
        if (value?.Ref) return `<Ref ${value.Ref}>`;
        if (value?.['Fn::Join']?.[0] === '') return value['Fn::Join'][1].map(render).join('');
        throw new Error(`unexpected SecretString part ${JSON.stringify(value)}`);
      };
      const users = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::User').map(([id]) => id);
      expect(users).toHaveLength(1);
      const secrets = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
      expect(secrets.map((s) => JSON.parse(render(s.Properties.SecretString))).sort((a, b) => (a.userName < b.userName ? -1 : 1)))
        .toEqual([{ userName: `<Ref ${users[0]}>` }, { userName: 'legacy-ci' }]);
      for (const secret of secrets) expect(secret.Properties.GenerateSecretString).toBeUndefined();
    });
  });
});
