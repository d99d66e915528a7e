"""Jobs and the per-performer models they build.

A Job moves through: submitted -> denied | queued -> running -> (training) completed | (aging)
awaiting_approval -> released | declined | withdrawn; or cancelled, failed, revoked (JOB_STATES has every
move). Every gate evaluation it went through is kept in `decisions`. A LikenessModel records the consent it was
trained under and what it was trained on.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from likeness.common.transitions import StateMachine


class ModelStatus(models.TextChoices):
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    QUARANTINED = "quarantined", "Quarantined (its consent ended)"
    DESTROYED = "destroyed", "Destroyed (weights deleted)"
    FAILED = "failed", "Training failed"


# A model is trained, then used until its consent ends (quarantined), when its weights may be destroyed.
MODEL_STATES = StateMachine("model", states=ModelStatus.values, initial=[ModelStatus.TRAINING], moves={
    ModelStatus.TRAINING: [ModelStatus.READY, ModelStatus.FAILED, ModelStatus.QUARANTINED],
    ModelStatus.READY: [ModelStatus.QUARANTINED],
    ModelStatus.QUARANTINED: [ModelStatus.DESTROYED],
})


class LikenessModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    performer = models.ForeignKey("people.Performer", on_delete=models.PROTECT, related_name="likeness_models")
    size = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=ModelStatus.choices, default=ModelStatus.TRAINING)
    # Lineage: the consent and decision it was trained under, and what it was trained on.
    grant = models.ForeignKey("consent.ConsentGrant", on_delete=models.PROTECT, related_name="likeness_models")
    decision = models.ForeignKey("policy.Decision", on_delete=models.PROTECT, related_name="+")
    reference_materials = models.ManyToManyField("people.ReferenceMaterial", related_name="likeness_models")
    reference_sha256 = models.JSONField(default=list, help_text="SHA-256 of each reference file, as trained")
    dataset_manifest_sha256 = models.CharField(max_length=64, blank=True)
    checkpoint = models.FileField(upload_to="models/%Y/%m/", blank=True)
    weights_sha256 = models.CharField(max_length=64, blank=True)
    training_steps = models.PositiveIntegerField(default=0)
    age_range = models.JSONField(default=list, blank=True)
    # The ages the checkpoint can render ([lowest, highest], from its configuration); empty for a model trained
    # before it was recorded, whose range the worker still checks when it loads the weights.
    target_ages = models.JSONField(default=list, blank=True)
    # What the reference frames show besides age, per age bin, and what training could not even out
    # (engine/balance.py: bins, differences, warnings); empty for a model trained before it was recorded.
    reference_balance = models.JSONField(default=dict, blank=True)
    engine_version = models.CharField(max_length=32, blank=True)
    # What training drew (on the worker, next to the checkpoint): pages show these files, never torch.
    loss_history = models.JSONField(default=dict, blank=True, help_text="loss series by name, thinned to <= 200 points")
    loss_curves = models.FileField(upload_to="models/figures/%Y/%m/", blank=True)
    age_sweep = models.FileField(upload_to="models/figures/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    quarantined_at = models.DateTimeField(null=True, blank=True)
    quarantine_reason = models.TextField(blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.performer} {self.size} model ({self.status})"

    def target_age_refusal(self, age: float) -> str | None:
        """Why this model cannot render ``age``, or None when it can (or its range was not recorded)."""
        if len(self.target_ages) != 2:
            return None
        low, high = (float(a) for a in self.target_ages)
        if low <= age <= high:
            return None
        return f"this model renders ages {low:g}-{high:g}; {age:g} is outside what it was trained to produce"


class OutputCodec(models.TextChoices):
    """How an aging job's output is encoded. Both are H.264 in MP4, which the platform signs (C2PA) and its review
    player decodes on the server. The lossless one is RGB H.264 (High 4:4:4): FFmpeg-based players and tools
    open it, browsers do not."""

    H264 = "h264", "H.264 review copy (lossy, small)"
    LOSSLESS = "h264-lossless", "Lossless H.264 in RGB (every pixel outside the face kept, for delivery)"


class JobKind(models.TextChoices):
    TRAINING = "training", "Training"
    AGING = "aging", "Aging"


class JobState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    DENIED = "denied", "Denied by the gate"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed (model ready)"
    AWAITING_APPROVAL = "awaiting_approval", "Rendered, awaiting approval"
    RELEASED = "released", "Released"
    DECLINED = "declined", "Output declined"
    WITHDRAWN = "withdrawn", "Output withdrawn: its consent ended"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    REVOKED = "revoked", "Stopped: consent no longer covers it"


# A job is created and gated in one transaction (submitted is never seen outside it); a worker claims it (and
# may give it back, or die and have it queued again); training completes, aging awaits approval of its output,
# which is released, declined or withdrawn. Every other end is a stop: cancelled, failed, or revoked by the gate.
JOB_STATES = StateMachine("job", states=JobState.values, initial=[JobState.SUBMITTED], moves={
    JobState.SUBMITTED: [JobState.QUEUED, JobState.DENIED],
    JobState.QUEUED: [JobState.RUNNING, JobState.CANCELLED, JobState.FAILED],
    JobState.RUNNING: [JobState.QUEUED, JobState.COMPLETED, JobState.AWAITING_APPROVAL, JobState.CANCELLED,
                       JobState.FAILED, JobState.REVOKED],
    JobState.AWAITING_APPROVAL: [JobState.RELEASED, JobState.DECLINED, JobState.WITHDRAWN],
})
TERMINAL_STATES = JOB_STATES.final


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=JobKind.choices)
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.SUBMITTED, db_index=True)
    state_reason = models.TextField(blank=True)
    performer = models.ForeignKey("people.Performer", on_delete=models.PROTECT, related_name="jobs")
    production = models.ForeignKey("productions.Production", on_delete=models.PROTECT, related_name="jobs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    params = models.JSONField(default=dict)
    # Training: its inputs, and the model it builds. Aging: the model it uses and the plate.
    reference_materials = models.ManyToManyField("people.ReferenceMaterial", blank=True, related_name="jobs")
    trained_model = models.OneToOneField(LikenessModel, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="training_job")
    likeness_model = models.ForeignKey(LikenessModel, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="aging_jobs")
    plate = models.FileField(upload_to="plates/%Y/%m/", blank=True)
    plate_sha256 = models.CharField(max_length=64, blank=True)
    output = models.OneToOneField("provenance.Output", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="job")
    decisions = models.ManyToManyField("policy.Decision", related_name="jobs", blank=True)
    submit_decision = models.ForeignKey("policy.Decision", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    # Progress, for the API and the pages.
    stage = models.CharField(max_length=32, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    eta_seconds = models.FloatField(null=True, blank=True)
    engine_seconds = models.FloatField(null=True, blank=True)
    # Claiming: a worker owns the job while its heartbeat is fresh; `attempt` fences off a stale worker.
    attempt = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} job {str(self.id)[:8]} ({self.state})"


class JobLogLine(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="log_lines")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, default="info")
    message = models.TextField()

    class Meta:
        ordering = ["id"]


class PreviewSource(models.TextChoices):
    REFERENCE = "reference", "A reference video of the performer"
    PLATE = "plate", "The plate of an aging job"
    CAMERA = "camera", "A camera on the worker"


class PreviewState(models.TextChoices):
    DENIED = "denied", "Denied by the gate"
    QUEUED = "queued", "Waiting for a GPU worker"
    RUNNING = "running", "Streaming"
    STOPPED = "stopped", "Stopped"
    FINISHED = "finished", "Source ended"
    REVOKED = "revoked", "Stopped: consent no longer covers it"
    FAILED = "failed", "Failed"


# A preview is created denied or queued; a worker streams it until a person stops it, its source ends, the gate
# says no, or it fails (its worker died).
PREVIEW_STATES = StateMachine("preview", states=PreviewState.values, initial=[PreviewState.QUEUED, PreviewState.DENIED],
                              moves={
    PreviewState.QUEUED: [PreviewState.RUNNING, PreviewState.STOPPED],
    PreviewState.RUNNING: [PreviewState.STOPPED, PreviewState.FINISHED, PreviewState.REVOKED, PreviewState.FAILED],
})
PREVIEW_LIVE_STATES = frozenset(PREVIEW_STATES.states) - PREVIEW_STATES.final


class PreviewSession(models.Model):
    """One live on-set preview (as filmed | aged): gated like a job, run by a GPU worker, never released.

    The worker writes the latest side-by-side frame to a per-session folder under PREVIEW_DIR (shared
    with the web process, which only reads the JPEG) and its per-stage latencies here about once a second.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    performer = models.ForeignKey("people.Performer", on_delete=models.PROTECT, related_name="preview_sessions")
    production = models.ForeignKey("productions.Production", on_delete=models.PROTECT, related_name="preview_sessions")
    likeness_model = models.ForeignKey(LikenessModel, on_delete=models.PROTECT, related_name="preview_sessions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_kind = models.CharField(max_length=16, choices=PreviewSource.choices)
    reference_material = models.ForeignKey("people.ReferenceMaterial", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    plate_job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    camera_index = models.PositiveSmallIntegerField(null=True, blank=True)
    target_age = models.FloatField()
    loop = models.BooleanField(default=True, help_text="play a file source again from the start when it ends")
    max_seconds = models.PositiveIntegerField(default=600)
    state = models.CharField(max_length=16, choices=PreviewState.choices, default=PreviewState.QUEUED, db_index=True)
    state_reason = models.TextField(blank=True)
    decision = models.ForeignKey("policy.Decision", on_delete=models.PROTECT, related_name="+")
    decisions = models.ManyToManyField("policy.Decision", related_name="preview_sessions", blank=True)
    # Live figures from the worker.
    worker = models.CharField(max_length=200, blank=True)
    frames = models.PositiveIntegerField(default=0)
    frames_with_face = models.PositiveIntegerField(default=0)
    fps = models.FloatField(null=True, blank=True)
    latency_ms = models.JSONField(default=dict, blank=True, help_text="per stage: last and mean milliseconds")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"preview {str(self.id)[:8]} of {self.performer} at {self.target_age:g} ({self.state})"

    @property
    def live(self) -> bool:
        return self.state in PREVIEW_LIVE_STATES
