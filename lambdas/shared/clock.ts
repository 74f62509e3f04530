/** Handlers read time only through a Clock, so tests and the local demo can run an 8-hour grant in seconds. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** Waits `ms` milliseconds; handlers wait only through a Sleeper, so tests never wait in real time. */
export type Sleeper = (ms: number) => Promise<void>;

export const systemSleeper: Sleeper = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
