// Manual measurement of the secret screen (not a test; no timing assertions live in the tests).
//   node --import tsx test/text/measure-screen.ts
// Prints the throughput of screen() on ~1 MB of mixed text and, for every rule, the slowest of its
// 100 KB adversarial strings (from ./samples.ts), timed for the rule alone (findMatches) and for
// the whole screen(). Each figure is the best of 3 runs, to keep GC pauses out.
import { performance } from 'node:perf_hooks';
import { SECRET_RULES, findMatches, screen } from '../../src/text/secrets.js';
import { bound } from '../../src/text/bound.js';
import { slackMrkdwnLiteral } from '../../src/text/escape.js';
import { adversarialInputs, mixedCorpus } from './samples.js';

function time(fn: () => void, repeat = 1): number {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const corpus = mixedCorpus(1 << 20);
screen(corpus); // warm up
const ms = time(() => screen(corpus), 5);
const mb = corpus.length / (1 << 20);
console.log(`screen(): ${mb.toFixed(2)} M chars of mixed text in ${ms.toFixed(1)} ms = ${(mb / (ms / 1000)).toFixed(1)} MB/s`);

const clean = 'the quick brown fox jumps over the lazy dog 0123456789 '.repeat(20_000);
const cleanMs = time(() => screen(clean), 5);
console.log(`screen(): ${(clean.length / (1 << 20)).toFixed(2)} M chars of clean prose in ${cleanMs.toFixed(1)} ms`);

const pipelineMs = time(() => {
  for (let i = 0; i < 10_000; i++) slackMrkdwnLiteral(bound(screen(`tool_call read_file by user-${i} <!channel> *x*`).text));
});
console.log(`pipeline slackMrkdwnLiteral(bound(screen(x))) on short fields: ${((pipelineMs / 10_000) * 1000).toFixed(1)} µs per field`);

let worstRule = 0;
let worstScreen = 0;
for (const rule of SECRET_RULES) {
  const timings = adversarialInputs(rule).map(({ label, text }) => ({
    label,
    rule: time(() => findMatches(rule, text), 3),
    all: time(() => screen(text), 3),
  }));
  const top = timings.reduce((a, b) => (b.rule > a.rule ? b : a));
  const topAll = timings.reduce((a, b) => (b.all > a.all ? b : a));
  worstRule = Math.max(worstRule, top.rule);
  worstScreen = Math.max(worstScreen, topAll.all);
  console.log(
    `${rule.name.padEnd(28)} ${String(timings.length).padStart(3)} inputs: rule alone ≤ ${top.rule.toFixed(1).padStart(5)} ms (${top.label}); full screen() ≤ ${topAll.all.toFixed(1).padStart(5)} ms (${topAll.label})`,
  );
}
console.log(`slowest 100 KB adversarial input: ${worstRule.toFixed(1)} ms for a single rule, ${worstScreen.toFixed(1)} ms for screen()`);
