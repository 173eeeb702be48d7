"""A second URL configuration, for tests/extranet/test_portal_urls.py."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("ailleurs/", lambda request: HttpResponse(), name="only")]
