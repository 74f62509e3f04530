import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudTrailLookup } from '../../lambdas/adapters/cloudtrail';

const cloudTrail = mockClient(CloudTrailClient);
afterEach(() => cloudTrail.reset());
afterAll(() => cloudTrail.restore());

const event = (n: number) => ({
  EventId: `e-${n}`,
  EventName: 'StartSession',
  EventSource: 'ssm.amazonaws.com',
  EventTime: new Date(Date.UTC(2030, 2, 1, 9, n)),
  Username: 'vendor-engineer',
  Resources: [{ ResourceType: 'AWS::IAM::Role', ResourceName: 'jit-g-1' }],
  CloudTrailEvent: `{"eventID":"e-${n}"}`,
});

describe('the CloudTrail adapter (LookupEvents)', () => {
  it('looks up by the attribute within the window and follows the pages', async () => {
    // Prepare
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [event(1), event(2)], NextToken: 'page-2' })
      .resolvesOnce({ Events: [event(3)] });
    const adapter = new CloudTrailLookup({ region: 'eu-west-1', maxAttempts: 1 });

    // Act
    const result = await adapter.lookup(
      { key: 'ResourceName', value: 'jit-g-1' },
      '2030-03-01T09:00:00.000Z',
      '2030-03-01T10:00:00.000Z',
      100,
    );

    // Assess
    const calls = cloudTrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input as LookupEventsCommandInput);
    expect(calls).toEqual([
      expect.objectContaining({
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'jit-g-1' }],
        StartTime: new Date('2030-03-01T09:00:00.000Z'),
        EndTime: new Date('2030-03-01T10:00:00.000Z'),
        MaxResults: 50,
        NextToken: undefined,
      }),
      expect.objectContaining({ NextToken: 'page-2' }),
    ]);
    expect(result.truncated).toBe(false);
    expect(result.events.map((e) => e.eventId)).toEqual(['e-1', 'e-2', 'e-3']);
    expect(result.events[0]).toEqual({
      eventId: 'e-1',
      eventTime: '2030-03-01T09:01:00.000Z',
      eventSource: 'ssm.amazonaws.com',
      eventName: 'StartSession',
      username: 'vendor-engineer',
      resources: [{ type: 'AWS::IAM::Role', name: 'jit-g-1' }],
      cloudTrailEvent: '{"eventID":"e-1"}',
    });
  });

  it('stops at the most events it may read and says more matched', async () => {
    // Prepare
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [event(1), event(2)], NextToken: 'more' });
    const adapter = new CloudTrailLookup({ region: 'eu-west-1', maxAttempts: 1 });

    // Act
    const result = await adapter.lookup(
      { key: 'Username', value: 'vendor-engineer' },
      '2030-03-01T09:00:00.000Z',
      '2030-03-01T10:00:00.000Z',
      3,
    );

    // Assess
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(2);
    expect(result.events).toHaveLength(3);
    expect(result.truncated).toBe(true);
  });

  it('reads an event CloudTrail answers without its fields as empty ones, and leaves out the user it does not name', async () => {
    // Prepare
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({ NextToken: 'page-2' })
      .resolvesOnce({
        Events: [{ Resources: [{}, { ResourceType: 'AWS::EC2::Instance' }, { ResourceName: 'i-1' }] }, {}],
      });
    const adapter = new CloudTrailLookup({ region: 'eu-west-1', maxAttempts: 1 });

    // Act
    const result = await adapter.lookup(
      { key: 'ResourceName', value: 'jit-g-1' },
      '2030-03-01T09:00:00.000Z',
      '2030-03-01T10:00:00.000Z',
      100,
    );

    // Assess
    expect(result).toStrictEqual({
      events: [
        {
          eventId: '',
          eventTime: '1970-01-01T00:00:00.000Z',
          eventSource: '',
          eventName: '',
          resources: [{}, { type: 'AWS::EC2::Instance' }, { name: 'i-1' }],
          cloudTrailEvent: '',
        },
        {
          eventId: '',
          eventTime: '1970-01-01T00:00:00.000Z',
          eventSource: '',
          eventName: '',
          resources: [],
          cloudTrailEvent: '',
        },
      ],
      truncated: false,
    });
  });

  it('says more matched when the last page held more events than it may read', async () => {
    // Prepare
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [event(1), event(2), event(3)] });
    const adapter = new CloudTrailLookup({ region: 'eu-west-1', maxAttempts: 1 });

    // Act
    const result = await adapter.lookup(
      { key: 'Username', value: 'vendor-engineer' },
      '2030-03-01T09:00:00.000Z',
      '2030-03-01T10:00:00.000Z',
      2,
    );

    // Assess
    expect(result.events.map((e) => e.eventId)).toEqual(['e-1', 'e-2']);
    expect(result.truncated).toBe(true);
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });

  it('reads exactly as many events as it may without saying more matched', async () => {
    // Prepare
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [event(1), event(2)] });
    const adapter = new CloudTrailLookup({ region: 'eu-west-1', maxAttempts: 1 });

    // Act
    const result = await adapter.lookup(
      { key: 'Username', value: 'vendor-engineer' },
      '2030-03-01T09:00:00.000Z',
      '2030-03-01T10:00:00.000Z',
      2,
    );

    // Assess
    expect(result.events.map((e) => e.eventId)).toEqual(['e-1', 'e-2']);
    expect(result.truncated).toBe(false);
  });

  it('stops at a page that brings it to exactly the most events it may read, and says more may match', async () => {
    // Prepare
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [event(1), event(2)], NextToken: 'page-2' })
      .resolvesOnce({ Events: [] });
    const adapter = new CloudTrailLookup({ region: 'eu-west-1', maxAttempts: 1 });

    // Act
    const result = await adapter.lookup(
      { key: 'Username', value: 'vendor-engineer' },
      '2030-03-01T09:00:00.000Z',
      '2030-03-01T10:00:00.000Z',
      2,
    );

    // Assess
    expect(result.events.map((e) => e.eventId)).toEqual(['e-1', 'e-2']);
    expect(result.truncated).toBe(true);
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });
});
