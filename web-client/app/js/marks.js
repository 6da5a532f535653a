// marks.js — performance.mark('samplan:<name>') on the way to an open plan
// (core loaded, socket open, doc restored, joined, first render). Read by
// bench/web_client_bench.mjs and visible in the browser's performance panel.
export const mark = (name) => {
  if (globalThis.performance && performance.mark) performance.mark(`samplan:${name}`);
};
