"""Schemathesis hooks for infra/fuzz.sh.

The token-gated operations act only for the token's own user, so a body
naming any other user is refused at the gate (403) and never reaches the
hold, the payment or the cancellation. Valid user ids in those bodies are
replaced by the fuzzing user, whose ACTIVE token the run carries; invalid
ones are left alone, so negative cases stay negative.
"""
import re

import schemathesis

FUZZ_USER = "user1234"
USER_ID = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
GATED = {
    ("POST", "/reservations"),
    ("POST", "/payments"),
    ("POST", "/reservations/{reserveId}/cancel"),
}


@schemathesis.hook
def map_body(ctx, body):
    op = ctx.operation
    if op is None or (op.method.upper(), op.path) not in GATED:
        return body
    if isinstance(body, dict) and isinstance(body.get("userId"), str) and USER_ID.match(body["userId"]):
        body["userId"] = FUZZ_USER
    return body
