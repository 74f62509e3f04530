import { z } from 'zod';
import { assertMayVote, hasEnoughApprovals } from '../domain/approval-rules';
import { ApprovalError } from '../domain/errors';
import type { GrantStatus } from '../domain/types';
import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({
  grantId: z.string(),
  approver: z.string().min(1),
  decision: z.enum(['approve', 'deny']),
  comment: z.string().max(1000).optional(),
});

export interface DecisionResult {
  readonly grantId: string;
  readonly status: GrantStatus;
  readonly approvals: readonly string[];
  readonly needed: number;
}

/**
 * One approver's vote. Votes are conditional writes (one per approver); the PENDING → APPROVED change is a
 * conditional write too, so of two concurrent last votes exactly one sends SendTaskSuccess.
 */
export function createDecideHandler(deps: () => Dependencies = lambdaDependencies) {
  return async (event: unknown): Promise<DecisionResult> => {
    const { grantId, approver, decision, comment } = parseEvent(eventSchema, event);
    return forGrant(grantId, async () => {
      const { ledger, approvals, clock, settings } = deps();
      const needed = settings.config.approvers.minApprovals;
      const grant = await ledger.getGrant(grantId);
      if (!grant) throw new ApprovalError('UNKNOWN_GRANT', `there is no grant ${grantId}: check the id`);
      assertMayVote(approver, { requester: grant.request.requester, status: grant.status }, settings.config.approvers);

      const at = clock().toISOString();
      if (!(await ledger.recordVote(grantId, { approver, decision, at }))) {
        throw new ApprovalError('DUPLICATE_VOTE', `${approver} has already voted on ${grantId}: one vote per approver`);
      }
      const note = comment ? `: ${comment}` : '';
      const vote = { at, actor: approver, event: `${decision === 'approve' ? 'approved' : 'denied'}${note}` };

      if (decision === 'deny') {
        // The deny is the status change itself; only a deny that lost a race is recorded on its own.
        const denied = await ledger.transition(grantId, ['PENDING'], 'DENIED', vote);
        if (denied) {
          await approvals.deny(await taskToken(deps(), grantId), 'jit.Denied', `denied by ${approver}${note}`);
        } else {
          await ledger.appendHistory(grantId, vote);
        }
        // A deny that lost the race to the last approval (or to another deny) reports what the grant really is.
        const current = denied ? 'DENIED' : ((await ledger.getGrant(grantId))?.status ?? 'DENIED');
        return { grantId, status: current, approvals: [], needed };
      }

      await ledger.appendHistory(grantId, vote);
      const approvers = [
        ...new Set((await ledger.listVotes(grantId)).filter((v) => v.decision === 'approve').map((v) => v.approver)),
      ];
      if (!hasEnoughApprovals(approvers, needed)) return { grantId, status: 'PENDING', approvals: approvers, needed };
      const won = await ledger.transition(
        grantId,
        ['PENDING'],
        'APPROVED',
        { at, actor: approver, event: `approved by ${approvers.join(', ')}` },
        { approvals: approvers },
      );
      if (won) await approvals.approve(await taskToken(deps(), grantId), { approvedBy: approvers });
      const current = won ? 'APPROVED' : ((await ledger.getGrant(grantId))?.status ?? 'APPROVED');
      return { grantId, status: current, approvals: approvers, needed };
    });
  };
}

async function taskToken(deps: Dependencies, grantId: string): Promise<string> {
  const token = await deps.ledger.getTaskToken(grantId);
  if (!token) throw new Error(`grant ${grantId} has no task token in the ledger`);
  return token;
}

export const handler = createDecideHandler();
