/** Deterministic random sources for dial-plan tests. */
export { seededRandom as seeded } from '../../src/dialplan/index.js';

/** Returns the given draws in order, cycling. */
export function sequence(...draws: number[]): () => number {
  let i = 0;
  return () => draws[i++ % draws.length]!;
}
