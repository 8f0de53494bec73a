"""The PyTorch versions of every model Criticality trains, with Criticality's shapes (docs/benchmarks.md).

mlp5, mlp2, mlp-large: ModelSpec.mlpPresets (Linear + ReLU, no activation after the last layer).
cnn: the paper's CNN (ModelSpec.makeCNN): conv(C→32, 3×3, pad 1) → BN → ReLU → 2×2 max-pool →
conv(32→64) → BN → ReLU → 2×2 max-pool → flatten → fc(64·H/4·W/4 → 512) → ReLU → fc(512 → 10).
transformer: the authors' character Transformer (`charac-transformer.py`, authors-code-notes.md §1.2;
TransformerSpec): embedding(50, 128)·√128 + sinusoidal positions, nn.TransformerEncoder of 2 post-LN
layers (4 heads, feed-forward 512, dropout 0.1, batch_first), Linear(128 → 50); input 50 tokens.
"""
import math

import torch
from torch import nn

MLP_WIDTHS = {
    "mlp5": [784, 50, 50, 50, 50, 10],
    "mlp2": [784, 128, 10],
    "mlp-large": [784, 1000, 1000, 1000, 1000, 10],
}

# Input shape per benchmark name (the names `criticality bench --models` takes).
INPUT_SHAPES = {"mlp5": (784,), "mlp2": (784,), "mlp-large": (784,), "cnn": (3, 32, 32), "cnn-28": (1, 28, 28),
                "transformer": (50,)}
# Classes (the transformer: its vocabulary, one target per position).
CLASSES = {"transformer": 50}



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


class CharTransformer(nn.Module):
    """The authors' model with its shape as parameters (Criticality's layer names in comments)."""

    def __init__(self, vocab=50, d=128, heads=4, layers=2, ffn=512, context=50, dropout=0.1, causal=False):
        super().__init__()
        self.d, self.causal = d, causal
        self.embedding = nn.Embedding(vocab, d)  # embedding.weight
        pe = torch.zeros(context, d)
        position = torch.arange(0, context, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))
        layer = nn.TransformerEncoderLayer(d_model=d, nhead=heads, dim_feedforward=ffn, dropout=dropout, batch_first=True)
        # layers_i.*; the deep copy makes every layer start as the first (identical_layers)
        self.transformer_encoder = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d, vocab)  # fc.weight, fc.bias

    def forward(self, x):
        h = self.embedding(x) * math.sqrt(self.d) + self.pe[:, : x.size(1)]
        mask = torch.triu(torch.full((x.size(1), x.size(1)), float("-inf")), diagonal=1) if self.causal else None
        return self.fc(self.transformer_encoder(h, mask=mask))


def build(name):
    """The model for a benchmark name, and its input shape (without the batch)."""
    shape = INPUT_SHAPES[name]
    if name in MLP_WIDTHS:
        return mlp(MLP_WIDTHS[name]), shape
    if name == "transformer":
        return CharTransformer(), shape
    return cnn(*shape), shape
