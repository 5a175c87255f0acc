"""The sandbox's HTTP endpoints: the Chanjing Open API paths the studio uses, plus file serving."""

from __future__ import annotations

import hmac
import math

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from studio.lib.limits import allow_body_up_to
from studio.lib.ranges import ranged_file_response
from studio.sandbox import faults, storage
from studio.sandbox.api import BAD_PARAM, INTERNAL, QPS_EXCEEDED, ApiError, api_endpoint, envelope, json_body
from studio.sandbox.models import AccessToken, FileStatus, RequestLog, Task, TaskStatus, UploadedFile
from studio.sandbox.tasks import task_data
from studio.sandbox.validation import bad, clean_page, clean_submit, prompt_markers

UPLOAD_SERVICES = {"ai_creation"}
UPLOAD_MAX_BYTES = 100 * 1024 * 1024
_upload_signer = signing.Signer(salt="studio.sandbox.upload")


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """What the sandbox is; its recent tasks (every workspace's prompts) for staff only."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return render(request, "sandbox/index.html", {"tasks_hidden": True})
    tasks = [(task, task.status()) for task in Task.objects.all()[:30]]
    return render(request, "sandbox/index.html", {"tasks": tasks, "success": TaskStatus.SUCCESS})


@api_endpoint("access_token", "POST", auth=False)
def access_token(request: HttpRequest) -> HttpResponse:
    body = json_body(request)
    app_id, secret_key = body.get("app_id"), body.get("secret_key")
    if not isinstance(app_id, str) or not app_id:
        raise bad("app_id", "不能为空")
    if not isinstance(secret_key, str) or not secret_key:
        raise bad("secret_key", "不能为空")
    # As bytes: compare_digest refuses str with characters outside ASCII.
    valid = hmac.compare_digest(app_id.encode(), settings.SANDBOX_APP_ID.encode()) & hmac.compare_digest(
        secret_key.encode(), settings.SANDBOX_SECRET_KEY.encode()
    )
    if not valid:
        raise ApiError(BAD_PARAM, "app_id 或 secret_key 错误")
    token = AccessToken.issue(app_id)
    RequestLog.prune()
    return envelope(data={"access_token": token.token, "expire_in": int(token.expires_at.timestamp())})


@api_endpoint("task_submit", "POST")
def task_submit(request: HttpRequest) -> HttpResponse:
    body = json_body(request)
    params = clean_submit(body)
    markers = prompt_markers(params["ref_prompt"])
    if "40001" in markers:
        raise ApiError(QPS_EXCEEDED, "超出 QPS 限制")
    if "50000" in markers:
        raise ApiError(INTERNAL, "系统内部错误")
    behaviour = next((marker for marker in ("fail", "error", "slow") if marker in markers), "normal")
    task = Task.objects.create(body=body, prompt=params["ref_prompt"], params=params, behaviour=behaviour)
    if faults.roll(settings.SANDBOX_FAULT_LOST_SUBMIT_RATE):
        return faults.gateway_error(504, "Gateway Time-out", "lost_submit")
    return envelope(data=task.unique_id)


@api_endpoint("task_detail", "GET")
def task_detail(request: HttpRequest) -> HttpResponse:
    unique_id = request.GET.get("unique_id", "")
    if not unique_id:
        raise bad("unique_id", "不能为空")
    task = Task.objects.filter(unique_id=unique_id).first()
    if task is None:
        raise ApiError(BAD_PARAM, "任务不存在")
    return envelope(data=task_data(request, task))


@api_endpoint("task_page", "POST")
def task_page(request: HttpRequest) -> HttpResponse:
    query = clean_page(json_body(request))
    tasks = Task.objects.filter(params__creation_type=query["type"])
    if query["unique_ids"]:
        tasks = tasks.filter(unique_id__in=query["unique_ids"])
    matching = [task for task in tasks if not query["is_success"] or task.status() == TaskStatus.SUCCESS]
    page, size = query["page"], query["page_size"]
    shown = matching[(page - 1) * size : page * size]
    return envelope(
        data={
            "list": [task_data(request, task) for task in shown],
            "total": len(matching),
            "page_info": {
                "page": page,
                "size": size,
                "total_count": len(matching),
                "total_page": math.ceil(len(matching) / size),
            },
        }
    )


@api_endpoint("create_upload_url", "GET")
def create_upload_url(request: HttpRequest) -> HttpResponse:
    service, name = request.GET.get("service", ""), request.GET.get("name", "")
    if service not in UPLOAD_SERVICES:
        raise bad("service", "仅支持 " + "、".join(sorted(UPLOAD_SERVICES)))
    if not name or len(name) > 255:
        raise bad("name", "不能为空且不能超过 255 个字符")
    upload = UploadedFile.objects.create(service=service, name=name, mime_type=storage.content_type_for(name))
    sign_url = reverse("sandbox:upload", args=[upload.file_id]) + f"?signature={_signature(upload.file_id)}"
    return envelope(
        data={
            "sign_url": request.build_absolute_uri(sign_url),
            "mime_type": upload.mime_type,
            "file_id": upload.file_id,
            "full_path": _full_path(request, upload),
        }
    )


@api_endpoint("file_detail", "GET")
def file_detail(request: HttpRequest) -> HttpResponse:
    upload = UploadedFile.objects.filter(file_id=request.GET.get("id", "")).first()
    if upload is None:
        raise ApiError(BAD_PARAM, "文件不存在")
    status = upload.refresh_status()
    return envelope(
        data={
            "id": upload.file_id,
            "name": upload.name,
            "mime_type": upload.mime_type,
            "size": upload.size,
            "status": status,
            "msg": "内容审核未通过" if status == FileStatus.REJECTED else "",
            "full_path": _full_path(request, upload),
            "create_time": int(upload.created_at.timestamp()),
        }
    )


def _signature(file_id: str) -> str:
    return _upload_signer.signature(file_id)


def _full_path(request: HttpRequest, upload: UploadedFile) -> str:
    name = storage.safe_name(upload.name)
    return request.build_absolute_uri(reverse("sandbox:file", args=[upload.file_id, name]))


@allow_body_up_to(UPLOAD_MAX_BYTES)
@csrf_exempt
@require_http_methods(["PUT"])
def upload(request: HttpRequest, file_id: str) -> HttpResponse:
    """The presigned PUT target: like object storage, it checks the signature and the exact type."""
    upload = UploadedFile.objects.filter(file_id=file_id).first()
    signature = request.GET.get("signature", "")
    if upload is None or not hmac.compare_digest(signature.encode(), _signature(file_id).encode()):
        return HttpResponseForbidden("SignatureDoesNotMatch", content_type="text/plain")
    if request.META.get("CONTENT_TYPE", "") != upload.mime_type:
        return HttpResponseForbidden(
            f"SignatureDoesNotMatch: Content-Type must be {upload.mime_type}", content_type="text/plain"
        )
    relative = storage.upload_path(upload.file_id, upload.name)
    size = _store_body(request, relative)
    if size is None:
        return HttpResponse("EntityTooLarge", status=413, content_type="text/plain")
    upload.mark_uploaded(relative, size)
    return HttpResponse(status=200)


def _store_body(request: HttpRequest, relative: str) -> int | None:
    path = storage.absolute(relative)
    if path is None:
        raise Http404
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    size = 0
    with partial.open("wb") as handle:
        while chunk := request.read(64 * 1024):
            size += len(chunk)
            if size > UPLOAD_MAX_BYTES:
                break
            handle.write(chunk)
    if size > UPLOAD_MAX_BYTES:
        partial.unlink()
        return None
    partial.replace(path)
    return size


@require_safe
def uploaded_file(request: HttpRequest, file_id: str, name: str) -> HttpResponseBase:
    upload = get_object_or_404(UploadedFile, file_id=file_id, uploaded_at__isnull=False)
    path = storage.absolute(upload.path)
    if path is None or name != path.name:
        raise Http404("No such file")
    return ranged_file_response(request, path, upload.mime_type)


@require_safe
def output(request: HttpRequest, unique_id: str, ext: str) -> HttpResponseBase:
    task = get_object_or_404(Task, unique_id=unique_id)
    relative = task.video_path if ext == "mp4" else task.poster_path
    path = storage.absolute(relative) if relative else None
    if path is None:
        raise Http404("Not rendered")
    return ranged_file_response(request, path, storage.content_type_for(path.name))
