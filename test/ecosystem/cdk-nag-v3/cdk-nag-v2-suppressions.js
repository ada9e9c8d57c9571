'use strict';
/**
 * The one cdk-nag 2 call the example stack makes, done the cdk-nag 3 way (its
 * README, "Migrating from v2"): `NagSuppressions.addResourceSuppressionsByPath`
 * becomes `Validations.of(construct).acknowledge({ id, reason })`, one
 * acknowledgement `id[finding]` for each `appliesTo` finding. The check builds the
 * example with this module in place of `cdk-nag`; it serves the example's own
 * suppression (a user's policy), never the library's, which the library writes itself.
 */
const { Stack, Validations } = require('aws-cdk-lib');

const NagSuppressions = {
  addResourceSuppressionsByPath(stack, path, suppressions) {
    const construct = Stack.of(stack).node.findAll().find((c) => `/${c.node.path}` === `/${path.replace(/^\//, '')}`);
    if (!construct) throw new Error(`cdk-nag-v2-suppressions: no construct at ${path}`);
    for (const { id, reason, appliesTo } of suppressions) {
      if (appliesTo?.some((finding) => typeof finding !== 'string')) {
        throw new Error(`cdk-nag-v2-suppressions: ${id} on ${path}: cdk-nag 3 acknowledges exact findings only, not regular expressions`);
      }
      const ids = appliesTo ? appliesTo.map((finding) => `${id}[${finding}]`) : [id];
      for (const ruleId of ids) Validations.of(construct).acknowledge({ id: ruleId, reason });
    }
  },
};

module.exports = { NagSuppressions };
