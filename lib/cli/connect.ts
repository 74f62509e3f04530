import type { Command } from 'commander';
import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import type { CliContext } from './context';
import { CliError, EXIT } from './errors';

type Grant = ResponseOf<'showGrant'>['grant'];

interface Connection {
  readonly grantId: string;
  readonly roleArn: string;
  readonly externalId: string;
  readonly requiresMfa: boolean;
  readonly sourceCidrs: readonly string[];
  readonly region: string;
  readonly documentName: string;
  readonly targets: readonly string[];
  readonly expiresAt: string;
  readonly commands: { readonly assumeRole: string; readonly startSession: readonly string[] };
  readonly profile: string;
}

function conditionValue(grant: Grant, operator: string, key: string): string | readonly string[] | undefined {
  const [trust] = grant.plan.role.trustPolicy.Statement;
  return trust?.Condition?.[operator]?.[key];
}

/** The vendor's side of an active grant: what to assume, with which external id, and which document to open. */
export function connection(grant: Grant, options: { sourceProfile: string; profileName?: string }): Connection {
  const roleArn = grant.created.roleArn;
  if (grant.status !== 'ACTIVE' || !roleArn) {
    throw new CliError(
      EXIT.refused,
      [`${grant.grantId} is ${grant.status}: a vendor can connect only while it is ACTIVE`],
      {
        code: 'NOT_ACTIVE',
        message: `the grant is ${grant.status}`,
      },
    );
  }
  const documentArn = grant.plan.role.inlinePolicy.Statement.find(
    (s) => s.Sid === 'StartSessionWithRecordedDocumentOnly',
  )?.Resource as string;
  const [, , , region = 'us-east-1'] = documentArn.split(':');
  const documentName = documentArn.slice(documentArn.indexOf(':document/') + ':document/'.length);
  const externalId = String(conditionValue(grant, 'StringEquals', 'sts:ExternalId') ?? '<external id>');
  const requiresMfa = conditionValue(grant, 'Bool', 'aws:MultiFactorAuthPresent') === 'true';
  const cidrs = conditionValue(grant, 'IpAddress', 'aws:SourceIp') ?? [];
  const targets = grant.targets.flatMap((t) =>
    t.kind === 'instances' ? t.instanceIds : [`<any instance tagged ${t.tagKey}=${t.tagValue}>`],
  );
  const profileName = options.profileName ?? `jit-${grant.grantId}`;
  const mfa = requiresMfa ? ' --serial-number <your MFA device ARN> --token-code <code>' : '';
  return {
    grantId: grant.grantId,
    roleArn,
    externalId,
    requiresMfa,
    sourceCidrs: Array.isArray(cidrs) ? cidrs : [String(cidrs)],
    region,
    documentName,
    targets,
    expiresAt: grant.plan.window.expiresAt,
    commands: {
      assumeRole: `aws sts assume-role --role-arn ${roleArn} --role-session-name <your-name> --external-id ${externalId}${mfa} --profile ${options.sourceProfile}`,
      startSession: targets.map(
        (target) =>
          `aws ssm start-session --target ${target} --document-name ${documentName} --region ${region} --profile ${profileName}`,
      ),
    },
    profile: [
      `[profile ${profileName}]`,
      `role_arn = ${roleArn}`,
      `source_profile = ${options.sourceProfile}`,
      `external_id = ${externalId}`,
      ...(requiresMfa ? ['mfa_serial = <your MFA device ARN>'] : []),
      `region = ${region}`,
    ].join('\n'),
  };
}

/** `connect`: the vendor's exact commands, or a ready ~/.aws/config profile. */
export function registerConnect(program: Command, context: () => CliContext): void {
  program
    .command('connect')
    .description("the vendor's exact assume-role and start-session commands, and a ready ~/.aws/config profile")
    .argument('<grant-id>', 'an active grant')
    .option('--source-profile <name>', "the vendor's own AWS profile", 'vendor')
    .option('--profile-name <name>', 'the name of the profile to write (default: jit-<grant-id>)')
    .action(async (grantId: string, options: { sourceProfile: string; profileName?: string }) => {
      const ctx = context();
      const { grant } = await (await ctx.api()).call('showGrant', { params: { grantId } });
      const c = connection(grant, options);
      if (ctx.options.json) {
        ctx.json(c);
        return;
      }
      ctx.say(
        `# ${grantId} is active until ${c.expiresAt}; connect from ${c.sourceCidrs.join(', ')}${c.requiresMfa ? ', with MFA' : ''}.`,
      );
      ctx.say('# The vendor engineer, from their own AWS account:');
      ctx.say(c.commands.assumeRole);
      ctx.say('# or add this profile to ~/.aws/config and use --profile on the session command:');
      ctx.say(c.profile);
      ctx.say('# then (every session is recorded):');
      for (const command of c.commands.startSession) ctx.say(command);
    });
}
