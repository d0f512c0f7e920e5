"""The dashboard's district filter 旗县区 follows every figure it can (the cases, the live clocks and the
summary tables, kept per district by the full rebuild and by the refresh of changes alike), and the
drill-down links carry it."""

import pytest
import time_machine

from applications.models import Application
from supervision.models import CaseMonth, StageMonth
from supervision.summary import figures_refresh, figures_refresh_changed
from tests.supervision.conftest import NOW, PERIOD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _figures(client, user, **params):
    client.force_login(user)
    response = client.get("/supervision/", {**PERIOD, **params})
    assert response.status_code == 200
    return response


def test_every_figure_follows_the_district(client, dataset, gxj):
    Application.objects.filter(pk=dataset.A.pk).update(district="wuchuan")
    figures_refresh()
    everywhere = _figures(client, gxj).context["figures"]
    wuchuan = _figures(client, gxj, district="wuchuan")
    f = wuchuan.context["figures"]
    assert everywhere["states"]["total"] == 7
    assert f["states"]["total"] == 1 and f["states"]["connected"] == 1  # A, connected
    assert {r.district for r in StageMonth.objects.filter(district="wuchuan")} == {"wuchuan"}
    assert sum(r.n for r in CaseMonth.objects.filter(axis="submitted", district="wuchuan")) == 1
    assert f["level_counts"] == {"escalated": 0, "overdue": 0, "warning": 0}
    assert 'name="district"' in wuchuan.content.decode()
    assert "district=wuchuan" in wuchuan.content.decode()  # the drill-down links keep it
    assert _figures(client, gxj, district="yuquan").context["figures"]["states"]["total"] == 0
    drill = client.get("/supervision/cases/", {"fig": "state", "district": "wuchuan", **PERIOD})
    assert [a.number for a in drill.context["page"]] == [dataset.A.number]


def test_a_case_that_moves_district_moves_in_the_refresh_of_changes(client, dataset, gxj):
    figures_refresh()
    Application.objects.filter(pk=dataset.B.pk).update(district="saihan")
    figures_refresh_changed()
    changed = sorted(StageMonth.objects.values_list("district", "stage", "n"))
    figures_refresh()
    assert sorted(StageMonth.objects.values_list("district", "stage", "n")) == changed
    assert _figures(client, gxj, district="saihan").context["figures"]["states"]["total"] == 1
