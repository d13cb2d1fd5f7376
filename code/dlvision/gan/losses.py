"""The GAN objectives as losses to minimize, on the discriminator's probabilities.

The course writes them as objectives to maximize:

- D: E_x[log D(x)] + E_z[log(1 − D(G(z)))] (eq. 7), so D's loss is its negative, the binary
  cross-entropy of "real" on real images plus that of "fake" on generated ones;
- G, in the minimax game: min E_z[log(1 − D(G(z)))], the *saturating* loss: when D rejects the
  samples (D(G(z)) ≈ 0, early in training) its gradient vanishes;
- G, in practice: max E_z[log D(G(z))] (eq. 6), the *non-saturating* loss −log D(G(z)): the
  same fixed point, but a strong gradient exactly when G is bad.

Every function takes probabilities in (0, 1), as the course's discriminator (ending with a
sigmoid) gives them, and returns the mean over the batch. Logs are clamped at −100, as
``binary_cross_entropy`` does, so that a probability of exactly 0 or 1 gives a large loss, not
an infinite one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor, *,
                       real_label: float = 1.0) -> torch.Tensor:
    """−[mean log D(x) + mean log(1 − D(G(z)))]: d_real (N,), d_fake (M,) probabilities.

    real_label : the target of real images, 1 in the course. Below 1 (0.9 in Salimans et al.,
    2016) it is *one-sided label smoothing*: D is asked for 0.9 on real images, so it gains
    nothing by growing ever surer of them, and its gradient to G stays useful. Fake images keep
    their target 0.
    """
    if not 0.5 < real_label <= 1:
        raise ValueError(f"real_label must be in (0.5, 1], got {real_label}")
    return (F.binary_cross_entropy(d_real, torch.full_like(d_real, real_label))
            + F.binary_cross_entropy(d_fake, torch.zeros_like(d_fake)))


def generator_loss(d_fake: torch.Tensor, *, saturating: bool = False) -> torch.Tensor:
    """G's loss on d_fake = D(G(z)) (M,): −mean log D(G(z)) (non-saturating, the course's eq. 6,
    the default), or mean log(1 − D(G(z))) (``saturating``, the minimax game's)."""
    if saturating:
        return -F.binary_cross_entropy(d_fake, torch.zeros_like(d_fake))
    return F.binary_cross_entropy(d_fake, torch.ones_like(d_fake))


__all__ = ["discriminator_loss", "generator_loss"]
