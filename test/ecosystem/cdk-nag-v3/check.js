// @ts-check
'use strict';
/**
 * cdk-nag 3.x AwsSolutions over the example app, built on the library as users
 * install it: the packed tarball, resolving this project's aws-cdk-lib (a
 * version cdk-nag 3 supports) as its peer. Run by scripts/check-cdk-nag-v3.sh,
 * which installs this project and the tarball first.
 *
 * Stacks checked: examples/access-keys-example-stack.ts (copied, its imports
 * pointed at the packed library and at ./cdk-nag-v2-suppressions.js, then
 * type-checked and compiled), and the rotator in a VPC (the one place the
 * library acknowledges AwsSolutions-IAM4).
 *
 * Prints every finding cdk-nag 3 reports and every acknowledgement it honoured;
 * exits 1 on any unacknowledged error or warning, or when the pack did not run.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUILD = path.join(__dirname, 'node_modules', '.check');
const ENV = { account: '123456789012', region: 'us-east-1' };

/** `source` with the module specifier `from` replaced by `to`; fails when the example no longer imports `from`. */
function replaceImport(source, from, to) {
  const pattern = new RegExp(`(from\\s+)'${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`);
  if (!pattern.test(source)) throw new Error(`examples/access-keys-example-stack.ts no longer imports '${from}': update check.js`);
  return source.replace(pattern, `$1'${to}'`);
}

/** The example stack compiled against the packed library; returns its module. */
function buildExample() {
  fs.rmSync(BUILD, { recursive: true, force: true });
  fs.mkdirSync(BUILD, { recursive: true });
  let source = fs.readFileSync(path.join(ROOT, 'examples', 'access-keys-example-stack.ts'), 'utf8');
  source = replaceImport(source, '../src', 'cdk-rotating-access-keys');
  source = replaceImport(source, 'cdk-nag', './cdk-nag-v2-suppressions');
  const file = path.join(BUILD, 'access-keys-example-stack.ts');
  fs.writeFileSync(file, source);
  for (const shim of ['cdk-nag-v2-suppressions.js', 'cdk-nag-v2-suppressions.d.ts']) {
    fs.copyFileSync(path.join(__dirname, shim), path.join(BUILD, shim));
  }
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    skipLibCheck: true,
    outDir: BUILD,
  });
  const result = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0) {
    throw new Error(`the example does not compile against the packed library:\n${ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f, getCurrentDirectory: () => BUILD, getNewLine: () => '\n',
    })}`);
  }
  return require(path.join(BUILD, 'access-keys-example-stack.js'));
}

function main() {
  const { App, Stack, Validations } = require('aws-cdk-lib');
  const ec2 = require('aws-cdk-lib/aws-ec2');
  const { AwsSolutionsChecks } = require('cdk-nag');
  const { AccessKeyRotator, RotatingAccessKeyUser } = require('cdk-rotating-access-keys');
  const { AccessKeysExampleStack } = buildExample();

  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-nag-v3-'));
  try {
    const app = new App({ outdir });
    new AccessKeysExampleStack(app, 'AccessKeysExample', { env: ENV });
    // The rotator in a VPC: its role gets AWSLambdaVPCAccessExecutionRole, an acknowledged AwsSolutions-IAM4 finding.
    const inVpc = new Stack(app, 'AccessKeysInVpc', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(inVpc, 'Vpc', {
      vpcId: 'vpc-12345678', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-12345678'], privateSubnetRouteTableIds: ['rtb-12345678'],
    });
    new AccessKeyRotator(inVpc, AccessKeyRotator.ID, { vpc });
    new RotatingAccessKeyUser(inVpc, 'Service');

    // As cdk-nag 3's README registers it.
    const pack = new AwsSolutionsChecks(app, { verbose: true });
    Validations.of(app).addPlugins(pack);
    let synthError;
    try {
      app.synth();
    } catch (error) {
      synthError = error; // cdk-nag 3 fails synthesis on an unacknowledged error, and aws-cdk-lib prints its report
      for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('validation-report.json'))) {
        fs.copyFileSync(path.join(outdir, file), path.join(BUILD, file));
        console.log(`aws-cdk-lib's report: ${path.relative(process.cwd(), path.join(BUILD, file))}`);
      }
    }
    // The same pack over the synthesized tree, for findings in cdk-nag's own terms (warnings included).
    const { violations } = pack.validateScope(app);
    process.exitCode = report(app, violations, synthError);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The acknowledgements in the tree (what cdk-nag 3 reads): `path: id`. */
function acknowledgements(app) {
  return app.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
    .flatMap((m) => Object.keys(m.data).map((id) => `${c.node.path}: ${id}`)));
}

/** Prints the acknowledgements and the findings; returns the exit code: 0 when nothing is unacknowledged. */
function report(app, violations, synthError) {
  for (const ack of [...new Set(acknowledgements(app))]) console.log(`acknowledged ${ack}`);
  const findings = violations.flatMap((v) => v.violatingResources.map((r) => `[${v.severity}] ${r.constructPath} ${v.ruleName}: ${v.description.split('\n')[0]}`));
  for (const finding of findings) console.log(finding);
  if (synthError) console.log(`synthesis failed: ${String(synthError.message).split('\n')[0]}`);
  const ok = findings.length === 0 && !synthError;
  console.log(ok ? 'cdk-nag 3 AwsSolutions: no unacknowledged findings' : `cdk-nag 3 AwsSolutions: ${findings.length} unacknowledged finding(s)`);
  return ok ? 0 : 1;
}

main();
