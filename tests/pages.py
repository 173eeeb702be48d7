"""The family pages of the portal, shared by the tests that go through all of them."""

# The student tabs, in the order of the sub-menu; {pk} is the student's id.
STUDENT_TABS = ["identite", "cours", "historique", "repertoire", "reinscription", "documents"]
STUDENT_PAGES = [f"/eleves/{{pk}}/{tab}/" for tab in STUDENT_TABS]
# Every page of the family portal behind the tab bar.
FAMILY_PAGES = ["/famille/accueil/", "/famille/", *STUDENT_PAGES, "/facturation/"]
# Pages that every account reaches, drawn in the same portal shell.
SHARED_PAGES = ["/accessibilite/", "/mot-de-passe/", "/mentions-legales/"]
