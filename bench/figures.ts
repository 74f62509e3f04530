/**
 * Everything the benchmark reports, under the key names issue 11 gives (units in the names where a name can carry
 * one: bytes, ms, seconds, chars). Each timed figure is the median of `--runs` runs on this machine.
 */
export interface Figures {
  /** AWS calls of the grant step in the demo's approve scenario. */
  readonly grantCalls: number;
  /** AWS calls of the revoke the expiry schedule fires in that scenario. */
  readonly revokeCalls: number;
  /** The same calls, by operation (`iam:CreateRole: 1`). */
  readonly callsByOperation: {
    readonly grant: Readonly<Record<string, number>>;
    readonly revoke: Readonly<Record<string, number>>;
  };
  /** Scheduler's 60 s precision plus the fired revoke's own run (expiry to residue check recorded). */
  readonly exposureAfterExpirySecondsBySchedule: number;
  /** With the schedule deleted by hand: the sweeper's interval plus the run that revokes the grant. */
  readonly exposureAfterExpirySecondsBySweeper: number;
  readonly bundleBytes: Readonly<Record<string, number>>;
  readonly moduleInitMs: Readonly<Record<string, number>>;
  readonly synthSeconds: number;
  /** The same synth with CDK's own template validation, as CI runs it (no goal). */
  readonly synthSecondsWithTemplateValidation: number;
  readonly demoSeconds: number;
  readonly sweeper: {
    readonly grants: readonly number[];
    readonly seconds: readonly number[];
    readonly calls: readonly number[];
    readonly callsByOperationAtLargest: Readonly<Record<string, number>>;
  };
  readonly inlinePolicyChars: {
    readonly instances1: number;
    readonly instances10: number;
    readonly instances100: number;
    readonly tagGroup: number;
  };
  readonly largestInstanceListThatFits: number;
  readonly sgRuleHeadroomPerGroup: number;
}
