"""S3 failures as one sentence that names the setting at fault, its (redacted) value and the cause.

boto3's own text ("An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation")
names neither the setting nor what to change; secrets are never part of the sentence.
"""

from __future__ import annotations

from typing import Any

from s3_export_core.errors import ExportError

CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
        "AccessDenied",
        "AllAccessDisabled",
        "403",
        "InvalidClientTokenId",
    }
)


def redact(value: str | None) -> str:
    """Enough of an access key id to recognise it, never the whole."""
    if not value:
        return "not set"
    return f"{value[:4]}…" if len(value) > 4 else "…"


def credentials_in_use(config: dict[str, Any]) -> str:
    if config.get("role_arn"):
        return f"role_arn={config['role_arn']!r}"
    if config.get("aws_access_key_id"):
        return f"aws_access_key_id={redact(config['aws_access_key_id'])}"
    if config.get("aws_profile"):
        return f"aws_profile={config['aws_profile']!r}"
    return "the default AWS credential chain (no aws_access_key_id, aws_profile or role_arn set)"


def explain(exc: BaseException, config: dict[str, Any], action: str) -> ExportError:
    """`action` says what was tried and on what, e.g. "list s3://bucket/prefix"."""
    from botocore import exceptions as boto

    cause: str
    setting: str
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        text = error.get("Message") or code
        if code in {"NoSuchBucket", "404"} and "list" in action:
            setting, cause = f"bucket={config.get('bucket')!r}", f"no such bucket ({code})"
        elif code in {"PermanentRedirect", "AuthorizationHeaderMalformed"}:
            setting, cause = f"aws_region={config.get('aws_region')!r}", f"{code}: {text}"
        elif code in CREDENTIAL_CODES:
            setting, cause = credentials_in_use(config), f"refused ({code}: {text})"
        else:
            setting, cause = f"bucket={config.get('bucket')!r}", f"{code}: {text}"
    elif isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
        setting, cause = credentials_in_use(config), "no usable AWS credentials were found"
    elif isinstance(exc, boto.ProfileNotFound):
        setting, cause = f"aws_profile={config.get('aws_profile')!r}", "no such AWS profile"
    elif isinstance(exc, boto.EndpointConnectionError | boto.ConnectTimeoutError):
        endpoint = config.get("endpoint_url") or "AWS's default S3 endpoint"
        setting, cause = f"endpoint_url={endpoint!r}", "cannot connect"
    elif isinstance(exc, boto.BotoCoreError):
        setting, cause = f"bucket={config.get('bucket')!r}", f"{type(exc).__name__}: {exc}"
    else:
        raise exc
    export_error = ExportError(f"cannot {action} (check {setting}): {cause}")
    export_error.__cause__ = exc
    return export_error
