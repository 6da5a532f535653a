// Test helper: the wasm core through doc.js, loaded once per test process.
// SAMPLAN_CORE_MODULE may point at another build of samplan_core.mjs.
import { loadCore, PlanDoc } from '../../app/js/doc.js';

let loaded = null;

export function loadTestCore() {
  if (!loaded) {
    const path = process.env.SAMPLAN_CORE_MODULE
      ? new URL(process.env.SAMPLAN_CORE_MODULE, `file://${process.cwd()}/`)
      : new URL('../../../build-wasm/samplan_core.mjs', import.meta.url);
    loaded = import(path).then(async ({ default: Factory }) => ({ core: await loadCore(Factory), PlanDoc }));
  }
  return loaded;
}
