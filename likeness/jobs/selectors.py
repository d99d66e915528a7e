"""Reading jobs and models: who sees which."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from likeness.consent.models import ConsentGrant
from likeness.jobs.models import Job, JobState, LikenessModel, ModelStatus, PreviewSession
from likeness.organisations.models import Role
from likeness.organisations.selectors import user_org_ids, user_roles
from likeness.people.selectors import performers_managed_by

STUDIO_ROLES = {Role.VFX_ARTIST, Role.VFX_SUPERVISOR, Role.LEGAL, Role.ADMIN}


def jobs_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Job]:
    """Auditors: all. Studio staff: their productions' jobs. Reps and counsel: their performers' jobs."""
    if user.is_superuser or Role.AUDITOR in user_roles(user):
        return Job.objects.all()
    return Job.objects.filter(Q(production__studio_id__in=user_org_ids(user, STUDIO_ROLES))
                              | Q(performer__in=performers_managed_by(user).values("pk")))


def models_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[LikenessModel]:
    if user.is_superuser or Role.AUDITOR in user_roles(user):
        return LikenessModel.objects.all()
    studio = user_org_ids(user, STUDIO_ROLES)
    return LikenessModel.objects.filter(Q(performer__in=performers_managed_by(user).values("pk"))
                                        | Q(grant__productions__studio_id__in=studio)).distinct()


def preview_sessions_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[PreviewSession]:
    """Auditors: all. Studio staff: their productions' previews. Reps and counsel: their performers' previews."""
    if user.is_superuser or Role.AUDITOR in user_roles(user):
        return PreviewSession.objects.all()
    return PreviewSession.objects.filter(Q(production__studio_id__in=user_org_ids(user, STUDIO_ROLES))
                                         | Q(performer__in=performers_managed_by(user).values("pk")))


# What a grant's withdrawal (revocation or expiry) touches. The receivers act on exactly these rows, and the
# revocation page previews them from the same functions, so the preview cannot drift from what happens.
def jobs_under_grant(grant: ConsentGrant) -> QuerySet[Job]:
    ids = Job.objects.filter(Q(submit_decision__grants=grant) | Q(likeness_model__grant=grant)).values("pk")
    return Job.objects.filter(pk__in=ids)  # ids first: PostgreSQL refuses FOR UPDATE with DISTINCT


def jobs_cancelled_by_withdrawal(grant: ConsentGrant) -> QuerySet[Job]:
    """Jobs not yet started: cancelled in the revoking transaction."""
    return jobs_under_grant(grant).filter(state__in=[JobState.SUBMITTED, JobState.QUEUED])


def jobs_stopped_by_withdrawal(grant: ConsentGrant) -> QuerySet[Job]:
    """Running jobs: they stop at their next consent check, within one chunk of frames."""
    return jobs_under_grant(grant).filter(state=JobState.RUNNING)


def models_quarantined_by_withdrawal(grant: ConsentGrant) -> QuerySet[LikenessModel]:
    return LikenessModel.objects.filter(grant=grant, status__in=[ModelStatus.TRAINING, ModelStatus.READY])
