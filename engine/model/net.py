"""Age-conditioned encoder–decoder.

The encoder sees only the face crop and maps it to a spatial code meant to hold pose, expression, light
and identity but not age (an adversary on the code removes age from it, as in Fader networks).
The decoder renders a whole face crop from that code; the target age enters only the decoder, through
FiLM (feature-wise scale and shift) at every resolution. This is the conditional-autoencoder family
(CAAE 2017, Fader networks 2017, DeepFaceLab's shared encoder): the network never receives age planes
stacked onto its input, and it outputs an image, not a correction added to the input.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from engine.model.config import ModelConfig


def _norm(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, c // 4) or 1, c)


class AgeEmbedding(nn.Module):
    """Continuous age -> vector: Fourier features of the normalised age, then an MLP."""

    freqs: torch.Tensor  # registered buffer (nn.Module's attribute lookup types buffers as Tensor | Module)

    def __init__(self, dim: int, n_freq: int = 6) -> None:
        super().__init__()
        self.register_buffer("freqs", torch.tensor([math.pi * (2 ** k) for k in range(n_freq)]) / 2, persistent=False)
        self.mlp = nn.Sequential(nn.Linear(2 * n_freq + 1, dim), nn.SiLU(), nn.Linear(dim, dim), nn.SiLU())

    def forward(self, age_unit: torch.Tensor) -> torch.Tensor:
        a = age_unit[:, None]
        feats = torch.cat([a, torch.sin(a * self.freqs), torch.cos(a * self.freqs)], dim=1)
        out: torch.Tensor = self.mlp(feats)  # nn.Module.__call__ is typed as returning Any
        return out


class FiLM(nn.Module):
    def __init__(self, embed: int, channels: int) -> None:
        super().__init__()
        self.proj = nn.Linear(embed, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        proj: torch.Tensor = self.proj(e)
        gamma, beta = proj[:, :, None, None].chunk(2, dim=1)
        return x * (1 + gamma) + beta


class ResBlock(nn.Module):
    def __init__(self, c: int, embed: int | None = None) -> None:
        super().__init__()
        self.n1, self.c1 = _norm(c), nn.Conv2d(c, c, 3, padding=1)
        self.n2, self.c2 = _norm(c), nn.Conv2d(c, c, 3, padding=1)
        self.film = FiLM(embed, c) if embed else None

    def forward(self, x: torch.Tensor, e: torch.Tensor | None = None) -> torch.Tensor:
        h: torch.Tensor = self.c1(F.silu(self.n1(x)))
        h = self.n2(h)
        if self.film is not None and e is not None:
            h = self.film(h, e)
        h = self.c2(F.silu(h))
        return x + h


class Encoder(nn.Module):
    """Space-to-depth first (no convolution ever runs at the crop's full resolution: on CPU those
    dominate the cost), then one stride-2 stage per further level."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        ch = cfg.channels
        self.stem = nn.Conv2d(12, ch[0], 3, padding=1)
        downs, blocks = [], []
        prev = ch[0]
        for c in ch[1:]:
            downs.append(nn.Conv2d(prev, c, 4, stride=2, padding=1))
            blocks.append(ResBlock(c))
            prev = c
        self.downs, self.blocks = nn.ModuleList(downs), nn.ModuleList(blocks)
        self.out = nn.Conv2d(prev, cfg.latent, 1)
        # Detail path: a few channels at half resolution carrying fine texture and exact feature positions
        # (what the 8x-downsampled code cannot hold). The latent adversary also watches it, so it carries
        # no age either: age still enters only through the decoder's condition.
        self.skip = nn.Conv2d(ch[0], cfg.skip, 1) if cfg.skip > 0 else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = F.silu(self.stem(F.pixel_unshuffle(x * 2 - 1, 2)))
        s = self.skip(h) if self.skip is not None else None
        for down, block in zip(self.downs, self.blocks):
            h = block(F.silu(down(h)))
        return self.out(h), s


