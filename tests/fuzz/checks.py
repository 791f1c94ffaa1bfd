"""Sigap's own check for the API fuzzer, loaded into schemathesis as a hook module
(`SCHEMATHESIS_HOOKS=tests.fuzz.checks`): every error answer is an RFC 9457 problem."""

from __future__ import annotations

import schemathesis

PROBLEM_JSON = "application/problem+json"
# Open311 GeoReport v2 answers errors in the specification's own format (documented per route).
OWN_ERROR_FORMAT_PREFIXES = ("/open311/",)


@schemathesis.check
def errors_are_problems(ctx, response, case) -> None:
    """A 4xx or 5xx answer is `application/problem+json` with `type`, `title` and `status`."""
    if response.status_code < 400 or case.operation.path.startswith(OWN_ERROR_FORMAT_PREFIXES):
        return
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if content_type != PROBLEM_JSON:
        raise AssertionError(f"{response.status_code} answered as {content_type or 'no content type'}, not {PROBLEM_JSON}")
    body = response.json()
    missing = {"type", "title", "status"} - set(body)
    if missing or body["status"] != response.status_code:
        raise AssertionError(f"not a problem document for {response.status_code}: {body}")
