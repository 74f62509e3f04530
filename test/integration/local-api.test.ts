import { signRequest } from '../../lib/cli/signing';
import { verifySignature, type IncomingApiRequest } from '../../scripts/local-aws/local-api';
import { LocalIdentities, type LocalIdentity } from '../../scripts/local-aws/local-identities';
import type { LocalJitAccess } from '../../scripts/local-aws/local-jit-access';
import { PEOPLE } from '../../scripts/local-aws/scenarios';
import { localLifecycle, NO_RESIDUE } from '../helpers/local-lifecycle';
import { scratchDir } from '../helpers/scratch-dir';

const REGION = 'eu-west-1';
const HOST = '127.0.0.1:4010';
/** When the pure checks sign, and what they take as now. */
const SIGNED_AT = new Date('2026-03-02T08:00:00.000Z');
const DANA_ARN =
  'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_JitAccessUsers_0123456789abcdef/dana@example.com';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

interface Signing {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly signedAt?: Date;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

/** What reaches the server instead of what was signed. */
interface Sent {
  readonly path?: string;
  readonly body?: string;
}

/** The headers the CLI sends for a request to `host`, signed as `identity` (or with the keys `signing` gives). */
async function signedHeaders(host: string, identity: LocalIdentity, signing: Signing): Promise<Record<string, string>> {
  const [hostname = '', port] = host.split(':');
  return signRequest(
    {
      method: signing.method,
      protocol: 'http:',
      hostname,
      ...(port ? { port: Number(port) } : {}),
      path: signing.path,
      headers: {
        host,
        accept: 'application/json',
        ...(signing.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(signing.body !== undefined ? { body: signing.body } : {}),
    },
    {
      accessKeyId: signing.accessKeyId ?? identity.accessKeyId,
      secretAccessKey: signing.secretAccessKey ?? identity.secretAccessKey,
    },
    REGION,
    signing.signedAt,
  );
}

/** dana's request for acme, as the CLI sends it: accepted, it would start a workflow. */
const REQUEST = {
  vendorId: 'acme',
  targets: ['group:billing-db'],
  durationMinutes: 60,
  ticket: 'CHG-4711',
  reason: 'Vendor support for the billing database upgrade',
  ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
};
const CREATE_REQUEST: Signing = { method: 'POST', path: '/v1/grants', body: JSON.stringify(REQUEST) };

/** The ways a request can fail SigV4 (each would write, were it accepted), and what API Gateway answers. */
const FORGERIES: ReadonlyArray<{
  readonly name: string;
  readonly signing: (now: Date) => Signing;
  readonly sent?: Sent;
  readonly unsigned?: boolean;
  readonly message: string;
}> = [
  {
    name: 'signed with the wrong secret',
    signing: () => ({ ...CREATE_REQUEST, secretAccessKey: 'not-the-secret-the-server-knows' }),
    message: MISMATCH,
  },
  {
    name: 'whose body was changed after signing',
    signing: () => CREATE_REQUEST,
    sent: { body: JSON.stringify({ ...REQUEST, durationMinutes: 480 }) },
    message: MISMATCH,
  },
  {
    name: 'whose path was changed after signing',
    signing: () => ({ method: 'POST', path: '/v1/grants/g-aaaaaaaaaaaa/approve', body: '{}' }),
    sent: { path: '/v1/grants/g-bbbbbbbbbbbb/approve' },
    message: MISMATCH,
  },
  {
    name: 'signed with an access key the API does not know',
    signing: () => ({ ...CREATE_REQUEST, accessKeyId: 'AKIALOCALUNKNOWN0000' }),
    message: 'The security token included in the request is invalid.',
  },
  {
    name: 'signed 6 minutes ago',
    signing: (now) => ({ ...CREATE_REQUEST, signedAt: new Date(now.getTime() - 6 * 60_000) }),
    message: 'Signature expired: the request was signed more than 5 minutes from now',
  },
  {
    name: 'not signed at all',
    signing: () => CREATE_REQUEST,
    unsigned: true,
    message: 'Missing Authentication Token',
  },
];

describe('verifySignature: SigV4 as API Gateway checks it', () => {
  const identities = new LocalIdentities(scratchDir('jit-identities-'));
  const dana = identities.profile('local-dana', DANA_ARN);

  /** The request as the server reads it off the wire: what was signed at SIGNED_AT, or what was sent instead. */
  async function incoming(signing: Signing, sent: Sent = {}, unsigned = false): Promise<IncomingApiRequest> {
    const headers = unsigned ? { host: HOST } : await signedHeaders(HOST, dana, { signedAt: SIGNED_AT, ...signing });
    return {
      method: signing.method,
      host: HOST,
      url: sent.path ?? signing.path,
      headers,
      body: sent.body ?? signing.body ?? '',
    };
  }

  it('accepts a correctly signed request as the identity whose key signed it', async () => {
    // Prepare
    const request = await incoming(CREATE_REQUEST);

    // Act
    const check = await verifySignature(request, identities, SIGNED_AT);

    // Assess
    expect(check).toEqual({ ok: true, identity: dana });
  });

  test.each(FORGERIES)('refuses a request $name: "$message"', async ({ signing, sent, unsigned, message }) => {
    // Prepare
    const request = await incoming(signing(SIGNED_AT), sent, unsigned);

    // Act
    const check = await verifySignature(request, identities, SIGNED_AT);

    // Assess
    expect(check).toEqual({ ok: false, message });
  });
});

describe('the local API over HTTP', () => {
  // Every test creates nothing, or ends proving that nothing of its request is left in the world: they share one.
  const lifecycle = localLifecycle({ sharedWorld: true });

  /** Sends what `signing` signed (or, with `sent`, something else) to the world's API, as the CLI's fetch would. */
  async function send(
    local: LocalJitAccess,
    identity: LocalIdentity,
    signing: Signing,
    sent: Sent = {},
    unsigned = false,
  ): Promise<{ status: number; body: unknown }> {
    const api = new URL((await local.startApi()).url);
    const { host: _host, ...headers } = unsigned ? {} : await signedHeaders(api.host, identity, signing);
    const body = sent.body ?? signing.body;
    const response = await fetch(`${api.origin}${sent.path ?? signing.path}`, {
      method: signing.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  /** A forgery the API wrongly accepted is cancelled at once, so that its workflow does not outlive the test. */
  async function cancelIfAccepted(local: LocalJitAccess, answer: { status: number; body: unknown }): Promise<void> {
    const { grantId } = answer.body as { grantId?: string };
    if (answer.status !== 202 || !grantId) return;
    await local.untilAwaitingApproval(grantId);
    await local.revoke(grantId, 'a forged request', PEOPLE.admin);
  }

  async function dana(local: LocalJitAccess): Promise<LocalIdentity> {
    const identity = (await local.startApi()).people[PEOPLE.sponsor];
    if (!identity) throw new Error('the local API has no profile for dana');
    return identity;
  }

  it('a correctly signed request reaches the handler as the signed person, and is carried out', async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const answer = await send(local, await dana(local), CREATE_REQUEST);

    // Assess
    expect(answer).toEqual({ status: 202, body: expect.objectContaining({ status: 'REQUESTED', vendorId: 'acme' }) });
    const { grantId } = answer.body as { grantId: string };
    expect(local.timeline.map((e) => [e.actor, e.step])).toEqual([[PEOPLE.sponsor, 'request']]);
    expect([...local.executions.keys()]).toEqual([grantId]);
    await local.untilAwaitingApproval(grantId);
    expect(await local.deps.ledger.getGrant(grantId)).toMatchObject({
      request: { requester: { person: PEOPLE.sponsor, arn: DANA_ARN } },
    });
    await local.revoke(grantId, 'done with the example', PEOPLE.admin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  test.each(FORGERIES)(
    'a request $name is refused 403 "$message" before any handler runs, and nothing is written',
    async ({ signing, sent, unsigned, message }) => {
      // Prepare
      const local = await lifecycle.start();
      const identity = await dana(local);

      // Act
      const answer = await send(local, identity, signing(new Date()), sent, unsigned);
      await cancelIfAccepted(local, answer);

      // Assess
      expect(answer).toEqual({ status: 403, body: { message } });
      expect(local.timeline).toEqual([]);
      expect(local.http.calls).toEqual([]);
      expect(local.executions.size).toBe(0);
    },
  );

  it("a caller from another account is refused 403 by the API's resource policy, before any handler runs", async () => {
    // Prepare
    const local = await lifecycle.start();
    const mallory = await local.profileFor('local-mallory', 'arn:aws:iam::444455556666:user/mallory');

    // Act
    const answer = await send(local, mallory, CREATE_REQUEST);

    // Assess
    expect(answer).toEqual({
      status: 403,
      body: {
        message:
          'User: arn:aws:iam::444455556666:user/mallory is not authorized to perform: execute-api:Invoke on resource: POST /v1/grants with an explicit deny',
      },
    });
    expect(local.timeline).toEqual([]);
    expect(local.executions.size).toBe(0);
  });

  it('an identity of the account that the config does not name is refused 403 NOT_A_PERSON by the handler', async () => {
    // Prepare
    const local = await lifecycle.start();
    const mallory = await local.profileFor('local-mallory', 'arn:aws:iam::111122223333:user/mallory');

    // Act
    const answer = await send(local, mallory, CREATE_REQUEST);

    // Assess
    expect(answer).toEqual({
      status: 403,
      body: {
        error: { code: 'NOT_A_PERSON', message: expect.stringContaining('arn:aws:iam::111122223333:user/mallory') },
      },
    });
    expect(local.timeline.map((e) => [e.actor, e.step])).toEqual([['mallory', 'request']]);
    expect(local.executions.size).toBe(0);
  });

  // BUG (scripts/local-aws): the AWS SDK reads a credentials file once per process, so a profile that profileFor
  // writes after the process's first CLI run is never found: the CLI fails with NO_CREDENTIALS.
  it('the CLI signs with a profile that profileFor made after an earlier CLI run', async () => {
    // Prepare
    const local = await lifecycle.start();
    await local.cliOk(PEOPLE.sponsor, ['whoami']);
    await local.profileFor('local-mallory', 'arn:aws:iam::111122223333:user/mallory');

    // Act
    const run = await local.cli('mallory', ['whoami']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ error: { code: 'NOT_A_PERSON' } });
  });

  it('a body that names a person is refused 400 IDENTITY_IN_BODY, whoever it names, and no request is made', async () => {
    // Prepare
    const local = await lifecycle.start();
    const body = JSON.stringify({ ...REQUEST, requester: PEOPLE.approvers[0] });

    // Act
    const answer = await send(local, await dana(local), { method: 'POST', path: '/v1/grants', body });

    // Assess
    expect(answer).toEqual({
      status: 400,
      body: {
        error: {
          code: 'IDENTITY_IN_BODY',
          field: 'requester',
          message: 'names a person: who you are comes from your signed request, never from the body; remove the field',
        },
      },
    });
    expect(local.executions.size).toBe(0);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});
