from django.urls import path

from students import views

app_name = "students"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/identite/", views.identity, name="identity"),
]
