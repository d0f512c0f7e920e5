"""How a private file (an uploaded document) leaves the portal, once a view has checked who may see it.

- Local disk behind nginx (``MEDIA_ACCEL_REDIRECT`` set, e.g. ``/_protected/``): an empty response whose
  ``X-Accel-Redirect`` header tells nginx to send the file from its internal location; the web worker
  is free at once and nginx serves ranges and slow clients.
- Object storage (``MEDIA_STORAGE=s3``) with ``MEDIA_SIGNED_URLS`` on: a redirect to a signed URL valid
  for ``S3_URL_SECONDS``; the client fetches the object from the storage directly.
- Otherwise (``make run``, tests): Django streams the file itself.

Whichever way, the answer is ``Cache-Control: private, no-store`` (no shared cache keeps a customer's
papers) and ``X-Content-Type-Options: nosniff`` (the browser takes the checked content type).
"""

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header


def save_with_file(instance, content) -> None:
    """Store ``content`` in ``instance.file`` and save the row; when the row cannot be saved the stored
    file is removed again, so a failed upload leaves no file behind."""
    instance.file.save("upload", content, save=False)
    try:
        instance.save()
    except Exception:
        instance.file.delete(save=False)
        raise


def private_file_response(file, *, content_type: str, filename: str) -> HttpResponse:
    """The response that delivers ``file`` (a FieldFile) inline under ``filename``, never cached."""
    response = _file_response(file, content_type=content_type, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_response(file, *, content_type: str, filename: str) -> HttpResponse:
    if settings.MEDIA_STORAGE == "s3" and settings.MEDIA_SIGNED_URLS:
        disposition = content_disposition_header(False, filename)
        url = file.storage.url(
            file.name,
            parameters={"ResponseContentType": content_type, "ResponseContentDisposition": disposition},
            expire=settings.S3_URL_SECONDS,
        )
        return HttpResponseRedirect(url)
    if settings.MEDIA_ACCEL_REDIRECT and settings.MEDIA_STORAGE == "local":
        response = HttpResponse(content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(False, filename)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(file.name)
        return response
    return FileResponse(file.open("rb"), content_type=content_type, filename=filename)


def bucket_listing():
    """Lines ``key<TAB>size<TAB>etag<TAB>last modified`` of every object in the media bucket (backups)."""
    from django.core.files.storage import default_storage

    pages = default_storage.connection.meta.client.get_paginator("list_objects_v2")
    for page in pages.paginate(Bucket=default_storage.bucket_name):
        for item in page.get("Contents", []):
            etag = item["ETag"].strip('"')
            yield f"{item['Key']}\t{item['Size']}\t{etag}\t{item['LastModified'].isoformat()}"
