"""dlvision: the companion package of the course "Deep learning for computer vision".

Chapters, exercises and tests import it. Start every notebook with::

    import dlvision
    profile = dlvision.setup()      # "mini" offline by default, "full" with the real data
"""

from .profile import Profile, setup

__version__ = "0.1.0"
__all__ = ["Profile", "__version__", "setup"]
