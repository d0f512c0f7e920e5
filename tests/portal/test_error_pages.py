"""Error pages: Chinese pages in the portal's frame (navigation, a way home, the hotline) under
DEBUG=0; the API answers its errors in JSON."""

import pytest
from django.test import RequestFactory

from portal import errors

pytestmark = pytest.mark.django_db


def _in_frame(html):
    assert 'class="portal-header' in html  # the portal's navigation
    assert 'href="/"' in html and "返回首页" in html
    assert "95598" in html


def test_unknown_page_is_a_chinese_404_in_the_frame(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and "Not Found" not in html
    _in_frame(html)


def test_forbidden_page_is_a_chinese_403(client, customer):
    client.force_login(customer)
    response = client.get("/supervision/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "您无权访问此页面" in html and "403 Forbidden" not in html
    _in_frame(html)
    assert "张三" in html  # still signed in, in the frame


def test_bad_request_and_server_error_pages():
    request = RequestFactory().get("/applications/1/")
    response = errors.bad_request(request, Exception())
    assert response.status_code == 400 and "请求无效" in response.content.decode()
    response = errors.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "系统暂时无法处理您的请求" in html
    _in_frame(html)


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "未找到。"}
    response = errors.server_error(RequestFactory().get("/api/v1/applications/"))
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")


def test_redoc_is_not_served(client):
    assert client.get("/api/redoc/").status_code == 404
