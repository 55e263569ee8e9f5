"""Schemathesis hooks of scripts/schemathesis.sh.

Some answers to a request that matches the OpenAPI document are refusals by design: they depend
on state the document cannot know (`code.none`: no code was mailed for this challenge,
`two_factor.setup_missing`, `auth.password_incorrect`, `password.too_common`, a reserved
username, ...), and they are `400` answers. So schemathesis.toml lets `positive_data_acceptance`
accept a 400, and this check keeps the promise of the document honest instead: a request the
document calls valid must never be refused for its *shape* (a missing, too long or malformed
field), which is exactly what the document states.
"""

import schemathesis

# The error codes that judge the form of a field, never the state of an account.
SHAPE_CODES = {
    "request.invalid",
    "field.required",
    "field.too_long",
    "field.invalid",
    "email.invalid",
    "password.too_short",
    "password.too_long",
    "password.missing_upper",
    "password.missing_lower",
    "password.missing_digit",
    "account.timezone_invalid",
}


@schemathesis.check
def no_shape_refusal_of_valid_data(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        code = response.json().get("code")
    except Exception:  # not JSON: other checks report it
        return None
    if code in SHAPE_CODES:
        raise AssertionError(
            f"A request that matches the OpenAPI document was refused as malformed: `{code}` "
            f"({response.json().get('data')}). The document must state this rule."
        )
    return None
