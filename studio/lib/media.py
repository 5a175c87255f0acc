"""Serve a stored frame, poster or video after the caller's scoped lookup has allowed it.

On local disk the file is streamed with Range support. In object storage (any S3-compatible
service, through django-storages) the answer is a redirect to a short-lived signed URL, so a
web worker never feeds a whole download to a slow client: the store serves the bytes, Range
requests and all, and the signed URL fixes the content type and the download's file name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from studio.lib.ranges import ranged_file_response, served_content_type


def is_object_storage(storage: Storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return False
    return isinstance(storage, S3Storage)


def serve_media(
    request: HttpRequest,
    field: FieldFile,
    *,
    download_name: str | None = None,
    cache_control: str = "private, max-age=3600",
) -> HttpResponseBase:
    """The file behind `field`: streamed from disk, or a redirect to a signed URL in a bucket."""
    if not field or not field.name:
        raise Http404
    content_type = served_content_type(Path(field.name))
    if is_object_storage(field.storage):
        url = signed_url(
            field.storage,
            field.name,
            content_type=content_type,
            download_name=download_name,
            cache_control=cache_control,
        )
        response: HttpResponseBase = HttpResponseRedirect(url)
        # The redirect must not outlive the signature it carries.
        response["Cache-Control"] = "private, no-store"
        return response
    response = ranged_file_response(
        request,
        Path(field.path),
        content_type,
        filename=download_name,
        as_attachment=bool(download_name),
    )
    response["Cache-Control"] = cache_control
    return response


def signed_url(
    storage: Any,
    name: str,
    *,
    content_type: str,
    download_name: str | None = None,
    cache_control: str = "private, max-age=3600",
) -> str:
    """A GET URL for `name` that expires after MEDIA_URL_EXPIRY_SECONDS.

    The response-* parameters make the store answer with our content type (never a type an
    uploader chose), our cache policy, and `attachment; filename=...` for downloads.
    """
    from storages.utils import clean_name

    params = {
        "Bucket": storage.bucket_name,
        "Key": storage._normalize_name(clean_name(name)),
        "ResponseContentType": content_type,
        "ResponseCacheControl": cache_control,
        "ResponseContentDisposition": (
            content_disposition_header(True, download_name) if download_name else "inline"
        ),
    }
    client = _signing_client(
        settings.MEDIA_S3_PUBLIC_URL or storage.endpoint_url or "",
        storage.region_name or "",
        storage.access_key or "",
        storage.secret_key or "",
        storage.addressing_style or "",
    )
    url: str = client.generate_presigned_url(
        "get_object", Params=params, ExpiresIn=settings.MEDIA_URL_EXPIRY_SECONDS
    )
    return url


@lru_cache(maxsize=4)
def _signing_client(
    endpoint: str, region: str, access_key: str, secret_key: str, addressing_style: str
) -> Any:
    """A client used only to sign, never to send: it may name the endpoint as browsers reach it
    (MEDIA_S3_PUBLIC_URL), which the server itself may not be able to reach."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region or None,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        config=Config(signature_version="s3v4", s3={"addressing_style": addressing_style or "auto"}),
    )
