"""The portal in English: new pages and messages have their English entries, and the language menu names
each language in itself."""

import pytest
from django.conf import settings

from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_language_menu_names_each_language_in_itself(client):
    html = client.get("/").content.decode()
    assert ">English</option>" in html and ">简体中文</option>" in html and "英语" not in html


def test_home_lookup_and_errors_in_english(english):
    html = english.get("/").content.decode()
    assert "Apply now" in html and "Track an application" in html and "立即申请" not in html
    html = english.get("/lookup/").content.decode()
    assert "Last four digits of the contact phone" in html
    html = english.get("/no-such-page/").content.decode()
    assert "Page not found" in html and "页面不存在" not in html


def test_case_page_in_english(english, customer, psb_staff):
    application = case_in_state("returned", customer=customer, staff=psb_staff)
    english.force_login(customer)
    html = english.get(f"/applications/{application.pk}/").content.decode()
    assert "创建申请" not in html
    from django.utils import translation

    from applications.transitions import BY_NAME

    with translation.override("en"):
        assert str(BY_NAME["create"].label) == "Application created"
    assert "Clock paused" in html and "Reason for withdrawing" in html


def test_lists_in_a_sentence_are_joined_in_the_readers_language(english, customer):
    from django.utils import translation

    from applications.models import DocumentKind
    from tests.applications.factories import ApplicationFactory

    draft = ApplicationFactory(customer=customer)  # low voltage, no documents yet
    kinds = [DocumentKind(k).label for k in draft.missing_materials()]
    assert len(kinds) >= 2
    english.force_login(customer)
    html = english.get(f"/applications/{draft.pk}/preview/").content.decode()
    with translation.override("en"):
        assert ", ".join(str(k) for k in kinds) in html
    with translation.override("zh-hans"):
        chinese = "、".join(str(k) for k in kinds)
    assert chinese not in html
    english.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    assert chinese in english.get(f"/applications/{draft.pk}/preview/").content.decode()


def test_pause_reasons_and_the_policy_guide_in_english(english, customer, psb_staff):
    application = case_in_state("accepted", customer=customer, staff=psb_staff)
    english.force_login(psb_staff)
    html = english.get(f"/applications/{application.pk}/").content.decode()
    assert "The customer asked to defer" in html and "客户申请延期办理" not in html
    guide = english.get("/supervision/guide/").content.decode()
    assert "in force from 2020-01-01" in guide and "起施行" not in guide
    live = guide.split('id="h-live"', 1)[1].split("</h2>", 1)[0]
    assert "年" not in live and "月" not in live, live
