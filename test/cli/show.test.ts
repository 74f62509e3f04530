import { describeGrant } from '../../lib/cli/show';
import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import {
  BILLING_1,
  BILLING_2,
  createHarness,
  deliverCommandEvents,
  requestInput,
  seedActive,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-show-0001';
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';

type Shown = ResponseOf<'showGrant'>;

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

/** The grant as `show` receives it from the API (the ledger's record; the route only drops the task token). */
async function shown(): Promise<Shown> {
  const grant = await h.ledger.getGrant(GRANT_ID);
  if (!grant) throw new Error(`no grant ${GRANT_ID}`);
  return { grant: grant as unknown as Shown['grant'], votes: [] };
}

describe('show', () => {
  it("lists the vendor's OS user on each instance: the latest unlock or lock, its status and command", async () => {
    // Prepare
    await seedActive(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));
    h.aws.commandFailsOn.add(BILLING_2);
    h.clock.set(EXPIRES_AT);
    await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });
    await deliverCommandEvents(h);

    // Act
    const lines = describeGrant(await shown());

    // Assess
    const from = lines.indexOf('OS user acme-support:');
    expect(lines.slice(from, from + 3)).toEqual([
      'OS user acme-support:',
      `  ${BILLING_1}: lock succeeded at ${EXPIRES_AT} (command cmd-2)`,
      `  ${BILLING_2}: lock failed at ${EXPIRES_AT} (command cmd-2)`,
    ]);
    expect(lines).toContainEqual(expect.stringContaining(`osAccounts: ${BILLING_2}: lock failed (command cmd-2)`));
  });
});
