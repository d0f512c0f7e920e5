"""Error pages: Chinese pages in the portal's frame for people, JSON for API clients (paths under /api/)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _json(status, detail):
    return JsonResponse({"detail": detail}, status=status)


def bad_request(request, exception):
    if _wants_json(request):
        return _json(400, _("请求无效。"))
    return defaults.bad_request(request, exception, template_name="errors/400.html")


def permission_denied(request, exception):
    if _wants_json(request):
        return _json(403, _("您无权执行此操作。"))
    return defaults.permission_denied(request, exception, template_name="errors/403.html")


def page_not_found(request, exception):
    if _wants_json(request):
        return _json(404, _("未找到。"))
    return defaults.page_not_found(request, exception, template_name="errors/404.html")


def server_error(request):
    if _wants_json(request):
        return _json(500, _("服务器内部错误，请稍后重试。"))
    return defaults.server_error(request, template_name="errors/500.html")
