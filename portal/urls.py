"""The browser pages' URLs, under the namespaces the templates and people's bookmarks know."""

from django.urls import include, path

from . import (
    acceptance,
    applying,
    cases,
    commitments,
    home,
    inbox,
    lookup,
    pauses,
    permits,
    printouts,
    queue,
    supervision,
)

applications = [
    path("<int:pk>/form/", printouts.application_form, name="form"),
    path("documents/<int:pk>/file/", printouts.document_file, name="document-file"),
    path("mine/", applying.mine, name="mine"),
    path("new/", applying.create, name="create"),
    path("new/check/", applying.validate_field, name="validate-field"),
    path("wallet/", applying.wallet, name="wallet"),
    path("wallet/<int:pk>/delete/", applying.wallet_delete, name="wallet-delete"),
    path("queue/", queue.queue, name="queue"),
    path("<int:pk>/", cases.detail, name="detail"),
    path("<int:pk>/edit/", applying.edit, name="edit"),
    path("<int:pk>/preview/", applying.preview, name="preview"),
    path("<int:pk>/preview/form/", applying.form_frame, name="form-frame"),
    path("<int:pk>/actions/<str:name>/", cases.transition, name="transition"),
    path("<int:pk>/supply/", cases.supply, name="supply"),
    path("<int:pk>/submit-with-commitment/", commitments.submit_with_commitment, name="commit-submit"),
    path("<int:pk>/promised-materials/", commitments.supply, name="promised-supply"),
    path("<int:pk>/pause/", pauses.ask, name="pause"),
    path("<int:pk>/urge/", pauses.urge, name="urge"),
    path("<int:pk>/correct/", acceptance.correct, name="correct"),
    path("<int:pk>/approve-return/", acceptance.approve_return, name="approve-return"),
    path("<int:pk>/pause-requests/<int:pid>/confirm/", pauses.confirm, name="pause-confirm"),
    path("<int:pk>/pause-requests/<int:pid>/decline/", pauses.decline, name="pause-decline"),
    path("<int:pk>/resume/", cases.resume, name="resume"),
    path("<int:pk>/assign/", cases.assign, name="assign"),
    path("<int:pk>/rate/", cases.rate, name="rate"),
    path("<int:pk>/visit/", cases.book_visit, name="book-visit"),
    path("slots/", queue.slots, name="slots"),
    path("documents/<int:pk>/preview/", applying.document_preview, name="document-preview"),
]

approvals = [
    path("", permits.queue, name="queue"),
    path("tasks/<int:pk>/", permits.task, name="task"),
    path("tasks/<int:pk>/actions/<str:name>/", permits.task_action, name="task-action"),
    path("tasks/<int:pk>/upload/", permits.upload, name="upload"),
    path("tasks/<int:pk>/comment/", permits.comment, name="comment"),
    path("documents/<int:pk>/", permits.document, name="document"),
]

deadlines = [
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.mark_read, name="mark_read"),
]

supervision_pages = [
    path("", supervision.dashboard, name="dashboard"),
    path("cases/", supervision.cases, name="cases"),
    path("report/", supervision.report, name="report"),
    path("orders/", supervision.orders, name="orders"),
    path("orders/<int:pk>/", supervision.order_detail, name="order"),
    path("clocks/<int:clock_pk>/order/", supervision.order_issue, name="order_issue"),
    path("credit/", supervision.credit_index, name="credit"),
    path("credit/add/", supervision.credit_add, name="credit_add"),
    path("credit/organisations/<slug:code>/", supervision.credit_organisation, name="credit_organisation"),
    path("credit/applicants/<int:user_pk>/", supervision.credit_applicant, name="credit_applicant"),
    path("credit/records/<int:pk>/repair/", supervision.credit_repair, name="credit_repair"),
    path("guide/", supervision.guide, name="guide"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("lookup/", lookup.page, name="lookup"),
    path("applications/", include((applications, "applications"))),
    path("approvals/", include((approvals, "approvals"))),
    path("deadlines/", include((deadlines, "deadlines"))),
    path("supervision/", include((supervision_pages, "supervision"))),
]
