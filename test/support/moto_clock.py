"""moto's server with a settable IAM clock, for the demo's simulated year.

moto stamps access keys' creation and last use with moto.core.utils.utcnow.
This launcher replaces that function, before any service module imports it,
with one that returns the time written in the file MOTO_CLOCK_FILE (ISO 8601;
the real time while the file is empty or absent), then runs moto's server
with the arguments given. Nothing else changes: HTTP dates stay real, so the
AWS SDK sees no clock skew.
"""
import datetime
import os
import sys

import moto.core.utils as utils

_real_utcnow = utils.utcnow
_clock_file = os.environ["MOTO_CLOCK_FILE"]


def _utcnow() -> datetime.datetime:
    try:
        with open(_clock_file, encoding="utf-8") as f:
            text = f.read().strip()
    except FileNotFoundError:
        text = ""
    if not text:
        return _real_utcnow()
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


utils.utcnow = _utcnow

from moto.server import main  # noqa: E402  (after the patch, on purpose)

main(sys.argv[1:])
