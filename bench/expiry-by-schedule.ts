import { isClean } from '../lambdas/lifecycle/teardown';
import type { AwsCallName } from '../scripts/local-aws/instrumented-http-handler';
import { approveScenario } from '../scripts/local-aws/scenarios';
import { timeHandlers } from './handler-timer';
import { yesterdayMorning, type LocalAwsSession } from './local-aws-session';

/** The workflow's task state that runs the grant function (as the demo names it). */
const GRANT_STEP = 'Grant access';
/** The timeline step of the revoke the expiry schedule invokes. */
const EXPIRY_FIRED = /^expiry schedule .* fired$/;

export interface ApproveScenarioRun {
  /** The AWS calls of the grant step. */
  readonly grantCalls: readonly AwsCallName[];
  /** The AWS calls of the revoke the expiry schedule fired. */
  readonly revokeCalls: readonly AwsCallName[];
  /** That revoke's wall time: from its invocation at expiry to its residue check passed and recorded. */
  readonly revokeSeconds: number;
}

/**
 * The demo's approve scenario, in-process against moto: dana requests, alice and bob approve, the grant runs, the
 * vendor works in a session, and at expiry the schedule fires the revoke. A run that does not end REVOKED and clean
 * fails the benchmark: the figures of a broken path mean nothing.
 */
export async function runApproveScenario(session: LocalAwsSession): Promise<ApproveScenarioRun> {
  const local = await session.newLocal(yesterdayMorning());
  const handlerRuns = timeHandlers(local);
  const result = await approveScenario(local);
  if (result.outcome.status !== 'SUCCEEDED' || result.grant?.status !== 'REVOKED' || !isClean(result.residue)) {
    throw new Error(
      `the approve scenario did not end revoked and clean: ${JSON.stringify({ outcome: result.outcome, status: result.grant?.status, residue: result.residue })}`,
    );
  }
  const grantSteps = local.timeline.filter((entry) => entry.step === GRANT_STEP);
  const revokeSteps = local.timeline.filter((entry) => EXPIRY_FIRED.test(entry.step));
  const revokeRuns = handlerRuns.filter((run) => run.handler === 'revoke' && EXPIRY_FIRED.test(run.step));
  const [grantStep] = grantSteps;
  const [revokeStep] = revokeSteps;
  const [revokeRun] = revokeRuns;
  if (
    grantSteps.length !== 1 ||
    revokeSteps.length !== 1 ||
    revokeRuns.length !== 1 ||
    !grantStep ||
    !revokeStep ||
    !revokeRun
  ) {
    throw new Error(
      `expected one grant step and one fired revoke, found ${grantSteps.length} and ${revokeSteps.length}`,
    );
  }
  return { grantCalls: grantStep.awsCalls, revokeCalls: revokeStep.awsCalls, revokeSeconds: revokeRun.seconds };
}
