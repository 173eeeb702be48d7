import pytest
from django.test import Client

from families.models import Family


@pytest.mark.django_db
def test_landing_shows_the_three_entries_and_the_sites(client: Client, alice: Family) -> None:
    response = client.get("/")
    content = response.content.decode()
    assert response.status_code == 200
    for label in ("Accès usager", "Accès enseignant", "Pré-inscription", "Moissy-Cramayel"):
        assert label in content


def test_family_home_greets_the_responsible(alice_client: Client, alice: Family) -> None:
    response = alice_client.get("/famille/accueil/")
    assert "Bonjour Madame TEST FAMILLE" in response.content.decode()
