from django.urls import path

from . import api, correction_api, pause_api, promise_api

# The case list and the case first: every client screen asks for them, and patterns are tried in order.
urlpatterns = [
    path("applications/", api.ApplicationListCreate.as_view(), name="api-applications"),
    path("applications/<int:pk>/", api.ApplicationDetail.as_view(), name="api-application"),
    path(
        "applications/<int:pk>/transitions/<slug:name>/",
        api.ApplicationTransition.as_view(),
        name="api-application-transition",
    ),
    path(
        "applications/<int:pk>/pause/", pause_api.ApplicationPauseAsk.as_view(), name="api-application-pause"
    ),
    path(
        "applications/<int:pk>/pause-requests/<int:pid>/confirm/",
        pause_api.PauseRequestConfirm.as_view(),
        name="api-pause-request-confirm",
    ),
    path(
        "applications/<int:pk>/pause-requests/<int:pid>/decline/",
        pause_api.PauseRequestDecline.as_view(),
        name="api-pause-request-decline",
    ),
    path(
        "applications/<int:pk>/correct/",
        correction_api.ApplicationCorrect.as_view(),
        name="api-application-correct",
    ),
    path(
        "applications/<int:pk>/second-return-approval/",
        correction_api.SecondReturnApproval.as_view(),
        name="api-second-return-approval",
    ),
    path(
        "applications/<int:pk>/promised-materials/",
        promise_api.PromisedMaterialsSupply.as_view(),
        name="api-promised-materials",
    ),
    path("applications/<int:pk>/urge/", pause_api.ApplicationUrge.as_view(), name="api-application-urge"),
    path("applications/<int:pk>/resume/", api.ApplicationResume.as_view(), name="api-application-resume"),
    path("documents/", api.DocumentListCreate.as_view(), name="api-documents"),
    path("documents/<int:pk>/", api.DocumentDetail.as_view(), name="api-document"),
    path("documents/<int:pk>/file/", api.DocumentFile.as_view(), name="api-document-file"),
]
