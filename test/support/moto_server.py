"""moto's server as the tests, the demo and the benchmarks run it.

Two changes to moto, each made before any request is served:

1. Secrets Manager's rotation set-up, as Secrets Manager keeps it (moto 5.2.1
   ignores a schedule expression, reports rotation off unless
   `AutomaticallyAfterDays` was used, and forgets the rotation function when a
   RotateSecret names none). Here RotateSecret keeps `ScheduleExpression` and
   `Duration`, reports them in DescribeSecret and ListSecrets, turns rotation on
   whenever a function and rules are configured, and a RotateSecret that names
   no function or no rules reuses those configured, as Secrets Manager's API
   reference says it does. A RotateSecret with RotateImmediately=false leaves no
   AWSPENDING version behind (Secrets Manager removes the one it tests the
   set-up with; moto keeps a copy of the current value under that label).
2. With MOTO_CLOCK_FILE set, a settable IAM clock: moto stamps access keys'
   creation and last use with moto.core.utils.utcnow, which is replaced,
   before any service module imports it, with one that returns the time
   written in that file (ISO 8601; the real time while the file is empty or
   absent). HTTP dates stay real, so the AWS SDK sees no clock skew.

Then moto's server runs with the arguments given.
"""
import datetime
import os
import sys

import moto.core.utils as utils

_real_utcnow = utils.utcnow
_clock_file = os.environ.get("MOTO_CLOCK_FILE")


def _utcnow() -> datetime.datetime:
    try:
        with open(_clock_file, encoding="utf-8") as f:
            text = f.read().strip()
    except FileNotFoundError:
        text = ""
    if not text:
        return _real_utcnow()
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


if _clock_file:
    utils.utcnow = _utcnow

from moto.secretsmanager import models as sm  # noqa: E402  (after the clock, on purpose)

_moto_rotate_secret = sm.SecretsManagerBackend.rotate_secret
_moto_to_dict = sm.FakeSecret.to_dict


def _rotate_secret(self, secret_id, client_request_token=None, rotation_lambda_arn=None, rotation_rules=None, rotate_immediately=True):
    secret = self.secrets.get(secret_id) if self._is_valid_identifier(secret_id) else None
    configured = getattr(secret, "rotation_lambda_arn", "") if isinstance(secret, sm.FakeSecret) else ""
    before = set(secret.versions) if isinstance(secret, sm.FakeSecret) else set()
    out = _moto_rotate_secret(self, secret_id, client_request_token, rotation_lambda_arn or configured or None, rotation_rules, rotate_immediately)
    secret = self.secrets[secret_id]
    if not rotate_immediately:
        # Secrets Manager tests the set-up with an AWSPENDING version, then removes it; moto leaves it behind.
        for version_id in set(secret.versions) - before:
            if secret.versions[version_id]["version_stages"] == ["AWSPENDING"]:
                del secret.versions[version_id]
    if rotation_rules and "ScheduleExpression" in rotation_rules:
        secret.schedule_expression = rotation_rules["ScheduleExpression"]
        secret.rotation_duration = rotation_rules.get("Duration")
    if secret.rotation_lambda_arn and (getattr(secret, "schedule_expression", None) or secret.auto_rotate_after_days > 0):
        secret.rotation_enabled = True
    return out


def _to_dict(self):
    out = _moto_to_dict(self)
    expression = getattr(self, "schedule_expression", None)
    if "RotationRules" in out and expression:
        rules = {"ScheduleExpression": expression}
        if getattr(self, "rotation_duration", None):
            rules["Duration"] = self.rotation_duration
        out["RotationRules"] = rules
    return out


sm.SecretsManagerBackend.rotate_secret = _rotate_secret
sm.FakeSecret.to_dict = _to_dict

from moto.server import main  # noqa: E402  (after the patches, on purpose)

main(sys.argv[1:])
