/**
 * One clock for every process of a run: `process.hrtime` reads CLOCK_MONOTONIC, which all processes
 * on the machine share, so a time taken in an agent and one taken in a subscriber can be subtracted.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
