"""Training a per-performer age model from aligned face crops labelled with the performer's age.

There are no paired images (the same shot at two ages), so the model learns from four signals:

* reconstruction: decoding a crop's code at its own age gives the crop back (L1 + image gradients);
* a latent adversary: the code must not reveal age, so age can only come from the decoder's condition;
* an age critic: a regressor trained on the labelled crops (first on its own, so that it already reads
  age when the decoder starts being judged) judges decodes at *other* ages, pushing the
  decoder to show the target age; its second head, a conditional patch discriminator, learns to tell real
  crops at their own age from decodes at a target age (and from real crops shown with a wrong age), so
  the decoder must draw sharp, real-looking age cues rather than patterns that only fool the regressor;
* cycle and keep terms: re-encoding an aged decode and decoding at the original age returns the input,
  and the aged decode keeps the input's coarse layout (pose, light, identity).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from engine.device import autocast, backward, pick_device, seed_everything
from engine.errors import Cancelled, TrainingDataError
from engine.model.config import ModelConfig
from engine.model.net import AgeModel

ProgressFn = Callable[[str, int, int], None]
ContinueFn = Callable[[], bool]


@dataclass
class TrainResult:
    model: AgeModel
    steps: int
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0


def _to_tensor(crops: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(crops).to(device).permute(0, 3, 1, 2).float().div_(255.0)


def _grad_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    dxa, dxb = a[..., :, 1:] - a[..., :, :-1], b[..., :, 1:] - b[..., :, :-1]
    dya, dyb = a[..., 1:, :] - a[..., :-1, :], b[..., 1:, :] - b[..., :-1, :]
    return (dxa - dxb).abs().mean() + (dya - dyb).abs().mean()


def _masked_mean(v: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (v * w).sum() / (w.sum() * v.shape[0]).clamp_min(1.0)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Small random shifts/zoom/rotation and exposure changes: landmarks on real plates are never exact."""
    n = x.shape[0]
    dev = x.device

    def r(*s: int) -> torch.Tensor:
        return torch.rand(*s, generator=gen).to(dev)

    ang = (r(n) - 0.5) * math.radians(6)
    scale = 1 + (r(n) - 0.5) * 0.06
    tx, ty = (r(n) - 0.5) * 0.06, (r(n) - 0.5) * 0.06
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    gain = 1 + (r(n, 3, 1, 1) - 0.5) * 0.15
    return (x * gain).clamp(0, 1)


