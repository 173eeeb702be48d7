# Filled by its issue.
