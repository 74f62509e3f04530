import { actorName, historyEntry } from '../../lambdas/domain/history';
import { BOB } from '../helpers/handler-deps';

const AT = '2030-03-01T09:00:00.000Z';

describe('historyEntry', () => {
  test("records a person's entry under their name with the ARN they signed with", () => {
    // Prepare
    const actor = BOB;

    // Act
    const entry = historyEntry(AT, actor, 'approved', 'looks right');

    // Assess
    expect(entry).toEqual({
      at: AT,
      actor: 'bob',
      actorArn: 'arn:aws:iam::111122223333:user/bob',
      event: 'approved',
      detail: 'looks right',
    });
  });

  test('records an entry of the system under the part that acted, with no ARN', () => {
    // Prepare
    const actor = 'sweeper';

    // Act
    const entry = historyEntry(AT, actor, 'revoked');

    // Assess
    expect(entry).toEqual({ at: AT, actor: 'sweeper', event: 'revoked' });
  });

  test('leaves out an empty detail', () => {
    // Prepare
    const detail = '';

    // Act
    const entry = historyEntry(AT, 'workflow', 'expired', detail);

    // Assess
    expect(entry).not.toHaveProperty('detail');
  });
});

describe('actorName', () => {
  test("names a person by the person's name, not the ARN", () => {
    // Prepare
    const actor = BOB;

    // Act
    const name = actorName(actor);

    // Assess
    expect(name).toBe('bob');
  });

  test('names a part of the system by itself', () => {
    // Prepare
    const actor = 'expiry-schedule';

    // Act
    const name = actorName(actor);

    // Assess
    expect(name).toBe('expiry-schedule');
  });
});
