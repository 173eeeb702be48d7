from __future__ import annotations

import datetime
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from extranet.models import SchoolYear, Site
from students.models import Student


def hhmm(minutes: int | None) -> str:
    """A duration as the legacy portal shows it: 00:30, 01:15."""
    if minutes is None:
        return ""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class Weekday(models.IntegerChoices):
    LUNDI = 1, _("Lundi")
    MARDI = 2, _("Mardi")
    MERCREDI = 3, _("Mercredi")
    JEUDI = 4, _("Jeudi")
    VENDREDI = 5, _("Vendredi")
    SAMEDI = 6, _("Samedi")
    DIMANCHE = 7, _("Dimanche")


class Department(models.Model):
    """A department of a conservatoire: Musique, Danse, Théâtre."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    name = models.CharField(_("nom"), max_length=100)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="unique_department")]

    def __str__(self) -> str:
        return self.name


class Cursus(models.Model):
    """A curriculum ("cursus") grouping the courses a pupil follows together."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    department = models.ForeignKey(
        Department, verbose_name=_("département"), on_delete=models.PROTECT
    )
    name = models.CharField(_("nom"), max_length=100)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("cursus")
        verbose_name_plural = _("cursus")

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    """A course as the catalogue names it: "clarinette MOISSY", "FM 1.3", "HARPE"."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    department = models.ForeignKey(
        Department, verbose_name=_("département"), on_delete=models.PROTECT
    )
    cursus = models.ForeignKey(
        Cursus, verbose_name=_("cursus"), on_delete=models.SET_NULL, null=True, blank=True
    )
    name = models.CharField(_("nom"), max_length=100)
    collective = models.BooleanField(_("cours collectif"), default=False)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("cours")
        verbose_name_plural = _("cours")

    def __str__(self) -> str:
        return self.name


class Teacher(models.Model):
    """A teacher of a site, with the login of the "Accès enseignant"."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teacher",
    )
    nom = models.CharField(_("nom"), max_length=100)
    prenom = models.CharField(_("prénom"), max_length=100)
    label = models.CharField(
        _("libellé"), max_length=150, blank=True, help_text=_("Par exemple « (Moissy) ».")
    )
    email = models.EmailField(_("e-mail"), blank=True)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["nom", "prenom"]
        verbose_name = _("enseignant")
        verbose_name_plural = _("enseignants")

    def __str__(self) -> str:
        name = f"{self.nom.upper()} {self.prenom}"
        return f"{name} {self.label}" if self.label else name


