"""Registry pages under /registry/ (namespace ``registry``).

``/registry/key-persons/<pk>/`` is also the link of the overdue-visit notifications (services.visits.visit_sweep).
"""

from django.urls import path

from gridgov.registry.views import (
    home,
    houses,
    import_export,
    key_people,
    links,
    residents,
    transfers,
    units,
    visits,
)

app_name = "registry"

urlpatterns = [
    path("", home.home, name="home"),
    path("houses/", houses.house_list, name="house_list"),
    path("houses/new/", houses.house_new, name="house_new"),
    path("houses/<int:pk>/", houses.house_detail, name="house_detail"),
    path("houses/<int:pk>/edit/", houses.house_edit, name="house_edit"),
    path("houses/<int:pk>/tenancies/new/", houses.tenancy_new, name="tenancy_new"),
    path("houses/<int:pk>/link-event/", links.link_event_view, {"kind": "house"}, name="house_link_event"),
    path("residents/", residents.resident_list, name="resident_list"),
    path("residents/new/", residents.resident_new, name="resident_new"),
    path("residents/<int:pk>/", residents.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/reveal/", residents.resident_reveal, name="resident_reveal"),
    path("residents/<int:pk>/move/", residents.resident_move, name="resident_move"),
    path("residents/<int:pk>/link-event/", links.link_event_view, {"kind": "resident"},
         name="resident_link_event"),
    path("units/", units.unit_list, name="unit_list"),
    path("units/new/", units.unit_new, name="unit_new"),
    path("units/<int:pk>/", units.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", units.unit_edit, name="unit_edit"),
    path("units/<int:pk>/link-event/", links.link_event_view, {"kind": "unit"}, name="unit_link_event"),
    path("key-persons/", key_people.kp_list, name="kp_list"),
    path("key-persons/new/", key_people.kp_new, name="kp_new"),
    path("key-persons/attributes/", key_people.kp_attributes, name="kp_attributes"),
    path("key-persons/<int:pk>/", key_people.kp_detail, name="kp_detail"),
    path("key-persons/<int:pk>/edit/", key_people.kp_edit, name="kp_edit"),
    path("key-persons/<int:pk>/visit/", visits.kp_visit, name="kp_visit"),
    path("visits/due/", visits.visits_due, name="visits_due"),
    path("visit-photos/<int:pk>/", visits.visit_photo, name="visit_photo"),
    path("transfers/", transfers.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/confirm/", transfers.transfer_decide, {"action": "confirm"}, name="transfer_confirm"),
    path("transfers/<int:pk>/refuse/", transfers.transfer_decide, {"action": "refuse"}, name="transfer_refuse"),
    path("import/", import_export.import_page, name="import"),
    path("import/template/<str:kind>/", import_export.import_template, name="import_template"),
    path("export/<str:kind>/", import_export.export, name="export"),
]
