from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the OWASP minimum (m=19 MiB, t=2, p=1).

    Django's default (m=100 MiB, p=8) costs a 2-core host ten times more per login; on the
    morning re-enrollment opens, thousands of parents log in at once.
    bench/argon2_hashing.py measures both. Hashes made with other parameters are upgraded at
    the next login.
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
