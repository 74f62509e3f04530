import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { jitMetric } from './jit-metrics';
import { stackResourceName } from './naming';

export interface OperationsDashboardProps {
  /** How often the sweeper runs: the period of the gauges it reports (live grants). */
  readonly sweeperRate: Duration;
  /** Dead-letter queues whose depth is shown (expiry schedules, lockout rules). */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Alarms whose state is shown at the top. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

const WIDTH = 8;
const HEIGHT = 6;

/** One dashboard with what an owner checks first: live grants, the request flow, teardown, the sweeper, alarms. */
export class OperationsDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const hourly = (name: string) => jitMetric(name, { period: Duration.hours(1) });
    const counts = (label: string, metrics: readonly (string | cloudwatch.IMetric)[]) =>
      new cloudwatch.GraphWidget({
        title: label,
        width: WIDTH,
        height: HEIGHT,
        left: metrics.map((metric) => (typeof metric === 'string' ? hourly(metric) : metric)),
      });

    this.dashboardName = stackResourceName(this, 'operations');
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Active grants (as the sweeper found them)',
        width: WIDTH,
        height: HEIGHT,
        left: [jitMetric('ActiveGrants', { statistic: cloudwatch.Stats.MAXIMUM, period: props.sweeperRate })],
      }),
      counts('Requests, approvals, denials (per hour)', [
        'GrantsRequested',
        'GrantsApproved',
        'GrantsDenied',
        'GrantsIssued',
        'GrantsFailed',
      ]),
      counts('Break-glass use and lockouts (per hour)', [
        'BreakGlassGrants',
        'BreakGlassReviewsOverdue',
        'VendorLockouts',
        'DeniedAttemptsCounted',
      ]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Time from expiry to revoke done (seconds)',
        width: WIDTH,
        height: HEIGHT,
        left: [
          jitMetric('TimeToRevokeSeconds', { statistic: cloudwatch.Stats.MAXIMUM, label: 'maximum' }),
          jitMetric('TimeToRevokeSeconds', { statistic: cloudwatch.Stats.percentile(90), label: 'p90' }),
        ],
      }),
      counts('Revoke failures (per hour)', ['RevokesIncomplete', 'OsAccountLocksFailed', 'SweeperItemFailures']),
      counts('Sweeper findings (per hour)', [
        'SweeperExpiredGrants',
        'SweeperOrphansFound',
        'SweeperStrandedGrants',
        'UndeliveredDecisions',
        // Reported by every run while the rule is there: the most one run saw, not the sum of the runs.
        jitMetric('UnheldIngressRules', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) }),
      ]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth (messages)',
        width: WIDTH,
        height: HEIGHT,
        left: Object.entries(props.deadLetterQueues).map(([label, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, label }),
        ),
      }),
    );
  }
}
