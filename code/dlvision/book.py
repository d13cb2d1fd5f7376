"""Helpers for the chapters' first cell: the profile line and the mini profile's note."""

from __future__ import annotations

from .profile import Profile, current

STANDINS = {
    "ImageNet": "translated digits 0–4 (32×32, random positions)",
    "VGG16 and SqueezeNet 1.1": "MiniVGG and MiniSqueezeNet, trained on those digits at first use",
    "15 Scene": "translated digits 5–9, a few labelled images per class",
    "MNIST and CelebA": "centred digits 0–9 (scikit-learn's 1,797 handwritten digits)",
}


REHEARSAL_NOTE = (
    ":::{warning}\n"
    "This page is a **rehearsal** of the full profile on generated files (`make rehearse-full`): "
    "VGG16 and SqueezeNet 1.1 with random weights, a few generated images per dataset, a few "
    "training steps. It proves that the full profile's code paths run; its numbers mean "
    "nothing.\n"
    ":::\n"
)


def standin_note_markdown(profile: str | Profile | None = None) -> str:
    """The note (MyST Markdown) that says what stands in for what; empty in the full profile,
    a warning in its rehearsal (``$DLVISION_SIZES=rehearsal``)."""
    prof = current(profile)
    if prof.is_rehearsal:
        return REHEARSAL_NOTE
    if not prof.is_mini:
        return ""
    rows = "\n".join(f"| {real} | {mini} |" for real, mini in STANDINS.items())
    return (
        ":::{note}\n"
        "This page was built in the **mini** profile: it runs offline on a laptop CPU, on small "
        "stand-ins for the course's data and networks. Its numbers describe the mini world, "
        "not ImageNet.\n\n"
        "| in the course | here |\n|---|---|\n"
        f"{rows}\n\n"
        "Rebuild with `DLVISION_PROFILE=full make book` (GPU advised) for the real data and "
        "pretrained weights.\n"
        ":::\n"
    )


def show_profile(profile: str | Profile | None = None) -> None:
    """Display the profile line, and in the mini profile the stand-in note, in a notebook."""
    from IPython.display import Markdown, display

    prof = current(profile)
    note = standin_note_markdown(prof)
    display(Markdown(f"`{prof.describe()}`\n\n{note}"))
