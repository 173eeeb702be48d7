from django.urls import path

from families import views

app_name = "families"

urlpatterns = [
    path("accueil/", views.home, name="home"),
    path("", views.family_record, name="family"),
    path("mes-donnees/", views.my_data, name="my_data"),
    path("mes-donnees/archive/", views.my_data_archive, name="my_data_archive"),
]
