/**
 * CloudFormation's custom resource protocol for the removal resource: the
 * function answers CloudFormation itself (a PUT to the presigned ResponseURL),
 * so no extra provider function is deployed. Every outcome is answered, or
 * the stack would wait an hour for a reply.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

export const REMOVAL_PHYSICAL_ID = 'access-key-removal';

/** Secrets whose keys are deleted when they leave the resource (by update or deletion). */
export function secretsToRelease(event: CloudFormationCustomResourceEvent): string[] {
  const secretsOf = (props: Record<string, unknown> | undefined) => (props?.Secrets as string[] | undefined) ?? [];
  switch (event.RequestType) {
    case 'Create': return [];
    case 'Update': {
      const kept = new Set(secretsOf(event.ResourceProperties));
      return secretsOf(event.OldResourceProperties).filter((s) => !kept.has(s));
    }
    case 'Delete': return secretsOf(event.ResourceProperties);
  }
}

export async function respond(event: CloudFormationCustomResourceEvent, status: 'SUCCESS' | 'FAILED', reason: string): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason.slice(0, 3000),
    PhysicalResourceId: REMOVAL_PHYSICAL_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const res = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!res.ok) throw new Error(`CloudFormation did not accept the response: HTTP ${res.status}`);
}
