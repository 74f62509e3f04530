import { Duration, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { UnheldIngressAlarm } from '../../lib/constructs/unheld-ingress-alarm';
import { scratchApp } from '../helpers/scratch-app';
import { exampleStackConfig, functionLogicalId, onlyLogicalId, synthTemplate } from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

const groupId = onlyLogicalId(template, 'AWS::Scheduler::ScheduleGroup');

/** The expiry dead-letter queue (the lockout has its own), by the key that encrypts it. */
function expiryQueueId(): string {
  return onlyLogicalId(template, 'AWS::SQS::Queue', {
    KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ExpiryKey'), 'Arn'] },
  });
}

function schedulerRoleId(): string {
  return onlyLogicalId(template, 'AWS::IAM::Role', {
    AssumeRolePolicyDocument: {
      Statement: [
        Match.objectLike({
          Condition: { StringEquals: Match.objectLike({ 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } }) },
        }),
      ],
    },
  });
}

describe('expiry scheduling', () => {
  test('has a schedule group named after the stack', () => {
    // Assess
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'jit-access-JitAccess' });
  });

  test('the scheduler role trusts only EventBridge Scheduler of this account and this group', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] },
              },
            },
          },
        ],
      },
    });
  });

  test('the scheduler role may invoke the revoke function and no other', () => {
    // Prepare
    const roleId = schedulerRoleId();

    // Act
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    const invokes = Object.values(policies).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).filter((s) =>
        [s.Action].flat().includes('lambda:InvokeFunction'),
      ),
    );

    // Assess
    expect(invokes).toEqual([
      expect.objectContaining({ Resource: { 'Fn::GetAtt': [functionLogicalId(template, 'revoke'), 'Arn'] } }),
    ]);
  });

  test('failed invocations go to a KMS-encrypted, TLS-only dead-letter queue', () => {
    // Prepare
    const queueId = expiryQueueId();

    // Assess
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('a single message in the dead-letter queue raises an alarm to the notification topic', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: [{ Ref: onlyLogicalId(template, 'AWS::SNS::Topic') }],
    });
  });

  test.each(['RevokesIncomplete', 'SweeperItemFailures'])(
    'a single %s reported by the Lambdas raises an alarm to the notification topic',
    (metricName) => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'JitAccess',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'jit-access' }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmActions: [{ Ref: onlyLogicalId(template, 'AWS::SNS::Topic') }],
      });
    },
  );

  test('an ingress rule no live grant holds, as the sweeper reports it each run, raises an alarm to the topic', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'JitAccess',
      MetricName: 'UnheldIngressRules',
      Dimensions: [{ Name: 'service', Value: 'jit-access' }],
      Statistic: 'Maximum',
      Period: config.sweeperRateMinutes * 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'ignore',
      AlarmActions: [{ Ref: onlyLogicalId(template, 'AWS::SNS::Topic') }],
    });
  });

  test('the unheld ingress alarm refuses a sweeper rate that is not whole minutes, naming the field', () => {
    // Prepare
    const stack = new Stack(scratchApp(), 'AlarmOnly');
    const alarmTopic = new sns.Topic(stack, 'Topic');

    // Act
    const build = () => new UnheldIngressAlarm(stack, 'Unheld', { alarmTopic, sweeperRate: Duration.seconds(90) });

    // Assess
    expect(build).toThrow('sweeperRate must be a whole number of minutes from 1 to 60 (sweeperRateMinutes)');
  });

  test('the sweeper runs at the configured rate and dead-letters its failures', () => {
    // Assess
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: `rate(${config.sweeperRateMinutes} minutes)`,
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [functionLogicalId(template, 'sweeper'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expiryQueueId(), 'Arn'] } },
      }),
    });
  });
});

describe('JIT ingress security groups', () => {
  test('there is one per target group, in its VPC', () => {
    // Assess
    template.resourceCountIs('AWS::EC2::SecurityGroup', config.targetGroups.length);
    for (const group of config.targetGroups) {
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        VpcId: group.vpcId,
        GroupDescription: `jit-access temporary vendor ingress for ${group.name}; empty at rest`,
      });
    }
  });

  test('they hold no ingress rule at rest and allow no real egress', () => {
    // Act
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup'));

    // Assess
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    for (const group of groups) {
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
      expect(group.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
      ]);
    }
  });
});

describe('JIT ingress security groups with an existing group configured', () => {
  test('the existing group is used and none is created for that target group', () => {
    // Prepare
    const [first, ...rest] = config.targetGroups;
    const existing = { ...config, targetGroups: [{ ...first!, securityGroupId: 'sg-0123456789abcdef0' }, ...rest] };

    // Act
    const withExisting = synthTemplate(existing);

    // Assess
    withExisting.resourceCountIs('AWS::EC2::SecurityGroup', rest.length);
    withExisting.hasOutput('JitSecurityGroupBillingDb', { Value: 'sg-0123456789abcdef0' });
  });
});
