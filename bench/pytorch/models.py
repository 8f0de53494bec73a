"""The PyTorch versions of every model Criticality trains, with Criticality's shapes (docs/benchmarks.md).

mlp5, mlp2, mlp-large: ModelSpec.mlpPresets (Linear + ReLU, no activation after the last layer).
cnn: the paper's CNN (ModelSpec.makeCNN): conv(C→32, 3×3, pad 1) → BN → ReLU → 2×2 max-pool →
conv(32→64) → BN → ReLU → 2×2 max-pool → flatten → fc(64·H/4·W/4 → 512) → ReLU → fc(512 → 10).
"""
import torch
from torch import nn

MLP_WIDTHS = {
    "mlp5": [784, 50, 50, 50, 50, 10],
    "mlp2": [784, 128, 10],
    "mlp-large": [784, 1000, 1000, 1000, 1000, 10],
}

# Input shape per benchmark name (the names `criticality bench --models` takes).
INPUT_SHAPES = {"mlp5": (784,), "mlp2": (784,), "mlp-large": (784,), "cnn": (3, 32, 32), "cnn-28": (1, 28, 28)}


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def cnn(channels, height, width, classes=10):
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (height // 4) * (width // 4), 512), nn.ReLU(), nn.Linear(512, classes))


def build(name):
    """The model for a benchmark name, and its input shape (without the batch)."""
    shape = INPUT_SHAPES[name]
    if name in MLP_WIDTHS:
        return mlp(MLP_WIDTHS[name]), shape
    return cnn(*shape), shape
