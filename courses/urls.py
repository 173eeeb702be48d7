from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    # Family side: the student tabs and the family timetable.
    path("eleves/<int:pk>/cours/", views.courses_tab, name="courses"),
    path("eleves/<int:pk>/cours/<int:enrolment_pk>/", views.follow_up, name="follow_up"),
    path("eleves/<int:pk>/historique/", views.history_tab, name="history"),
    path(
        "eleves/<int:pk>/historique/<int:enrolment_pk>/",
        views.follow_up,
        name="history_follow_up",
    ),
    path("eleves/<int:pk>/repertoire/", views.repertoire_tab, name="repertoire"),
    path("eleves/<int:pk>/calendrier/renouveler/", views.calendar_renew, name="calendar_renew"),
    # The token is URL-safe base64: anything else (a NUL byte breaks PostgreSQL) is 404 here.
    path("calendrier/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("famille/emploi-du-temps/", views.family_timetable, name="timetable"),
    # Teacher side ("Accès enseignant").
    path("enseignant/", views.teacher_week, name="teacher_week"),
    path("enseignant/creneaux/<int:pk>/", views.slot_roll, name="slot_roll"),
    path(
        "enseignant/creneaux/<int:pk>/evaluations/",
        views.slot_evaluations,
        name="slot_evaluations",
    ),
    path("enseignant/eleves/<int:enrolment_pk>/", views.teacher_pupil, name="teacher_pupil"),
]
