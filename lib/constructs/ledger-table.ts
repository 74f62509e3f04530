import { Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CustomerManagedKey } from './customer-managed-key';
import { stackResourceName } from './naming';

/** Name of the index the sweeper queries: grants by status, ordered by expiry. */
export const BY_STATUS_INDEX = 'byStatus';

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
/** Every data-plane write, PartiQL included; table management stays open to CloudFormation. */
const DATA_WRITE_ACTIONS = [
  ...WRITE_ACTIONS,
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];

/**
 * The grant ledger: each grant's request, votes, created resources, state changes and residue check.
 * Evidence, so it keeps point-in-time recovery, deletion protection and its own KMS key, and is never deleted with the stack.
 * It takes no props: each of those settings is a control, not a preference.
 */
export class LedgerTable extends Construct {
  public readonly table: dynamodb.Table;
  public readonly key: CustomerManagedKey;
  private readonly writers: iam.IRole[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new CustomerManagedKey(this, 'Key', { description: 'jit-access grant ledger (DynamoDB)' });
    const tableName = stackResourceName(this, 'ledger');
    this.table = new dynamodb.Table(this, 'Table', {
      tableName,
      // The ledger is the evidence: even a principal whose IAM policies allow writing it (an administrator) is
      // refused, and only the roles given grantReadWrite below may write. Only data writes: CloudFormation still
      // manages the table.
      resourcePolicy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'OnlyTheStackWritersWriteTheLedger',
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: DATA_WRITE_ACTIONS,
            // Named from the table name: the table's own ARN attribute cannot appear in its own properties.
            resources: [Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName })],
            conditions: {
              ArnNotEquals: {
                'aws:PrincipalArn': Lazy.list({ produce: () => [...new Set(this.writers)].map((r) => r.roleArn) }),
              },
            },
          }),
        ],
      }),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.table).acknowledge({
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason:
        'Point-in-time recovery restores the ledger to any second of the last 35 days, deletion protection and RETAIN keep the table, and grant items are never deleted (no TTL); an AWS Backup plan (vault, retention, copies) is an account decision, usually assigned by tag through AWS Organizations backup policies.',
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BY_STATUS_INDEX,
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'expiresAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** Item reads on the table and its byStatus index, named exactly (no `index/*` wildcard). */
  public grantRead(grantee: iam.IGrantable): void {
    this.addStatements(grantee, READ_ACTIONS, ['kms:Decrypt', 'kms:DescribeKey']);
  }

  /**
   * Item reads and writes (conditional writes included); no table management. The role is also the only kind of
   * principal the table's resource policy lets write.
   */
  public grantReadWrite(grantee: iam.IRole): void {
    this.writers.push(grantee);
    this.addStatements(
      grantee,
      [...READ_ACTIONS, ...WRITE_ACTIONS],
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
    );
  }

  private addStatements(grantee: iam.IGrantable, tableActions: string[], keyActions: string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: tableActions,
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${BY_STATUS_INDEX}`],
    });
    iam.Grant.addToPrincipal({ grantee, actions: keyActions, resourceArns: [this.key.key.keyArn] });
  }
}
