/**
 * Rules on the library's audit events, for the rotator (all its keys) and for
 * one key (its secret). Internal: the constructs' onAccessKeyEvent methods use it.
 */
import { Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { AccessKeyEvents } from './access-key-events';
import type { AccessKeyEventRuleOptions } from './access-key-rotator';
import { member } from './member-names';

/**
 * A rule on the library's events on a rotator's bus (undefined: the default
 * bus), optionally only those about some secrets (an event names its secret
 * as its resource).
 */
export function accessKeyEventRule(
  scope: Construct, id: string, eventBus: events.IEventBus | undefined, options: AccessKeyEventRuleOptions, secretArns?: string[],
): events.Rule {
  const types = options.eventTypes ?? AccessKeyEvents.ALL;
  if (types.length === 0) throw new Error(`${member('eventTypes')} must name at least one event type; leave it out for every event`);
  for (const t of types) {
    if (!Token.isUnresolved(t) && !AccessKeyEvents.ALL.includes(t)) {
      throw new Error(`${member('eventTypes')} must hold values of AccessKeyEvents (${AccessKeyEvents.ALL.join(', ')}), got '${t}'`);
    }
  }
  const rule = new events.Rule(scope, id, {
    eventBus,
    ruleName: options.ruleName,
    description: options.description ?? 'Access key rotation events',
    eventPattern: {
      source: [AccessKeyEvents.SOURCE],
      detailType: [...new Set(types)],
      ...(secretArns ? { resources: secretArns } : {}),
    },
    crossStackScope: options.crossStackScope,
  });
  if (options.eventPattern) rule.addEventPattern(options.eventPattern);
  if (options.target) rule.addTarget(options.target);
  return rule;
}
