"""One loader per dataset; each returns a torch ``Dataset`` of (image, label) pairs.

======================  ==================================  ================================
loader                  full profile                        mini profile
======================  ==================================  ================================
``scenes15(split)``     15 Scene, (3, 224, 224)             translated digits 5-9, (3, 32, 32)
``imagenet_samples()``  25 ImageNet validation images       held-out translated digits 0-4
``mnist(split)``        MNIST, (1, 32, 32) in [-1, 1]       centred digits, (1, 32, 32)
``celeba(size=32)``     CelebA, (3, size, size) in [-1, 1]  centred digits, (1, size, size)
``digits(...)``         scikit-learn's 8×8 digits on a canvas, the source of every mini dataset
======================  ==================================  ================================

Images for the pretrained networks (the first two) are ImageNet-normalized in both profiles.

In the full profile every loader checks its folders and files before returning (``files``),
and each dataset module has a ``status()`` giving an ``ItemStatus`` for ``dlvision info``.
"""

from .celeba import CELEBA_FOLDER, ImageFolderFlat, celeba
from .celeba import status as celeba_status
from .digits import DIGIT_NAMES, ImageTensorDataset, digits, ink_boxes
from .download import ChecksumError, DataNotFoundError, download, sha256sum
from .files import BadFilesError, DataLayoutError, ItemStatus, imagenet_samples_status
from .gan_images import GAN_SIZES, gan_transform
from .imagenet import imagenet_samples, mini_source
from .mnist import MNISTDataset, mnist
from .mnist import status as mnist_status
from .scenes15 import ImageFileDataset, scenes15
from .scenes15 import status as scenes15_status
from .transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    denormalize,
    load_image,
    normalize,
    preprocess,
    to_rgb,
)

__all__ = [
    "CELEBA_FOLDER",
    "DIGIT_NAMES",
    "GAN_SIZES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "BadFilesError",
    "ChecksumError",
    "DataLayoutError",
    "DataNotFoundError",
    "ImageFileDataset",
    "ImageFolderFlat",
    "ImageTensorDataset",
    "ItemStatus",
    "MNISTDataset",
    "celeba",
    "celeba_status",
    "denormalize",
    "digits",
    "download",
    "gan_transform",
    "imagenet_samples",
    "imagenet_samples_status",
    "ink_boxes",
    "load_image",
    "mini_source",
    "mnist",
    "mnist_status",
    "normalize",
    "preprocess",
    "scenes15",
    "scenes15_status",
    "sha256sum",
    "to_rgb",
]
