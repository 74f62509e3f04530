import { NotFoundError, ValidationError } from '../domain/errors';
import type { Caller } from '../domain/identity';
import { LOCKOUT_ACTOR } from '../domain/lockout';
import type { Dependencies } from '../shared/dependencies';
import { teardownGrant } from './teardown';

/** Vendors disabled at run time by an admin (or by an overdue break-glass review), from the ledger. */
export async function disabledVendors(deps: Dependencies): Promise<Set<string>> {
  return new Set((await deps.ledger.vendorStates()).filter((s) => s.disabled).map((s) => s.vendorId));
}

export interface VendorChange {
  readonly vendorId: string;
  readonly enabled: boolean;
  /** Grants ended because the vendor was disabled. */
  readonly revokedGrants: readonly string[];
}

/**
 * Disables a vendor: no new request is accepted, no approved one is granted, and every live grant is revoked now.
 * Safe to run twice: the second run finds no live grant left. `actor` is the admin, or the system when a break-glass
 * review is overdue.
 */
export async function disableVendor(
  deps: Dependencies,
  vendorId: string,
  actor: Caller | string,
  reason: string,
): Promise<VendorChange> {
  configuredVendor(deps, vendorId);
  // Run twice, the first reason and actor stand and nobody is told again; live grants are still looked for.
  const alreadyDisabled = (await disabledVendors(deps)).has(vendorId);
  if (!alreadyDisabled) {
    await deps.ledger.setVendorState({
      vendorId,
      disabled: true,
      reason,
      actor: typeof actor === 'string' ? actor : actor.person,
      at: deps.clock().toISOString(),
    });
  }
  const revokedGrants: string[] = [];
  for (const status of ['ACTIVE', 'GRANTING'] as const) {
    for (const grant of await deps.ledger.grantsByStatus(status)) {
      if (grant.request.vendorId !== vendorId) continue;
      const result = await teardownGrant(deps, grant.grantId, 'vendor-disabled', actor);
      if (result.changed) revokedGrants.push(grant.grantId);
    }
  }
  if (alreadyDisabled && revokedGrants.length === 0) return { vendorId, enabled: false, revokedGrants };
  await deps.notifier.publish(
    `jit-access: vendor ${vendorId} disabled`,
    `Vendor ${vendorId} was disabled by ${typeof actor === 'string' ? actor : actor.person}. Reason: ${JSON.stringify(reason)}\nGrants revoked: ${revokedGrants.join(', ') || 'none'}`,
  );
  return { vendorId, enabled: false, revokedGrants };
}

/** Enables a vendor an admin disabled; a vendor disabled in the config stays disabled until the config changes. */
export async function enableVendor(
  deps: Dependencies,
  vendorId: string,
  actor: Caller,
  reason: string,
): Promise<VendorChange> {
  const vendor = configuredVendor(deps, vendorId);
  if (!vendor.enabled) {
    throw new ValidationError(
      'vendorId',
      'DISABLED_IN_CONFIG',
      `vendor "${vendorId}" is disabled in the config ("enabled": false): change cdk.json and deploy to enable it`,
    );
  }
  const state = await currentState(deps, vendorId);
  // Run twice (or for a vendor nobody disabled), nothing is written and nobody is told.
  if (!state?.disabled) return { vendorId, enabled: true, revokedGrants: [] };
  if (state.actor === LOCKOUT_ACTOR) {
    throw new ValidationError(
      'vendorId',
      'LOCKED_OUT',
      `vendor "${vendorId}" is locked out after denied attempts (${state.reason}): look into them, then run "jit-access vendor unlock ${vendorId} --reason ..."`,
    );
  }
  await deps.ledger.setVendorState({
    vendorId,
    disabled: false,
    reason,
    actor: actor.person,
    at: deps.clock().toISOString(),
  });
  await deps.notifier.publish(
    `jit-access: vendor ${vendorId} enabled`,
    `Vendor ${vendorId} was enabled by ${actor.person}. Reason: ${JSON.stringify(reason)}`,
  );
  return { vendorId, enabled: true, revokedGrants: [] };
}

/**
 * Unlocks a vendor the lockout locked: requests are accepted again and denied attempts are counted afresh from now.
 * The admin and the reason are recorded in the vendor's history. Run twice, the second run finds the vendor unlocked
 * and writes nothing; a vendor an admin disabled (not the lockout) is refused: `enableVendor` undoes that.
 */
export async function unlockVendor(
  deps: Dependencies,
  vendorId: string,
  actor: Caller,
  reason: string,
): Promise<VendorChange> {
  configuredVendor(deps, vendorId);
  const state = await currentState(deps, vendorId);
  if (!state?.disabled) return { vendorId, enabled: true, revokedGrants: [] };
  if (state.actor !== LOCKOUT_ACTOR) {
    throw new ValidationError(
      'vendorId',
      'NOT_LOCKED_OUT',
      `vendor "${vendorId}" was disabled by ${state.actor}, not locked out: run "jit-access vendor enable ${vendorId} --reason ..." instead`,
    );
  }
  await deps.ledger.setVendorState({
    vendorId,
    disabled: false,
    reason: `unlocked: ${reason}`,
    actor: actor.person,
    at: deps.clock().toISOString(),
  });
  await deps.notifier.publish(
    `jit-access: vendor ${vendorId} unlocked`,
    `Vendor ${vendorId} was unlocked by ${actor.person} after a lockout (${state.reason}). Reason: ${JSON.stringify(reason)}\nDenied attempts are counted afresh from now.`,
  );
  return { vendorId, enabled: true, revokedGrants: [] };
}

async function currentState(deps: Dependencies, vendorId: string) {
  return (await deps.ledger.vendorStates()).find((s) => s.vendorId === vendorId);
}

function configuredVendor(deps: Dependencies, vendorId: string) {
  const vendor = deps.settings.config.vendors.find((v) => v.id === vendorId);
  if (!vendor) {
    throw new NotFoundError(
      'vendorId',
      `"${vendorId}" is not a configured vendor: use one of ${deps.settings.config.vendors.map((v) => v.id).join(', ')}`,
    );
  }
  return vendor;
}
