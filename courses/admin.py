from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from courses import services
from courses.models import (
    Absence,
    CalendarFeed,
    Course,
    Cursus,
    Department,
    Enrolment,
    Evaluation,
    RepertoireEntry,
    Room,
    Slot,
    Teacher,
)
from extranet.admin_scope import SiteScopedAdmin, SiteScopedTabularInline
from extranet.models import User


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class ScopedValuesFilter(admin.AllValuesFieldListFilter):
    """A filter by a value across a relation (a department's name) that offers only the values
    of the rows the staff member may see: the stock filter reads them from every site."""

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: Any,
        model: Any,
        model_admin: Any,
        field_path: str,
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = (
            model_admin.get_queryset(request)
            .distinct()
            .order_by(field_path)
            .values_list(field_path, flat=True)
        )


@admin.register(Department)
class DepartmentAdmin(SiteScopedAdmin):
    list_display = ["name", "site"]
    list_filter = ["site"]
    search_fields = ["name"]


@admin.register(Cursus)
class CursusAdmin(SiteScopedAdmin):
    list_display = ["name", "department", "site"]
    list_filter = ["site", ("department__name", ScopedValuesFilter)]
    search_fields = ["name"]


@admin.register(Course)
class CourseAdmin(SiteScopedAdmin):
    list_display = ["name", "department", "cursus", "collective", "site"]
    list_filter = ["site", ("department__name", ScopedValuesFilter), "collective"]
    list_select_related = ["department", "cursus", "site"]
    search_fields = ["name"]


@admin.register(Teacher)
class TeacherAdmin(SiteScopedAdmin):
    list_display = ["__str__", "site", "account", "email"]
    list_filter = ["site"]
    list_select_related = ["site", "account"]
    search_fields = ["nom", "prenom", "account__username"]
    autocomplete_fields = ["account"]


@admin.register(Room)
class RoomAdmin(SiteScopedAdmin):
    list_display = ["name", "site"]
    list_filter = ["site"]
    search_fields = ["name"]


class EnrolmentInline(SiteScopedTabularInline):
    model = Enrolment
    extra = 0
    autocomplete_fields = ["student"]
    fields = ["student", "cycle", "horaires_amenages", "active", "passage_time"]


@admin.register(Slot)
class SlotAdmin(SiteScopedAdmin):
    list_display = [
        "course",
        "teacher",
        "room",
        "weekday",
        "start_time",
        "duration",
        "capacity",
        "school_year",
    ]
    list_filter = [
        "school_year",
        "course__site",
        "weekday",
        ("course__department__name", ScopedValuesFilter),
    ]
    list_select_related = ["course", "teacher", "room", "school_year"]
    search_fields = ["course__name", "teacher__nom"]
    autocomplete_fields = ["course", "teacher", "room"]
    inlines = [EnrolmentInline]


@admin.register(Enrolment)
class EnrolmentAdmin(SiteScopedAdmin):
    list_display = ["student", "slot", "cycle", "active", "moyenne", "resultat"]
    list_filter = ["slot__school_year", "active", "slot__course__site"]
    list_select_related = [
        "student",
        "slot__course",
        "slot__teacher",
        "slot__school_year",
        "slot__room",
    ]
    search_fields = ["student__nom", "student__prenom", "slot__course__name"]
    autocomplete_fields = ["student", "slot"]


@admin.register(Evaluation)
class EvaluationAdmin(SiteScopedAdmin):
    list_display = ["enrolment", "type_evaluation", "date", "note", "note_sur", "recorded_by"]
    list_filter = ["date", "type_evaluation"]
    list_select_related = ["enrolment__student", "enrolment__slot__course", "recorded_by"]
    search_fields = ["enrolment__student__nom", "type_evaluation"]
    autocomplete_fields = ["enrolment"]


@admin.register(Absence)
class AbsenceAdmin(SiteScopedAdmin):
    list_display = [
        "enrolment",
        "date",
        "kind",
        "justified",
        "source",
        "family_reason",
        "justification",
        "notified",
    ]
    list_filter = ["justification", "justified", "source", "kind", "date"]
    list_select_related = ["enrolment__student", "enrolment__slot__course"]
    search_fields = ["enrolment__student__nom", "enrolment__student__prenom"]
    autocomplete_fields = ["enrolment"]
    actions = ["accept_justification", "refuse_justification"]

    @admin.action(description=_("Accepter la justification de la famille"))
    def accept_justification(self, request: HttpRequest, queryset: QuerySet[Absence]) -> None:
        for absence in queryset:
            services.absence_justification_decide(absence=absence, accept=True, by=_user(request))
        self.message_user(request, _("Justifications acceptées."), messages.SUCCESS)

    @admin.action(description=_("Refuser la justification de la famille"))
    def refuse_justification(self, request: HttpRequest, queryset: QuerySet[Absence]) -> None:
        for absence in queryset:
            services.absence_justification_decide(absence=absence, accept=False, by=_user(request))
        self.message_user(request, _("Justifications refusées."), messages.SUCCESS)


@admin.register(RepertoireEntry)
class RepertoireEntryAdmin(SiteScopedAdmin):
    list_display = ["composer", "title", "student", "course", "school_year", "status"]
    list_filter = ["school_year", "status"]
    list_select_related = ["student", "course", "school_year"]
    search_fields = ["composer", "title", "student__nom"]
    autocomplete_fields = ["student"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(SiteScopedAdmin):
    list_display = ["student", "created_at"]
    search_fields = ["student__nom"]
    readonly_fields = ["token", "created_at"]
    autocomplete_fields = ["student"]
