/*
 * Warming the GIL paths before a thread runs.
 *
 * A GIL handoff runs a few hundred instructions of JS every switch interval (5 ms): too rarely for
 * V8 to have compiled them when they matter, so the first few hundred handoffs of a run would
 * cost ten times what they do later (measured: a cold drop + take ~40 µs, warm ~3 µs). CPython's
 * take_gil/drop_gil are compiled C from the start; to keep that proportion, each JS thread that
 * will run Python threads first exercises the paths on a small private buffer (same code, same
 * policy, no effect on the real one): attach/detach, drop requests, ticks, blocking calls.
 */

import { allocStateBytes } from '../../heap/state.ts';
import { computeLayout, createBuffer } from '../../heap/layout.ts';
import { resolveConfig, writeConfig, type GilPolicyName } from '../config.ts';
import { ThreadSystem } from '../threads.ts';
import { ST_DONE } from '../threadstate.ts';

/** Rounds of each path: enough for V8 to optimize them (a few ms once per JS thread). */
const WARM_ROUNDS = 3000;
const warmed = new Set<GilPolicyName>();

export function warmGilPaths(gil: GilPolicyName): void {
  if (warmed.has(gil)) return;
  warmed.add(gil);
  const config = resolveConfig({ gil });
  const layout = computeLayout({ maxThreads: 2, traceEvents: 64, maxBytes: 8 * 2 ** 20 }, allocStateBytes);
  const mem = createBuffer(layout);
  writeConfig(mem, config);
  const sys = ThreadSystem.create(mem, layout, config, { workPerBytecode: 1 });
  const ts = sys.register('warm-up');
  for (let i = 0; i < WARM_ROUNDS; i++) {
    ts.detach('voluntary');
    ts.attach();
    ts.tick();
    ts.blocking('io', 0, 0, sys.clock(), () => 0);
  }
  ts.compute(WARM_ROUNDS);
  ts.finish(ST_DONE);
  sys.unbind(ts);
}
