/**
 * The app `cdk synth` runs for the whole-process figure: BENCH_LAYOUT users
 * (BENCH_USERS of them) in one stack. Run precompiled (bench/.out).
 */
import { buildApp } from './layouts';

buildApp(process.env.BENCH_LAYOUT ?? 'baseline', Number(process.env.BENCH_USERS ?? 100)).synth();
