from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases, name="cases"),
    path("report/", views.report, name="report"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("clocks/<int:clock_pk>/order/", views.order_issue, name="order_issue"),
    path("credit/", views.credit_index, name="credit"),
    path("credit/add/", views.credit_add, name="credit_add"),
    path("credit/organisations/<slug:code>/", views.credit_organisation, name="credit_organisation"),
    path("credit/applicants/<int:user_pk>/", views.credit_applicant, name="credit_applicant"),
    path("credit/records/<int:pk>/repair/", views.credit_repair, name="credit_repair"),
    path("guide/", views.guide, name="guide"),
]
