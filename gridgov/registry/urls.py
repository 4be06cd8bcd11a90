"""Registry pages under /registry/ (namespace ``registry``).

``/registry/key-persons/<pk>/`` is also the link of the overdue-visit notifications (services.visits.visit_sweep).
"""

from django.urls import path

from gridgov.registry import transfer_views, views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("houses/", views.house_list, name="house_list"),
    path("houses/new/", views.house_new, name="house_new"),
    path("houses/<int:pk>/", views.house_detail, name="house_detail"),
    path("houses/<int:pk>/edit/", views.house_edit, name="house_edit"),
    path("houses/<int:pk>/tenancies/new/", views.tenancy_new, name="tenancy_new"),
    path("houses/<int:pk>/link-event/", views.link_event_view, {"kind": "house"}, name="house_link_event"),
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/new/", views.resident_new, name="resident_new"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("residents/<int:pk>/move/", views.resident_move, name="resident_move"),
    path("residents/<int:pk>/link-event/", views.link_event_view, {"kind": "resident"},
         name="resident_link_event"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_new, name="unit_new"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/link-event/", views.link_event_view, {"kind": "unit"}, name="unit_link_event"),
    path("key-persons/", views.kp_list, name="kp_list"),
    path("key-persons/new/", views.kp_new, name="kp_new"),
    path("key-persons/attributes/", views.kp_attributes, name="kp_attributes"),
    path("key-persons/<int:pk>/", views.kp_detail, name="kp_detail"),
    path("key-persons/<int:pk>/edit/", views.kp_edit, name="kp_edit"),
    path("key-persons/<int:pk>/visit/", views.kp_visit, name="kp_visit"),
    path("visits/due/", views.visits_due, name="visits_due"),
    path("visit-photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    path("transfers/", transfer_views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/confirm/", transfer_views.transfer_decide, {"action": "confirm"}, name="transfer_confirm"),
    path("transfers/<int:pk>/refuse/", transfer_views.transfer_decide, {"action": "refuse"}, name="transfer_refuse"),
    path("import/", views.import_page, name="import"),
    path("import/template/<str:kind>/", views.import_template, name="import_template"),
    path("export/<str:kind>/", views.export, name="export"),
]
