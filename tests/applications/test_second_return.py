"""The one-time notice 一次性告知 returns a case once; a second return needs the approval of the supervisor
coordinating the acceptance (市工信局), and each approval allows one return."""

import pytest

from applications.models import AuditEntry
from tests.applications.factories import attach_materials, case_in_state

pytestmark = pytest.mark.django_db

NOTICE = {"missing": [{"kind": "property", "reason": "房产证复印件不清晰"}], "note": "请重新上传"}


@pytest.fixture
def resubmitted(api_as, customer, psb_staff):
    """Returned once, then supplied and submitted again."""
    application = case_in_state("returned", customer=customer, staff=psb_staff)
    attach_materials(application)
    assert (
        api_as(customer)
        .post(f"/api/v1/applications/{application.pk}/transitions/submit/", {}, format="json")
        .status_code
        == 200
    )
    return application


def test_the_second_return_is_refused_without_approval(api_as, resubmitted, psb_staff):
    answer = api_as(psb_staff).post(
        f"/api/v1/applications/{resubmitted.pk}/transitions/return_for_materials/", NOTICE, format="json"
    )
    assert answer.status_code == 409 and "须经协调部门批准" in answer.json()["detail"]
    assert AuditEntry.objects.filter(application=resubmitted, transition="return_for_materials").count() == 1


def test_a_supervisors_approval_allows_one_more_return(
    api_as, resubmitted, psb_staff, supervisor, make_user, customer
):
    url = f"/api/v1/applications/{resubmitted.pk}/second-return-approval/"
    fgw = make_user("fgw9", roles=["supervisor"], org="fgw")
    assert api_as(psb_staff).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api_as(fgw).post(url, {"reason": "x"}, format="json").status_code in (403, 404)
    assert api_as(supervisor).post(url, {}, format="json").status_code == 400
    assert api_as(supervisor).post(url, {"reason": "产权证明确需重新提供"}, format="json").status_code == 201
    staff = api_as(psb_staff)
    returning = f"/api/v1/applications/{resubmitted.pk}/transitions/return_for_materials/"
    assert staff.post(returning, NOTICE, format="json").status_code == 200
    # Used up: after the next resubmission a third return needs a new approval.
    attach_materials(resubmitted)
    api_as(customer).post(f"/api/v1/applications/{resubmitted.pk}/transitions/submit/", {}, format="json")
    assert staff.post(returning, NOTICE, format="json").status_code == 409