class Decoder(nn.Module):
    """Mirror of the encoder, every stage modulated by the target age; the last convolution emits 4x3
    channels at half resolution that depth-to-space turns into the full-size RGB crop."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        ch = list(cfg.channels)
        e = cfg.age_embed
        self.embed = AgeEmbedding(e)
        self.inp = nn.Conv2d(cfg.latent, ch[-1], 3, padding=1)
        self.bottleneck = nn.ModuleList([ResBlock(ch[-1], e)])
        ups, films = [], []
        prev = ch[-1]
        for c in ch[::-1][1:]:
            ups.append(nn.Conv2d(prev, c, 3, padding=1))
            films.append(FiLM(e, c))
            prev = c
        self.ups, self.films = nn.ModuleList(ups), nn.ModuleList(films)
        self.skip_in = nn.Conv2d(cfg.skip, prev, 1) if cfg.skip > 0 else None
        self.refine = ResBlock(prev, e)
        self.out = nn.Conv2d(prev, 12, 3, padding=1)

    def forward(self, code: tuple[torch.Tensor, torch.Tensor | None], age_unit: torch.Tensor) -> torch.Tensor:
        z, s = code
        e = self.embed(age_unit)
        h = self.inp(z)
        for b in self.bottleneck:
            h = b(h, e)
        for up, film in zip(self.ups, self.films):
            h = F.silu(film(up(F.interpolate(h, scale_factor=2.0, mode="nearest")), e))
        if self.skip_in is not None and s is not None:
            h = h + self.skip_in(s)
        h = self.refine(h, e)
        return torch.sigmoid(F.pixel_shuffle(self.out(h), 2))


class LatentAgeAdversary(nn.Module):
    """Predicts age from the code; the encoder is trained to make it read a random age instead."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(cfg.latent + cfg.skip, 32, 3, padding=1), nn.SiLU(), nn.AdaptiveAvgPool2d(1),
                                 nn.Flatten(), nn.Linear(32, 1))

    def forward(self, code: tuple[torch.Tensor, torch.Tensor | None]) -> torch.Tensor:
        z, s = code
        if s is not None:
            z = torch.cat([z, F.adaptive_avg_pool2d(s, (z.shape[-2], z.shape[-1]))], dim=1)
        out: torch.Tensor = self.net(z)
        return out.squeeze(1)


class AgeCritic(nn.Module):
    """Per-performer age regressor on face crops, trained on the labelled reference crops; during
    training it tells the decoder whether a face rendered for age A looks A. Also usable on its own
    (``engine.evaluate`` trains a separate one on other identities as the independent judge)."""

    mask: torch.Tensor  # registered buffer (see AgeEmbedding.freqs)

    def __init__(self, crop: int, width: int = 24, realism: bool = False) -> None:
        super().__init__()
        from engine.face.mask import face_mask

        # Judge only the face inside the compositing mask: that is all the engine may change, so cues
        # outside it (hair) must not decide the verdict.
        self.register_buffer("mask", torch.from_numpy(face_mask(crop).copy())[None, None], persistent=False)
        layers: list[nn.Module] = []
        c_in, c = 3, width
        size = crop
        while size > 6:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), _norm(c), nn.SiLU()]
            c_in, c, size = c, min(c * 2, 128), size // 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 64), nn.SiLU(), nn.Linear(64, 1))
        # Optional second head: a conditional patch discriminator on the quarter-resolution features (fine
        # texture: lines, spots). It scores "a real crop of this performer at age a" per patch, with the age
        # entering by projection; training it on the decoder's outputs makes them sharp and their age cues
        # real ones, not patterns that only fool the age head.
        self.realism = None
        if realism:
            c_mid = width * 2
            self.realism = nn.Conv2d(c_mid, 64, 3, padding=1)
            self.realism_out = nn.Conv2d(64, 1, 1)
            self.realism_age = nn.Sequential(nn.Linear(1, 64), nn.SiLU(), nn.Linear(64, 64))

    def _masked(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.mask + 0.5 * (1 - self.mask)) * 2 - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.features(self._masked(x)))
        return out.squeeze(1)

    def age_and_realism(self, x: torch.Tensor, ages: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Age estimate and, for each age in ``ages``, patch realism logits of ``x`` shown as that age."""
        assert self.realism is not None
        h = self._masked(x)
        mid = None
        for k, layer in enumerate(self.features):
            h = layer(h)
            if k == 5:  # after the second stride-2 stage: crop / 4
                mid = h
        assert mid is not None
        f = F.silu(self.realism(mid))
        base = self.realism_out(f)
        outs = [base + (f * self.realism_age(a[:, None])[:, :, None, None]).sum(1, keepdim=True) / 8 for a in ages]
        return self.head(h).squeeze(1), outs


class AgeModel(nn.Module):
    """Everything a checkpoint holds. Inference needs only ``encoder`` and ``decoder``."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.adversary = LatentAgeAdversary(cfg)
        self.critic = AgeCritic(cfg.crop, realism=cfg.w_gan > 0)

    def forward(self, x: torch.Tensor, target_age_unit: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(self.encoder(x), target_age_unit)
        return out
