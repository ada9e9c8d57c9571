/**
 * The demo: synthesize the example app with the real `cdk` CLI (offline), then
 * create its backup-server user and secret in moto's server exactly as the
 * template says, deploy the template's registry (resolved as CloudFormation
 * would, parsed by the function's own parser) into the CloudFormation
 * stand-in, and drive the real rotation function through the first rotation
 * (the one at deploy), scheduled rotations and the hourly lifecycle over 100
 * simulated days (the clock is injected), printing the timeline.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import Table from 'cli-table3';
import { assemblyText, deployedRegistry, managedUser, resolveValue, synthExample } from './example-template';
import { userNameOf } from '../src/rotation/contract';
import { formatSeconds } from '../src/rotation/model';
import { MotoServer } from '../test/support/moto';
import { DAY, HOUR, makeRotator, rotate, World } from '../test/support/world';

const SIMULATED_DAYS = 100;
const USER = 'backup-server';

async function main(): Promise<void> {
  // 1. The example app, synthesized as `cdk synth` does it, with no account.
  const synth = synthExample();
  const resources = Object.values<{ Type: string }>(synth.template.Resources);
  const byType = new Map<string, number>();
  for (const r of resources) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  console.log(`cdk synth of examples/ (offline): ${resources.length} resources in ${synth.seconds.toFixed(1)} s`);
  console.log(`  ${[...byType].map(([t, n]) => `${n} ${t}`).join(', ')}`);
  const text = assemblyText(synth.outDir);
  console.log(`  in cdk.out's templates and manifests: ${(text.match(/AWS::IAM::AccessKey/g) ?? []).length} AWS::IAM::AccessKey, `
    + `${(text.match(/SecretAccessKey/g) ?? []).length} mentions of SecretAccessKey: no secret passes through CloudFormation\n`);

  const spec = managedUser(synth.template, USER);

  // 2. The same user and secret in moto, made with SDK calls, and the stack's registry in the CloudFormation stand-in.
  const moto = await MotoServer.start();
  try {
    const world = new World();
    await world.createUser(spec.userName, spec.path);
    const userArn = world.userArn(spec.userName);
    const physical = { [spec.userId]: spec.userName, [`${spec.userId}.Arn`]: userArn };
    const secretString = String(resolveValue(synth.template, physical, spec.secretString));
    const description = String(resolveValue(synth.template, physical, spec.description));
    const secret = await world.secretsManager.send(new CreateSecretCommand({ Name: `access-keys/${spec.userName}`, SecretString: secretString, Description: description }));
    const arn = secret.ARN!;
    const registry = deployedRegistry(synth.template, { ...physical, [spec.secretId]: arn });
    moto.cloudFormation.deployRegistry(registry.registrations);
    const entry = registry.registrations.find((r) => r.secretArn === arn)!;
    const rotateEvery = Number(/^rate\((\d+) days?\)$/.exec(entry.scheduleExpression)![1]);
    console.log(`moto's server on ${moto.endpoint}: user ${spec.path}${spec.userName}, secret value ${secretString}, no tags`);
    console.log('the stack\'s registry (the function\'s Metadata, resolved and parsed by the function): '
      + registry.registrations.map((r) => `${r.secretArn.split(':').pop()} → ${userNameOf(r.userArn)} (${r.removal})`).join(', '));
    console.log(`schedule ${entry.scheduleExpression}; the old key is deactivated ${formatSeconds(entry.deactivateAfterSeconds)} after promotion `
      + `and deleted ${formatSeconds(entry.deleteAfterSeconds)} after that; the lifecycle runs hourly; ${SIMULATED_DAYS} simulated days\n`);

    // 3. The first rotation (at deploy), then scheduled rotations and hourly lifecycle runs.
    const h = makeRotator();
    const start = h.clock.now().getTime();
    const day = () => ((h.clock.now().getTime() - start) / DAY).toFixed(2).padStart(6);
    let printed = 0;
    const printEvents = () => {
      for (const e of h.gateway.events.slice(printed)) {
        const d = JSON.parse(e.Detail!);
        console.log(`day ${day()}  ${e.DetailType!.padEnd(24)} ${String(d.accessKeyId ?? '').padEnd(20)} ${d.reason}`);
      }
      printed = h.gateway.events.length;
    };

    h.calls.length = 0;
    await rotate(world, h.rotator, arn);
    const firstRotationCalls = [...h.calls];
    printEvents();

    let nextRotation = start + rotateEvery * DAY;
    let lifecycleRuns = 0;
    let lifecycleCalls = 0;
    while (h.clock.now().getTime() < start + SIMULATED_DAYS * DAY) {
      h.clock.advance(HOUR);
      if (h.clock.now().getTime() >= nextRotation) {
        await rotate(world, h.rotator, arn);
        nextRotation += rotateEvery * DAY;
      }
      h.calls.length = 0;
      await h.rotator.lifecycle();
      lifecycleCalls += h.calls.length;
      lifecycleRuns++;
      printEvents();
    }

    const stages = await world.stages(arn);
    const table = new Table({ head: ['access key id', 'IAM status', 'secret stage'], style: { head: [], border: [] } });
    for (const k of await world.keys(spec.userName)) {
      const stage = Object.entries(stages).filter(([, id]) => id === k.accessKeyId).map(([s]) => s).join(', ');
      table.push([k.accessKeyId, k.status, stage || '-']);
    }
    console.log(`\nafter ${SIMULATED_DAYS} days: ${lifecycleRuns} lifecycle runs made ${lifecycleCalls} AWS calls `
      + `(${(lifecycleCalls / lifecycleRuns).toFixed(2)} a run: one ListSecrets, plus Secrets Manager and IAM only when a transition is due)`);
    console.log(table.toString());
    const rotationCalls = firstRotationCalls.filter((c) => !c.startsWith('CloudFormation.'));
    console.log(`\nAWS calls of one rotation (${rotationCalls.length + 1}; plus the registry read once at a cold start, `
      + `${firstRotationCalls.filter((c) => c.startsWith('CloudFormation.')).join(', ')}): `
      + `${[...rotationCalls, 'STS.GetCallerIdentity (signed with the new key)'].join(', ')}`);
  } finally {
    await moto.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
