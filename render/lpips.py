"""LPIPS (Zhang et al., 2018) with AlexNet features, from local weights only.

The linear calibration layers are the ones torchmetrics ships (``lpips_models/alex.pth``, the
official LPIPS v0.1 weights); the AlexNet backbone (ImageNet weights) is not bundled anywhere and
cannot be downloaded here, so the user gives it: a torchvision ``alexnet`` state dict file
(``features.*`` keys, e.g. ``alexnet-owt-7be5be79.pth``). The network is torchvision's AlexNet
``features`` layer for layer, written out so torchvision is not needed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch
from torch import nn
from torchmetrics.functional.image.lpips import NetLinLayer, ScalingLayer

from render.errors import RenderError

TAPS = (1, 4, 7, 9, 11)          # AlexNet features after each ReLU feeding LPIPS
MIN_SIZE = 31                    # smallest image side the taps accept (two 3 x 3 max-pools after a stride-4 conv)
CHANNELS = (64, 192, 384, 256, 256)


def alexnet_features() -> nn.Sequential:
    """torchvision's ``alexnet().features`` (same layers, same state-dict keys)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))


class LPIPS(nn.Module):
    """``forward(prediction, target)`` → ``(N,)`` LPIPS distances of ``(N, 3, H, W)`` images in ``[0, 1]``.

    Args:
        backbone: path of a torchvision AlexNet state dict (``features.*`` keys).
    """

    def __init__(self, backbone: str | Path):
        super().__init__()
        path = Path(backbone).expanduser()
        if not path.is_file():
            raise RenderError(f"LPIPS backbone weights {path} do not exist (a torchvision alexnet state dict)")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (RuntimeError, OSError) as error:
            raise RenderError(f"LPIPS backbone weights {path} cannot be read: {error}") from error
        features = {key.removeprefix("features."): value for key, value in state.items() if key.startswith("features.")}
        self.features = alexnet_features()
        missing = sorted(set(self.features.state_dict()) - set(features))
        if missing:
            raise RenderError(f"LPIPS backbone weights {path} lack AlexNet keys, e.g. features.{missing[0]}")
        self.features.load_state_dict(features)
        self.scaling = ScalingLayer()
        self.lins = nn.ModuleList(NetLinLayer(channels, use_dropout=True) for channels in CHANNELS)
        linear = resources.files("torchmetrics.functional.image") / "lpips_models" / "alex.pth"
        self.lins.load_state_dict({key.replace("lin", "", 1): value for key, value in
                                   torch.load(str(linear), map_location="cpu", weights_only=True).items()})
        self.eval().requires_grad_(False)

    def _taps(self, images: torch.Tensor) -> list[torch.Tensor]:
        out, x = [], self.scaling(images * 2 - 1)
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in TAPS:
                out.append(x / torch.sqrt(1e-8 + x.square().sum(1, keepdim=True)))
            if index == TAPS[-1]:
                break
        return out

    @torch.no_grad()
    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        distance = 0
        for lin, a, b in zip(self.lins, self._taps(prediction), self._taps(target)):
            distance = distance + lin((a - b).square()).mean((1, 2, 3))
        return distance