class Room(models.Model):
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    name = models.CharField(_("nom"), max_length=100)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("salle")
        verbose_name_plural = _("salles")

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):
    """A weekly time slot of a course for a school year: teacher, room, day, time, capacity."""

    course = models.ForeignKey(
        Course, verbose_name=_("cours"), on_delete=models.PROTECT, related_name="slots"
    )
    teacher = models.ForeignKey(
        Teacher, verbose_name=_("enseignant"), on_delete=models.PROTECT, related_name="slots"
    )
    room = models.ForeignKey(
        Room, verbose_name=_("salle"), on_delete=models.SET_NULL, null=True, blank=True
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("année scolaire"), on_delete=models.PROTECT, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("heure de début"))
    duration = models.PositiveSmallIntegerField(_("durée (minutes)"))
    capacity = models.PositiveSmallIntegerField(_("places"), default=1)
    parent_meetings = models.CharField(
        _("rendez-vous parents-professeurs"),
        max_length=300,
        blank=True,
        help_text=_("Dates annoncées aux familles quand la réinscription est validée."),
    )

    SITE_LOOKUP = "course__site"

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")

    def __str__(self) -> str:
        return (
            f"{self.course} · {self.get_weekday_display()} "
            f"{self.start_time:%H:%M} · {self.teacher} ({self.school_year})"
        )

    def get_weekday_display(self) -> Any:  # type: ignore[no-redef]  # Replaces Django's.
        """The day's name, as Django's generated method gives it. Django's builds a dict of the
        7 choices at each call, translating every label to hash it; the Réinscription tab
        draws a slot's day 20 to 30 times, so this looks the one label up instead."""
        try:
            return str(Weekday(self.weekday).label)
        except ValueError:  # Not a day: the value itself, as Django's method gives it.
            return self.weekday

    @property
    def end_time(self) -> datetime.time:
        start = datetime.datetime.combine(datetime.date(2000, 1, 1), self.start_time)
        return (start + datetime.timedelta(minutes=self.duration)).time()

    @property
    def duration_display(self) -> str:
        return hhmm(self.duration)

    def lesson_dates(self) -> list[datetime.date]:
        """Every date of this slot's weekday within its school year."""
        start = self.school_year.start_date
        first = start + datetime.timedelta(days=(self.weekday - start.isoweekday()) % 7)
        days = (self.school_year.end_date - first).days
        return [first + datetime.timedelta(weeks=w) for w in range(days // 7 + 1)]

    def is_lesson_date(self, day: datetime.date) -> bool:
        return (
            day.isoweekday() == self.weekday
            and self.school_year.start_date <= day <= self.school_year.end_date
        )


class Enrolment(models.Model):
    """A pupil's place in a slot for a school year ("suivi"), with the year's results."""

    student = models.ForeignKey(
        Student, verbose_name=_("élève"), on_delete=models.CASCADE, related_name="enrolments"
    )
    slot = models.ForeignKey(
        Slot, verbose_name=_("créneau"), on_delete=models.PROTECT, related_name="enrolments"
    )
    cycle = models.CharField(_("Cycle"), max_length=20, blank=True)
    horaires_amenages = models.BooleanField(_("Horaires aménagés"), default=False)
    active = models.BooleanField(_("Actif"), default=True)
    motif = models.CharField(_("Motif"), max_length=200, blank=True)
    passage_time = models.TimeField(_("Heure de passage"), null=True, blank=True)
    passage_duration = models.PositiveSmallIntegerField(
        _("Durée de passage (minutes)"), null=True, blank=True
    )
    start_date = models.DateField(_("Date de début"), null=True, blank=True)
    end_date = models.DateField(_("Date de fin"), null=True, blank=True)
    moyenne = models.DecimalField(
        _("Moyenne"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    moyenne_sur = models.DecimalField(
        _("Moyenne sur"), max_digits=5, decimal_places=2, default=Decimal("5.00")
    )
    moyenne_lettree = models.CharField(_("Moyenne lettrée"), max_length=10, blank=True)
    mention = models.CharField(_("Mention"), max_length=100, blank=True)
    resultat = models.CharField(_("Résultat"), max_length=100, blank=True)
    admission = models.CharField(_("Admission"), max_length=100, blank=True)

    SITE_LOOKUP = "student__family__site"

    class Meta:
        ordering = ["slot__course__name"]
        verbose_name = _("inscription à un cours")
        verbose_name_plural = _("inscriptions aux cours")
        constraints = [
            models.UniqueConstraint(fields=["student", "slot"], name="one_enrolment_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.slot.course}"

    @property
    def situation(self) -> str:
        return str(_("Actif")) if self.active else str(_("Inactif"))

    @property
    def lesson_time(self) -> datetime.time:
        return self.passage_time or self.slot.start_time

    @property
    def lesson_duration(self) -> int:
        return self.passage_duration or self.slot.duration

    @property
    def lesson_duration_display(self) -> str:
        return hhmm(self.lesson_duration)

    @property
    def lesson_end_time(self) -> datetime.time:
        start = datetime.datetime.combine(datetime.date(2000, 1, 1), self.lesson_time)
        return (start + datetime.timedelta(minutes=self.lesson_duration)).time()


class Evaluation(models.Model):
    """A mark or appraisal a teacher gives a pupil in a course."""

    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("suivi"), on_delete=models.CASCADE, related_name="evaluations"
    )
    type_evaluation = models.CharField(_("Type d'évaluation"), max_length=100)
    date = models.DateField(_("Date"))
    type_critere = models.CharField(
        _("Type de critère"), max_length=100, blank=True, default="Contrôle continu"
    )
    note = models.DecimalField(_("Note"), max_digits=5, decimal_places=2, null=True, blank=True)
    note_sur = models.DecimalField(
        _("Note sur"), max_digits=5, decimal_places=2, default=Decimal("5.00")
    )
    lettre = models.CharField(_("Lettre"), max_length=10, blank=True)
    mention = models.CharField(_("Mention"), max_length=100, blank=True)
    appreciation = models.TextField(_("Appréciation"), blank=True)
    choix = models.CharField(_("Choix"), max_length=100, blank=True)
    absent = models.BooleanField(_("Absent"), default=False)
    motif = models.CharField(_("Motif"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        Teacher, verbose_name=_("saisie par"), on_delete=models.SET_NULL, null=True, blank=True
    )
    recorded_at = models.DateTimeField(_("saisie le"), auto_now=True)

    SITE_LOOKUP = "enrolment__student__family__site"

    class Meta:
        ordering = ["-date", "pk"]
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")

    def __str__(self) -> str:
        return f"{self.type_evaluation} {self.date:%d/%m/%Y}"


class AbsenceReason(models.TextChoices):
    MALADIE = "maladie", _("Maladie")
    MEDICAL = "medical", _("Rendez-vous médical")
    FAMILLE = "famille", _("Événement familial")
    SCOLAIRE = "scolaire", _("Activité ou examen scolaire")
    TRANSPORT = "transport", _("Problème de transport")
    AUTRE = "autre", _("Autre motif")


class Absence(models.Model):
    """A pupil's absence (or lateness) from a lesson, recorded by the teacher or told by the
    family ahead of time; a justification told by the family waits for the secretariat."""

    class Kind(models.TextChoices):
        ABSENT = "absent", _("Absent")
        LATE = "late", _("Retard")

    class Source(models.TextChoices):
        TEACHER = "teacher", _("Enseignant")
        FAMILY = "family", _("Famille")

    class Justification(models.TextChoices):
        NONE = "", _("Aucune")
        PENDING = "pending", _("Justification à examiner")
        ACCEPTED = "accepted", _("Justification acceptée")
        REFUSED = "refused", _("Justification refusée")

    class NotificationType(models.TextChoices):
        EMAIL = "email", _("E-mail")
        COURRIER = "courrier", _("Courrier")
        SMS = "sms", _("SMS")
        TELEPHONE = "telephone", _("Téléphone")

    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("suivi"), on_delete=models.CASCADE, related_name="absences"
    )
    date = models.DateField(_("Date de début"))
    start_time = models.TimeField(_("Heure de début"))
    end_date = models.DateField(_("Date de fin"))
    end_time = models.TimeField(_("Heure de fin"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.ABSENT)
    caracteristique = models.CharField(_("Caractéristique"), max_length=200, blank=True)
    justified = models.BooleanField(_("Justifiée"), default=False)
    notified = models.BooleanField(_("Absence notifiée"), default=False)
    notification_date = models.DateField(_("Date de la notification"), null=True, blank=True)
    notification_type = models.CharField(
        _("Type de notification"), max_length=10, choices=NotificationType.choices, blank=True
    )
    source = models.CharField(
        _("signalée par"), max_length=10, choices=Source.choices, default=Source.TEACHER
    )
    family_reason = models.CharField(
        _("motif donné par la famille"), max_length=20, choices=AbsenceReason.choices, blank=True
    )
    family_comment = models.TextField(_("commentaire de la famille"), blank=True)
    family_declared_at = models.DateTimeField(
        _("signalée par la famille le"), null=True, blank=True
    )
    justification = models.CharField(
        _("justification"), max_length=10, choices=Justification.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        Teacher, verbose_name=_("relevée par"), on_delete=models.SET_NULL, null=True, blank=True
    )

    SITE_LOOKUP = "enrolment__student__family__site"

    class Meta:
        ordering = ["-date", "-start_time"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "date"], name="one_absence_per_lesson")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} {self.date:%d/%m/%Y}"


class RepertoireEntry(models.Model):
    """A piece a pupil works on ("Répertoire"), filled by teachers."""

    class Status(models.TextChoices):
        A_TRAVAILLER = "a_travailler", _("À travailler")
        EN_COURS = "en_cours", _("En cours")
        ACQUIS = "acquis", _("Acquis")
        AUDITION = "audition", _("Joué en audition")

    student = models.ForeignKey(
        Student, verbose_name=_("élève"), on_delete=models.CASCADE, related_name="repertoire"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("cours"), on_delete=models.SET_NULL, null=True, blank=True
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("année"), on_delete=models.PROTECT, related_name="+"
    )
    composer = models.CharField(_("Compositeur"), max_length=150)
    title = models.CharField(_("Titre"), max_length=200)
    status = models.CharField(
        _("Statut"), max_length=20, choices=Status.choices, default=Status.EN_COURS
    )
    added_by = models.ForeignKey(
        Teacher, verbose_name=_("ajouté par"), on_delete=models.SET_NULL, null=True, blank=True
    )

    SITE_LOOKUP = "student__family__site"

    class Meta:
        ordering = ["-school_year__start_date", "composer", "title"]
        verbose_name = _("morceau du répertoire")
        verbose_name_plural = _("répertoire")

    def __str__(self) -> str:
        return f"{self.composer} : {self.title}"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The private address of a pupil's iCalendar feed; renewing it revokes the old one."""

    student = models.OneToOneField(
        Student, verbose_name=_("élève"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now=True)

    SITE_LOOKUP = "student__family__site"

    class Meta:
        verbose_name = _("calendrier")
        verbose_name_plural = _("calendriers")

    def __str__(self) -> str:
        return str(self.student)
