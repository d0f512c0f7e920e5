"""A case in the permit stage for page tests: filed by the one-stop window, its road permit optionally
in review by the road department (its joint survey still open)."""

from approvals import services
from approvals.models import ApprovalTask
from tests.applications.factories import case_in_state


def road_permit_case(psb_staff, window, road=None):
    """(case, road permit task): the permits pushed by ``window``; in review by ``road`` when given."""
    application = case_in_state("approving", staff=psb_staff, road_excavation=True)
    intake = ApprovalTask.objects.get(application=application, kind="window_intake")
    services.task_transition(task_id=intake.pk, name="accept_filing", actor=window)
    task = ApprovalTask.objects.get(application=application, kind="road_permit")
    if road is not None:
        services.task_transition(task_id=task.pk, name="start_review", actor=road)
    return application, task
