/**
 * The demo: one IAM user's access key rotated by the real rotation function
 * against moto's server, then a second rotation and the old keys' lifecycle
 * over simulated months (the clock is injected), printed as a timeline.
 */
import Table from 'cli-table3';
import { MotoServer } from '../test/support/moto';
import { DAY, HOUR, makeRotator, rotate, World } from '../test/support/world';
import { Tags } from '../src/rotation/model';

const ROTATE_EVERY_DAYS = 30;
const SIMULATED_DAYS = 100;
const LIFECYCLE_EVERY_HOURS = 6;

async function main(): Promise<void> {
  const moto = await MotoServer.start();
  try {
    const world = new World();
    await world.createUser('build-server', '/service/');
    const arn = await world.createManagedSecret('build-server', {
      [Tags.DEACTIVATE_AFTER]: String(7 * 86_400),
      [Tags.DELETE_AFTER]: String(14 * 86_400),
    });
    const start = new Date();
    const h = makeRotator();
    const day = () => ((h.clock.now().getTime() - start.getTime()) / DAY).toFixed(2).padStart(6);
    let printed = 0;
    const printEvents = () => {
      for (const e of h.gateway.events.slice(printed)) {
        const d = JSON.parse(e.Detail!);
        console.log(`day ${day()}  ${e.DetailType!.padEnd(24)} ${String(d.accessKeyId ?? '').padEnd(20)} ${d.reason}`);
      }
      printed = h.gateway.events.length;
    };

    console.log(`moto's server on ${moto.endpoint}; user build-server; secret ${arn}`);
    console.log(`rotation every ${ROTATE_EVERY_DAYS} days, deactivate 7 days after promotion, delete 14 days after deactivation,`);
    console.log(`lifecycle run every ${LIFECYCLE_EVERY_HOURS} hours, ${SIMULATED_DAYS} simulated days\n`);

    h.calls.length = 0;
    await rotate(world, h.rotator, arn);
    const firstRotationCalls = [...h.calls];
    printEvents();

    let nextRotation = start.getTime() + ROTATE_EVERY_DAYS * DAY;
    let lifecycleRuns = 0;
    while (h.clock.now().getTime() < start.getTime() + SIMULATED_DAYS * DAY) {
      h.clock.advance(LIFECYCLE_EVERY_HOURS * HOUR);
      if (h.clock.now().getTime() >= nextRotation) {
        await rotate(world, h.rotator, arn);
        nextRotation += ROTATE_EVERY_DAYS * DAY;
      }
      await h.rotator.lifecycle();
      lifecycleRuns++;
      printEvents();
    }

    const stages = await world.stages(arn);
    const table = new Table({ head: ['access key id', 'IAM status', 'secret stage'], style: { head: [], border: [] } });
    for (const k of await world.keys('build-server')) {
      const stage = Object.entries(stages).filter(([, id]) => id === k.accessKeyId).map(([s]) => s).join(', ');
      table.push([k.accessKeyId, k.status, stage || '-']);
    }
    console.log(`\nafter ${SIMULATED_DAYS} days (${lifecycleRuns} lifecycle runs):`);
    console.log(table.toString());
    console.log(`\nAPI calls of the first rotation (${firstRotationCalls.length + 1}): ${[...firstRotationCalls, 'STS.GetCallerIdentity (signed with the new key)'].join(', ')}`);
  } finally {
    await moto.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
