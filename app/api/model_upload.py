"""The body of POST /validate: model files as JSON, or a tar archive in multipart/form-data.

Uploads are read and validated a few at a time (UPLOADS_AT_ONCE per process); a request waits
for its turn before its body is read, so waiting requests hold no body in memory. Paths must
be relative and stay inside the model, and every model file and their sum are checked against
the model limits before anything is parsed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from app.api.deps import resources
from app.api.schemas.diff import ModelFilesIn
from app.ecosystem.archive import ArchiveError, ArchiveTooLargeError, member_path, read_archive
from app.ecosystem.limits import ModelLimits, limits_of
from app.ecosystem.model_files import is_model_file
from app.ecosystem.sources import file_bytes
from app.errors import (
    AppError,
    InvalidParameterError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from app.resources import Resources

JSON, MULTIPART = "application/json", "multipart/form-data"
ARCHIVE_FIELD = "model"
UPLOADS_AT_ONCE = 2
log = logging.getLogger("ecoplane.upload")


@dataclass(frozen=True, slots=True)
class ModelUpload:
    """Model files by relative path, the request part they came from, and the model limits."""

    files: dict[str, str | bytes]
    parameter: str
    limits: ModelLimits = field(default_factory=ModelLimits)


async def model_upload(
    request: Request, res: Annotated[Resources, Depends(resources)]
) -> AsyncIterator[ModelUpload]:
    """The uploaded model files, within the upload and model limits, during its turn."""
    async with _turns(request):
        try:
            upload = await _read_upload(request, res)
        except AppError as error:
            log.warning("upload refused (%s %s): %s", error.status, error.type, error.detail)
            raise
        yield upload


def _turns(request: Request) -> asyncio.Semaphore:
    """The app's upload turns (made on first use, in the app's event loop)."""
    state = request.app.state
    if getattr(state, "upload_turns", None) is None:
        state.upload_turns = asyncio.Semaphore(UPLOADS_AT_ONCE)
    turns: asyncio.Semaphore = state.upload_turns
    return turns


async def _read_upload(request: Request, res: Resources) -> ModelUpload:
    limit, limits = res.settings.max_upload_bytes, limits_of(res.settings)
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(
            f"the body has {declared} bytes; at most {limit} are read (ECOPLANE_MAX_UPLOAD_BYTES)"
        )
    body = _limited(request.stream(), limit)
    if media == JSON:
        files = _json_files(b"".join([chunk async for chunk in body]))
        check_files(files, limits)
        return ModelUpload(files, "files", limits)
    if media == MULTIPART:
        archive = await _archive(request, body, limit)
        try:
            found = await asyncio.to_thread(read_archive, archive, limit, limits)
        except ArchiveTooLargeError as error:
            raise PayloadTooLargeError(str(error)) from error
        except ArchiveError as error:
            raise InvalidParameterError(ARCHIVE_FIELD, str(error)) from error
        return ModelUpload(dict(found), ARCHIVE_FIELD, limits)
    raise UnsupportedMediaTypeError(
        f"send the model as {JSON} {{'files': {{path: text}}}} or as {MULTIPART}"
        f" with a tar.gz file in the field {ARCHIVE_FIELD!r}"
    )


async def _limited(chunks: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks, stopping with 413 once more than limit bytes arrived."""
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise PayloadTooLargeError(
                f"the body has more than {limit} bytes (ECOPLANE_MAX_UPLOAD_BYTES)"
            )
        yield chunk


def _json_files(body: bytes) -> dict[str, str | bytes]:
    try:
        given = ModelFilesIn.model_validate_json(body).files
    except ValidationError as error:
        reason = error.errors()[0]
        where = ".".join(str(step) for step in reason["loc"]) or "body"
        raise InvalidParameterError(
            "files", f"the body must be {{'files': {{path: text}}}}: {where}: {reason['msg']}"
        ) from error
    files: dict[str, str | bytes] = {}
    for name, text in given.items():
        try:  # the rule of archive members: relative, never out of the model with `..`
            path = member_path(name)
        except ArchiveError as error:
            raise InvalidParameterError("files", f"files: {error}") from error
        if path is None or path in files:
            raise InvalidParameterError("files", f"files: the path {name!r} names no new file")
        files[path] = text
    return files


def check_files(files: dict[str, str | bytes], limits: ModelLimits) -> None:
    """Refuse (413) a model file larger than max_file_bytes, or model files larger in all."""
    sizes = {name: len(file_bytes(text)) for name, text in files.items() if is_model_file(name)}
    for name, size in sizes.items():
        limits.check_file(name, size)
    limits.check_bytes(sum(sizes.values()), len(sizes))


async def _archive(request: Request, body: AsyncGenerator[bytes, None], limit: int) -> bytes:
    """The content of the archive field of a multipart body."""
    parser = MultiPartParser(request.headers, body, max_files=1, max_fields=16)
    parser.spool_max_size = limit  # the body is bounded: keep the file in memory
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise InvalidParameterError(
            ARCHIVE_FIELD, f"unreadable multipart body: {error.message}"
        ) from error
    field: Any = form.get(ARCHIVE_FIELD)
    try:
        if not isinstance(field, UploadFile):
            raise InvalidParameterError(
                ARCHIVE_FIELD, f"send the model as a tar.gz file in the field {ARCHIVE_FIELD!r}"
            )
        return await field.read()
    finally:
        await form.close()
