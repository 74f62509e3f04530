import { disabledVendors } from '../../lifecycle/vendors';
import type { RouteImplementation } from './http';

/** GET /vendors: each vendor as configured, enabled only if both the config and the run-time state say so. */
export const listVendors: RouteImplementation<'listVendors'> = async (deps) => {
  const states = new Map((await deps.ledger.vendorStates()).map((s) => [s.vendorId, s]));
  const disabled = await disabledVendors(deps);
  return {
    vendors: deps.settings.config.vendors.map((v) => {
      const state = states.get(v.id);
      const reason = !v.enabled ? 'disabled in the config' : disabled.has(v.id) ? state?.reason : undefined;
      return {
        vendorId: v.id,
        displayName: v.displayName ?? v.id,
        enabled: v.enabled && !disabled.has(v.id),
        ...(reason ? { disabledReason: reason } : {}),
        maxGrantHours: v.maxGrantHours,
        eligibleTargetGroups: [...v.eligibleTargetGroups],
        ports: v.ports.map((p) => ({ ...p })),
        requireMfa: v.requireMfa,
        sponsors: [...v.sponsors],
      };
    }),
  };
};
