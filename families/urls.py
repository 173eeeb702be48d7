from django.urls import path

from families import views

app_name = "families"

urlpatterns = [
    path("accueil/", views.home, name="home"),
    path("", views.family_record, name="family"),
]
