from django.http import Http404

from extranet.models import User
from families.models import Family


def get_family_for_user(user: User, *related: str) -> Family:
    """The family of a family login, with its site (and the `related` objects, in the same
    query, as select_related() names them); 404 for any other account."""
    try:
        family = Family.objects.select_related(*related).get(account=user)
    except Family.DoesNotExist:
        raise Http404 from None
    if family.site_id != user.site_id:
        raise Http404
    family.site = user.site  # Same site as the login: saves a query on every page.
    return family
