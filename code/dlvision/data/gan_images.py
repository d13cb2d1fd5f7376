"""What the GANs' training sets share: image sizes, the [-1, 1] range, the PIL transform.

A generator ending in ``tanh`` produces values in [-1, 1], so real images are scaled the same
way before the discriminator compares them.
"""

from __future__ import annotations

from torchvision import transforms as T

from .digits import ImageTensorDataset

GAN_SIZES = (32, 64)


def check_size(size: int) -> None:
    """``ValueError`` unless the course has an architecture for ``size``×``size`` images."""
    if size not in GAN_SIZES:
        raise ValueError(
            f"size must be one of {GAN_SIZES} (the course's architectures), got {size}"
        )


def gan_transform(size: int) -> T.Compose:
    """PIL image → (C, size, size) tensor in [-1, 1]: resize, centre crop, rescale."""
    return T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(),
                      T.Normalize(0.5, 0.5)])


def to_gan_range(data: ImageTensorDataset) -> ImageTensorDataset:
    """Rescale a dataset's images from [0, 1] to [-1, 1], in place; return it."""
    data.images = data.images * 2 - 1
    return data
