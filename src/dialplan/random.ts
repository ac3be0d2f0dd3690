/**
 * A seeded random source for dial plans (`DialPlan.compile(rules, { random: seededRandom(1) })`),
 * so tests and reproductions of `;`, range and `?` targets draw the same values every run.
 */

/** mulberry32: returns draws in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    // mulberry32's mixing: xor-shifts and odd multipliers spread every bit of the state
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
