"""Who may see and do what: the platform's one access model.

Every answer comes from relationships in force, never from a role alone:

- **Representation**: talent reps and legal of an organisation that represents a performer manage that
  performer's consent, see all of it (contracts and compensation included) and approve outputs.
- **A studio's productions**: VFX staff, legal and admins of a studio see the jobs, models, outputs and
  decisions of their productions, and see a performer (and the grants naming their productions) only while an
  *active* grant names one of their productions. A draft confers nothing; compensation and contracts reach
  the studio's legal and admins only, never VFX staff.
- **Audit engagements**: an auditor reads only what an engagement in force covers (organisations, performers,
  a period of records) and writes nothing. The auditor role alone reaches nothing.
- **Operators** (superusers) read everything and run the platform (organisations, memberships, engagements,
  signing keys); they act on consent only through relationships like anyone else.

A user with several roles gets the union of what each allows; an auditor role never adds a write right.

`reach` says who the user is; `scope` gives the querysets of what they may see or use (selectors filter with
them); `predicates` answers "may this user do this to that" (services enforce them, the API and the pages ask
the same ones before offering an action).
"""
