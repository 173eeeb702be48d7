from django.urls import path

from reenrollment import views

app_name = "reenrollment"

urlpatterns = [
    path("eleves/<int:pk>/reinscription/", views.reenrollment_tab, name="tab"),
    path(
        "eleves/<int:pk>/reinscription/pieces/<int:type_pk>/importer/",
        views.document_upload,
        name="upload",
    ),
    path("eleves/<int:pk>/documents/", views.documents_tab, name="documents"),
    path("eleves/<int:pk>/documents/<int:doc_pk>/", views.document_download, name="document"),
    path(
        "eleves/<int:pk>/documents/<int:doc_pk>/supprimer/",
        views.document_delete,
        name="delete",
    ),
    path("reinscription/offre/<str:token>/", views.offer, name="offer"),
    path("pre-inscription/", views.pre_registration, name="pre_registration"),
    path("pre-inscription/envoyee/", views.pre_registration_sent, name="pre_registration_sent"),
]
