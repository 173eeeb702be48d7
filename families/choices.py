"""Choice lists shared by the responsible's record (Famille) and the student's (Identité)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Civilite(models.TextChoices):
    MADAME = "Madame", _("Madame")
    MONSIEUR = "Monsieur", _("Monsieur")
    MADEMOISELLE = "Mademoiselle", _("Mademoiselle")


class SituationFamiliale(models.TextChoices):
    CELIBATAIRE = "celibataire", _("Célibataire")
    MARIE = "marie", _("Marié(e)")
    PACSE = "pacse", _("Pacsé(e)")
    UNION_LIBRE = "union_libre", _("Vie maritale")
    SEPARE = "separe", _("Séparé(e)")
    DIVORCE = "divorce", _("Divorcé(e)")
    VEUF = "veuf", _("Veuf, veuve")


# INSEE "professions et catégories socioprofessionnelles" (PCS 2003), level 2: the categories
# a family can place itself in, as on CAF and school forms.
PCS_CHOICES = [
    ("10", _("Agriculteurs exploitants")),
    ("21", _("Artisans")),
    ("22", _("Commerçants et assimilés")),
    ("23", _("Chefs d'entreprise de 10 salariés ou plus")),
    ("31", _("Professions libérales")),
    ("33", _("Cadres de la fonction publique")),
    ("34", _("Professeurs, professions scientifiques")),
    ("35", _("Professions de l'information, des arts et des spectacles")),
    ("37", _("Cadres administratifs et commerciaux d'entreprise")),
    ("38", _("Ingénieurs et cadres techniques d'entreprise")),
    ("42", _("Professeurs des écoles, instituteurs et assimilés")),
    ("43", _("Professions intermédiaires de la santé et du travail social")),
    ("44", _("Clergé, religieux")),
    ("45", _("Professions intermédiaires administratives de la fonction publique")),
    ("46", _("Professions intermédiaires administratives et commerciales des entreprises")),
    ("47", _("Techniciens")),
    ("48", _("Contremaîtres, agents de maîtrise")),
    ("52", _("Employés civils et agents de service de la fonction publique")),
    ("53", _("Policiers et militaires")),
    ("54", _("Employés administratifs d'entreprise")),
    ("55", _("Employés de commerce")),
    ("56", _("Personnels des services directs aux particuliers")),
    ("62", _("Ouvriers qualifiés de type industriel")),
    ("63", _("Ouvriers qualifiés de type artisanal")),
    ("64", _("Chauffeurs")),
    ("65", _("Ouvriers qualifiés de la manutention, du magasinage et du transport")),
    ("67", _("Ouvriers non qualifiés de type industriel")),
    ("68", _("Ouvriers non qualifiés de type artisanal")),
    ("69", _("Ouvriers agricoles")),
    ("71", _("Anciens agriculteurs exploitants")),
    ("72", _("Anciens artisans, commerçants, chefs d'entreprise")),
    ("74", _("Anciens cadres")),
    ("75", _("Anciennes professions intermédiaires")),
    ("77", _("Anciens employés")),
    ("78", _("Anciens ouvriers")),
    ("81", _("Chômeurs n'ayant jamais travaillé")),
    ("83", _("Militaires du contingent")),
    ("84", _("Élèves, étudiants")),
    ("85", _("Personnes sans activité professionnelle de moins de 60 ans (sauf retraités)")),
    ("86", _("Personnes sans activité professionnelle de 60 ans et plus (sauf retraités)")),
]
