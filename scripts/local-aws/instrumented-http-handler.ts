import { HttpResponse, type HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';
import { Readable } from 'node:stream';

/** One AWS API call as it went over the wire: `iam:CreateRole`, `dynamodb:PutItem`, `scheduler:CreateSchedule`. */
export type AwsCallName = `${string}:${string}`;

export type FaultKind = 'transient' | 'permanent';

interface ArmedFault {
  readonly call: AwsCallName;
  readonly kind: FaultKind;
}

const SCHEDULER_ROUTES: Readonly<Record<string, string>> = {
  'POST /schedules/': 'CreateSchedule',
  'GET /schedules/': 'GetSchedule',
  'DELETE /schedules/': 'DeleteSchedule',
  'PUT /schedules/': 'UpdateSchedule',
  'GET /schedules': 'ListSchedules',
  'POST /schedule-groups/': 'CreateScheduleGroup',
};

/** The call's name from the request: the signing service, and the operation from the protocol in use. */
export function callNameOf(request: HttpRequest): AwsCallName {
  const authorization = request.headers.authorization ?? request.headers.Authorization ?? '';
  const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? 'unknown';
  const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
  if (target) return `${service}:${target.split('.').pop()}`;
  const body = typeof request.body === 'string' ? request.body : '';
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  if (action) return `${service}:${action}`;
  const path = request.path.replace(/^(\/[a-z-]+\/).+$/, '$1');
  return `${service}:${SCHEDULER_ROUTES[`${request.method} ${path}`] ?? `${request.method} ${path}`}`;
}

/**
 * The local runs' window on the wire: counts every AWS call by name, and injects faults under the SDK's retry logic.
 * A transient fault answers one call with HTTP 503 (the SDK retries it and succeeds); a permanent one answers every
 * call of that name with HTTP 403 until cleared, as a missing permission would.
 */
export class InstrumentedHttpHandler extends NodeHttpHandler {
  readonly calls: AwsCallName[] = [];
  /** The index in `calls` of each call a permanent fault failed. */
  readonly failedAt: number[] = [];
  private faults: ArmedFault[] = [];
  private interceptors: Array<{ call: AwsCallName; run: () => Promise<void> }> = [];

  arm(call: AwsCallName, kind: FaultKind): void {
    this.faults.push({ call, kind });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Runs `work` once, just before the next call of that name goes out: the way to interleave two handlers. */
  beforeNext(call: AwsCallName, work: () => Promise<void>): void {
    this.interceptors.push({ call, run: work });
  }

  /**
   * For the calls the in-memory SSM double answers off the wire: counts the call and applies an armed fault as
   * `handle` does. A transient fault fails the first attempt and the retry (counted too) succeeds, as the SDK's
   * would; a permanent one rejects the call as AccessDenied.
   */
  recordOffWire(call: AwsCallName): void {
    this.calls.push(call);
    const fault = this.faults.find((f) => f.call === call);
    if (!fault) return;
    if (fault.kind === 'transient') {
      this.faults.splice(this.faults.indexOf(fault), 1);
      this.calls.push(call);
      return;
    }
    this.failedAt.push(this.calls.length - 1);
    const denied = new Error(`${call} failed: permanent fault injected by the local run`);
    denied.name = 'AccessDeniedException';
    throw denied;
  }

  override async handle(request: HttpRequest, options?: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    const call = callNameOf(request);
    const interceptor = this.interceptors.find((i) => i.call === call);
    if (interceptor) {
      this.interceptors.splice(this.interceptors.indexOf(interceptor), 1);
      await interceptor.run();
    }
    this.calls.push(call);
    const fault = this.faults.find((f) => f.call === call);
    if (fault) {
      if (fault.kind === 'transient') this.faults.splice(this.faults.indexOf(fault), 1);
      else this.failedAt.push(this.calls.length - 1);
      const statusCode = fault.kind === 'transient' ? 503 : 403;
      return { response: new HttpResponse({ statusCode, headers: {}, body: Readable.from([]) }) };
    }
    return super.handle(request, options);
  }
}