def train_age_model(crops: np.ndarray, ages: np.ndarray, cfg: ModelConfig, *, steps: int = 2000, batch_size: int = 32,
                    lr: float = 2e-3, seed: int = 0, device: str | torch.device | None = None,
                    progress: ProgressFn | None = None, should_continue: ContinueFn | None = None,
                    check_every: int = 25, sample_weights: np.ndarray | None = None) -> TrainResult:
    """Train on ``crops`` (N x S x S x 3 uint8, S = cfg.crop) with ``ages`` (N years). Batches are drawn
    uniformly, or by ``sample_weights`` (N, e.g. engine.balance.balance_weights) when given."""
    if len(crops) < 8:
        raise TrainingDataError(f"only {len(crops)} face crops: at least 8 are needed to train")
    if crops.shape[1:] != (cfg.crop, cfg.crop, 3):
        raise TrainingDataError(f"crops are {crops.shape[1:]}, the {cfg.name!r} model needs {cfg.crop}x{cfg.crop}x3")
    ages = np.asarray(ages, np.float32)
    if ages.max() - ages.min() < 5:
        raise TrainingDataError("reference ages span less than 5 years: the model cannot learn what age looks like")
    dev = pick_device(device if isinstance(device, str) or device is None else str(device))
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    model = AgeModel(cfg).to(dev)
    data = _to_tensor(crops, dev)
    age_u = torch.from_numpy((ages - cfg.age_min) / (cfg.age_max - cfg.age_min)).to(dev)
    lo, hi = float(age_u.min()), float(age_u.max())
    g_params = list(model.encoder.parameters()) + list(model.decoder.parameters())
    opt_a = torch.optim.AdamW(model.adversary.parameters(), lr=lr, betas=(0.5, 0.99))
    opt_g = torch.optim.AdamW(g_params, lr=lr, betas=(0.5, 0.99), weight_decay=1e-4)
    opt_c = torch.optim.AdamW(model.critic.parameters(), lr=lr, betas=(0.5, 0.99), weight_decay=1e-4)
    # Short linear warm-up, then cosine decay to 5%: stable early steps, a settled model at the end.
    warmup = max(1, steps // 20)
    shape = lambda i: min(1.0, (i + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(i, steps) / steps)))  # noqa: E731
    sched = torch.optim.lr_scheduler.LambdaLR(opt_g, shape)
    sched_c = torch.optim.lr_scheduler.LambdaLR(opt_c, shape)
    scaler = torch.amp.GradScaler("cuda", enabled=dev.type == "cuda" and not torch.cuda.is_bf16_supported())
    history: dict[str, list[float]] = {k: [] for k in ("rec", "grad", "cycle", "age", "latent_adv", "keep", "critic", "gan", "disc")}
    running = {k: 0.0 for k in history}
    log_every = max(1, steps // 100)
    t0 = time.monotonic()
    n = len(data)
    total = cfg.critic_steps + steps  # both phases count as one "train" stage for progress and cancellation

    def go_on(done: int) -> None:
        if should_continue is not None and done % check_every == 0 and not should_continue():
            raise Cancelled(f"training cancelled at step {done} of {total}")

    if sample_weights is not None and (len(sample_weights) != n or not np.all(np.isfinite(sample_weights))
                                       or sample_weights.min() < 0 or sample_weights.sum() <= 0):
        raise TrainingDataError(f"sample weights must be {n} finite, non-negative numbers, not all zero")
    draw = None if sample_weights is None else torch.from_numpy(np.asarray(sample_weights, np.float64))

    def batch() -> torch.Tensor:
        if draw is not None:
            return torch.multinomial(draw, min(batch_size, n), replacement=True, generator=gen).to(dev)
        return torch.randint(0, n, (min(batch_size, n),), generator=gen).to(dev)

    # The age critic learns to read age from the labelled crops before the decoder is judged by it. A
    # regressor like this sits at the mean age for a couple of hundred steps before it finds the cues;
    # learnt alongside the decoder, it gave no age signal until late in training, when the learning rate
    # had already decayed, and the decoder barely aged. Its own optimiser: plain Adam momentum and a
    # constant rate suit a lone regressor; the GAN-style settings of opt_c are for the joint phase.
    opt_c0 = torch.optim.AdamW(model.critic.parameters(), lr=lr * 0.5, weight_decay=1e-4)
    for step in range(cfg.critic_steps):
        go_on(step)
        idx = batch()
        with autocast(dev):
            c_loss = F.smooth_l1_loss(model.critic(_augment(data[idx], gen)), age_u[idx], beta=0.05)
        opt_c0.zero_grad(set_to_none=True)
        backward(scaler.scale(c_loss))
        scaler.step(opt_c0)
        scaler.update()
        if progress is not None:
            progress("train", step + 1, total)
    # The age term then ramps in over the first tenth of the decoder's steps, while it learns to reconstruct.
    warm = max(1, steps // 10)
    gan = cfg.w_gan > 0
    # Realism logits are per patch at a quarter of the crop: count only patches inside the face mask.
    patch_w = (F.avg_pool2d(model.critic.mask, 4) > 0.25).float()
    for step in range(steps):
        go_on(cfg.critic_steps + step)
        idx = batch()
        x = _augment(data[idx], gen)
        a = age_u[idx]
        a_t = (torch.rand(len(idx), generator=gen).to(dev) * (hi - lo) + lo)
        # --- encoder / decoder (critic and adversary frozen) ---
        model.critic.requires_grad_(False)
        model.adversary.requires_grad_(False)
        ramp = min(1.0, step / warm)
        with autocast(dev):
            code = model.encoder(x)
            rec = model.decoder(code, a)
            l_rec = (rec - x).abs().mean()
            l_grad = _grad_loss(rec, x)
            # Fader-style: the encoder is rewarded when the adversary reads a *random* age from the code.
            # (Maximising the adversary's error instead is unbounded and blows the code up.)
            l_adv = F.mse_loss(model.adversary(code), a_t.flip(0))
            fake = model.decoder(code, a_t)
            # The critic judges the decode through the same random shift, zoom, turn and exposure as the real
            # crops it learns from: a decoder that only fooled the critic with exact pixel patterns (its own
            # critic read 23 to 76 years, an independent judge 52 to 53) cannot move through that; drawn age
            # cues can.
            judged = _augment(fake, gen) if cfg.augment_judged else fake
            if gan:
                age_fake, (real_fake,) = model.critic.age_and_realism(judged, [a_t])
                l_gan = -_masked_mean(real_fake, patch_w)
            else:
                age_fake, l_gan = model.critic(judged), torch.zeros((), device=dev)
            l_age = F.smooth_l1_loss(age_fake, a_t, beta=0.05)
            if cfg.w_cycle > 0:
                l_cyc = (model.decoder(model.encoder(fake), a) - x).abs().mean()
            else:
                l_cyc = torch.zeros((), device=dev)
            l_keep = (F.avg_pool2d(fake, 8) - F.avg_pool2d(x, 8)).abs().mean()
            loss = (cfg.w_rec * l_rec + cfg.w_grad * l_grad + cfg.w_latent_adv * l_adv
                    + ramp * (cfg.w_age * l_age + cfg.w_cycle * l_cyc + cfg.w_gan * l_gan) + cfg.w_keep * l_keep)
        opt_g.zero_grad(set_to_none=True)
        backward(scaler.scale(loss))
        scaler.step(opt_g)
        scaler.update()
        sched.step()
        model.critic.requires_grad_(True)
        model.adversary.requires_grad_(True)
        # --- critic: learn age from the real (labelled) crops; its realism head (when on) tells real crops
        # at their own age from decodes at the target age and from real crops shown with a wrong age ---
        with autocast(dev):
            if gan:
                age_real, (r_real, r_wrong) = model.critic.age_and_realism(x, [a, a_t])
                _, (r_fake,) = model.critic.age_and_realism(judged.detach(), [a_t])
                wrong = ((a_t - a).abs() > 0.15).float()[:, None, None, None]
                d_loss = (_masked_mean(F.relu(1 - r_real), patch_w) + _masked_mean(F.relu(1 + r_fake), patch_w)
                          + cfg.w_mismatch * _masked_mean(F.relu(1 + r_wrong) * wrong, patch_w))
            else:
                age_real, d_loss = model.critic(x), torch.zeros((), device=dev)
            c_loss = F.smooth_l1_loss(age_real, a, beta=0.05)
        opt_c.zero_grad(set_to_none=True)
        backward(scaler.scale(c_loss + d_loss))
        scaler.step(opt_c)
        sched_c.step()
        # --- latent adversary: learn to read age from the (detached) code ---
        with autocast(dev):
            a_loss = F.mse_loss(model.adversary(tuple(c.detach() if c is not None else None for c in code)), a)
        opt_a.zero_grad(set_to_none=True)
        backward(a_loss)
        opt_a.step()
        for k, v in (("rec", l_rec), ("grad", l_grad), ("cycle", l_cyc), ("age", l_age), ("latent_adv", l_adv),
                     ("keep", l_keep), ("critic", c_loss), ("gan", l_gan), ("disc", d_loss)):
            running[k] += float(v.detach())
        if (step + 1) % log_every == 0 or step + 1 == steps:
            cnt = (step % log_every) + 1
            for k in history:
                history[k].append(running[k] / cnt)
                running[k] = 0.0
        if progress is not None:
            progress("train", cfg.critic_steps + step + 1, total)
    model.eval()
    return TrainResult(model=model.cpu(), steps=steps, history=history, seconds=time.monotonic() - t0)
