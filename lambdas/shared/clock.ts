/** Handlers read time only through a Clock, so tests and the local demo can run an 8-hour grant in seconds. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
