"""Looking inside a trained classifier (Part 2): saliency maps, adversarial images, class
visualization.

Shaped like ``dlvision.transfer``: one module per method, functions over batched tensors, the
network left in eval mode and unchanged. Planned modules and their functions (issue "Part 2"):

``saliency``       ``saliency_map(model, X, y) -> (N, H, W)``, and its sanity checks;
``adversarial``    ``fooling_image(model, x, target, ...)``, FGSM and PGD;
``class_visual``   ``class_visualization(model, target, ...)``.

They build on ``dlvision.models`` (``pretrained``, ``WeightsInfo`` for normalizing, clamping and
denormalizing, ``truncate``, ``device_of``) and ``dlvision.plots`` (``heatmap_overlay``,
``image_grid``), never on ``dlvision.transfer``.
"""

__all__: list[str] = []
