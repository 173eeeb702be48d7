from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from extranet.admin_scope import SiteScopedHistoryAdmin
from students.models import SchoolLevel, Student


class SchoolLevelInline(admin.TabularInline):
    model = SchoolLevel
    extra = 0


@admin.register(Student)
class StudentAdmin(SiteScopedHistoryAdmin):
    list_display = ["__str__", "family", "date_naissance", "site_name"]
    list_filter = ["family__site"]
    list_select_related = ["family__site"]
    search_fields = ["nom", "prenom", "family__nom", "family__account__username"]
    autocomplete_fields = ["family"]
    inlines = [SchoolLevelInline]

    @admin.display(description=_("site"), ordering="family__site__name")
    def site_name(self, student: Student) -> str:
        return student.family.site.name
