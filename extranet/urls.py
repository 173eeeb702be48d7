from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from extranet import observability, views

portal_patterns = [
    path("", views.landing, name="landing"),
    path("connexion/", views.login, name="login"),
    path("deconnexion/", views.logout, name="logout"),
    path("accueil/", views.home, name="home"),
    path("mot-de-passe-perdu/", views.password_lost, name="password_lost"),
    path("mot-de-passe-perdu/envoye/", views.password_lost_sent, name="password_lost_sent"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        views.password_reset_complete,
        name="password_reset_complete",
    ),
    path("mot-de-passe/", views.password_change, name="password_change"),
    path("connexion/verification/", views.otp_verify, name="otp_verify"),
    path("connexion/verification/configurer/", views.otp_setup, name="otp_setup"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("accessibilite/taille-du-texte/", views.text_size, name="text_size"),
    path("mentions-legales/", views.legal, name="legal"),
    path("sante/", observability.health, name="health"),
    path("sante/pret/", observability.ready, name="ready"),
]

urlpatterns = [
    path("", include((portal_patterns, "extranet"))),
    # Before students.urls: the Cours, Historique and Répertoire tabs live in courses.
    path("", include("courses.urls")),
    path("", include("reenrollment.urls")),
    path("famille/", include("families.urls")),
    path("eleves/", include("students.urls")),
    path("facturation/", include("billing.urls")),
    path("langue/", views.set_language, name="set_language"),
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
]

admin.site.site_header = _("Tutti : administration des conservatoires")
admin.site.site_title = "Tutti"
admin.site.index_title = _("Secrétariat")
